/** A context with published and internal events, for the feed tests: only `Noted` is published. */
import { defineAggregate, defineContext, defineEvent } from '@eventloom/core';
import { z } from 'zod';

export const Noted = defineEvent('Noted', { schema: z.object({ book: z.string(), n: z.number().int() }) });
export const Audited = defineEvent('Audited', { schema: z.object({ book: z.string(), check: z.number().int() }) });

const book = defineAggregate({
  name: 'book',
  initialState: () => ({ notes: 0 }),
  evolve: (state, event) => (event.type === 'Noted' ? { notes: state.notes + 1 } : state),
  commands: {
    note: {
      schema: z.object({ book: z.string(), n: z.number().int(), audits: z.number().int().min(0) }),
      stream: (input: { book: string }) => `book-${input.book}`,
      decide: (input: { book: string; n: number; audits: number }) => [
        ...Array.from({ length: input.audits }, (_, check) => Audited({ book: input.book, check })),
        Noted({ book: input.book, n: input.n }),
      ],
    },
  },
});

export const ledger = defineContext({
  name: 'ledger',
  events: [Noted, Audited],
  aggregates: [book],
  projections: [],
  contracts: { published: [{ event: Noted, style: 'state', link: (data) => `/books/${(data as { book: string }).book}`, description: 'A note in a book.' }] },
});
