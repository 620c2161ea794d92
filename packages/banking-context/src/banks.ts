import { z } from 'zod';

/**
 * The three banks of seed 000. Ids are what URLs, streams and view keys use; names
 * are what people read (and what an owner's token carries in `principal.bank`).
 * This is the one place that maps between them.
 */
export const banks = [
  { id: 'first-citizens', name: 'First Citizens' },
  { id: 'republic', name: 'Republic Bank' },
  { id: 'scotia', name: 'Scotia Bank' },
] as const;

export type Bank = (typeof banks)[number];
export type BankId = Bank['id'];

export const bankIds = banks.map((bank) => bank.id) as [BankId, ...BankId[]];

export const bankId = z.enum(bankIds, { error: `use one of ${bankIds.join(', ')}` });

export function bankById(id: BankId): Bank {
  return banks.find((bank) => bank.id === id)!;
}

/** The bank an owner's `principal.bank` names: by display name or id, case and spacing ignored. */
export function bankByName(name: string | undefined): Bank | undefined {
  if (name === undefined) return undefined;
  const wanted = normalise(name);
  return banks.find((bank) => normalise(bank.name) === wanted || bank.id === wanted);
}

const normalise = (text: string) => text.trim().toLowerCase().replace(/\s+/g, '-');
