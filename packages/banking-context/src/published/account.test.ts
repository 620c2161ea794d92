import { PublishedContracts, type EventEnvelope, type NewEvent } from '@eventloom/core';
import { describe, expect, it } from 'vitest';
import banking from '../index.ts';
import { deposited, opened, transferDeposited } from '../testing.ts';

const stored = (event: NewEvent, id = '0190a0a0-0000-7000-8000-000000000001'): EventEnvelope => ({
  ...event,
  id,
  schemaVersion: event.schemaVersion ?? 1,
  stream: 'account-U1-scotia',
  version: 1,
  occurredAt: '2026-01-31T12:00:00.000Z',
  who: 'owner.scotia',
  correlationId: 'cor',
  causationId: 'cmd',
});

describe("banking's contract types", () => {
  const contracts = new PublishedContracts(banking);

  it('publish AccountOpened and Deposited exactly as the internal events were published (same type, version, data)', () => {
    for (const event of [opened('U1', 'scotia'), deposited('U1', 'scotia', 500), deposited('U1', 'scotia', 500, 900, 'salary'), transferDeposited('U1', 'scotia', 't-1', 500)]) {
      const entry = stored(event);
      expect(contracts.contractOf(entry.type)?.from, entry.type).toBeDefined();
      expect(JSON.stringify(contracts.toPublished(entry))).toBe(JSON.stringify(entry));
    }
  });

  it('carry a transfer deposit’s requester, which reporting may read', () => {
    const event = transferDeposited('U1', 'scotia', 't-1', 500);
    const entry = stored({ ...event, data: { ...event.data, requestedBy: 'owner.scotia' } });
    expect(contracts.toPublished(entry).data).toEqual({ customer: 'U1', bank: 'scotia', amountCents: 500, balanceAfterCents: 500, transferId: 't-1', requestedBy: 'owner.scotia' });
  });

  it('link an opened account to its customer', () => {
    const contract = contracts.contractOf('AccountOpened')!;
    const entry = contracts.toPublished(stored(opened('U 1', 'scotia')));
    expect(contract.link?.(entry.data, entry.stream, entry)).toBe('/customers/U%201');
  });
});
