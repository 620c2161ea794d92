import { defineContext } from '@eventloom/core';
import { routes } from './counter/api.ts';
import { counter } from './counter/decide.ts';
import { Incremented } from './counter/events.ts';
import { counters } from './counter/projection.ts';

/** The smallest complete context: a template for new ones and the core's test vehicle. */
export default defineContext({
  name: 'counter',
  title: 'Counter',
  events: [Incremented],
  aggregates: [counter],
  projections: [counters],
  contracts: { published: [{ event: Incremented, style: 'delta', description: 'A counter went up: the change (by), not the new value.' }] },
  routes,
});

export { counter, counters, Incremented };
