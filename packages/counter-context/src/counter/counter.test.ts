import { decider, projection, stored } from '@eventloom/core/testing';
import { describe, expect, it } from 'vitest';
import { counter, counterLimit } from './decide.ts';
import { Incremented } from './events.ts';
import { counters } from './projection.ts';

describe('counter decider', () => {
  it('increments a new counter', () => {
    decider(counter).given([]).when('increment', { id: 'a', by: 3 }).then([Incremented({ counterId: 'a', by: 3 })]);
  });

  it('refuses to pass the limit', () => {
    decider(counter)
      .given([Incremented({ counterId: 'a', by: 1000 })])
      .when('increment', { id: 'a', by: 1 })
      .then([Incremented({ counterId: 'a', by: 1 })]);
    const nearLimit = Array.from({ length: counterLimit / 1000 }, () => Incremented({ counterId: 'a', by: 1000 }));
    decider(counter).given(nearLimit).when('increment', { id: 'a', by: 1 }).thenThrows('counter-limit');
  });

  it('rejects ids that could break keys and amounts out of range', () => {
    for (const input of [{ id: "a'or'1", by: 1 }, { id: 'a', by: 0 }, { id: 'a', by: 1.5 }, { id: 'a', by: 1, extra: true }]) {
      expect(() => decider(counter).given([]).when('increment', input).then([])).toThrow();
    }
  });
});

describe('counters projection', () => {
  it('sums increments per counter', async () => {
    const view = await projection(counters).given(
      stored([Incremented({ counterId: 'a', by: 2 }), Incremented({ counterId: 'b', by: 5 }), Incremented({ counterId: 'a', by: 3 })]),
    );
    expect(view.rows('Counters').map((r) => [r.rowKey, r.value])).toEqual([
      ['a', 5],
      ['b', 5],
    ]);
  });

  it('counts nothing twice when a batch is replayed', async () => {
    const events = stored([Incremented({ counterId: 'a', by: 2 }), Incremented({ counterId: 'a', by: 3 })]);
    const view = projection(counters);
    await view.given(events);
    await view.given(events);
    expect(view.rows('Counters')[0]?.value).toBe(5);
  });
});
