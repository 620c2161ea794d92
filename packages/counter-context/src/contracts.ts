export { Incremented } from './counter/events.ts';
