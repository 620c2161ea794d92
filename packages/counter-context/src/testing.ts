import { Incremented } from './counter/events.ts';

/** Events for tests of code that consumes counters. */
export const incremented = (counterId: string, by = 1) => Incremented({ counterId, by });
