import type { Runtime, RuntimeOptions } from './runtime.ts';

/** Connects storage and the bus, creates tables, starts relays and projections. */
export async function createRuntime(_options: RuntimeOptions): Promise<Runtime> {
  throw new Error('createRuntime: not implemented yet (in progress)');
}
