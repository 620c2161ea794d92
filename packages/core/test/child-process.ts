import { fileURLToPath } from 'node:url';
import type { CoreConfig } from '../src/config.ts';
import { startChild, type Child } from '../src/testing/child-process.ts';

const script = fileURLToPath(new URL('./children/counter-child.ts', import.meta.url));

/** Starts the counter child on the test's storage and Redis. */
export const startCounterChild = (config: CoreConfig, env: Record<string, string> = {}): Child => startChild(script, config, env);

export const randomBetween = (min: number, max: number) => Math.round(min + Math.random() * (max - min));
