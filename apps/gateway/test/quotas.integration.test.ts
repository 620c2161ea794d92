/**
 * Quotas on the real Redis: counters are shared by every gateway of one store and by
 * no other store's gateways (tests, simulator seeds and deployments share one Redis).
 */
import counter from '@eventloom/counter-context';
import { createRuntime, type CoreConfig, type Runtime } from '@eventloom/core';
import { testConfig } from '@eventloom/core/testing/env';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Quotas } from '../src/quotas.ts';

const haveAzurite = Boolean(process.env.AZURE_STORAGE_CONNECTION_STRING);

describe.skipIf(!haveAzurite)('quota counters in Redis', () => {
  const runtimes: Runtime[] = [];
  const open = async (config: CoreConfig) => {
    const runtime = await createRuntime({ contexts: [counter], config, workers: false });
    runtimes.push(runtime);
    return runtime;
  };
  let one: Runtime;
  let sameStore: Runtime;
  let otherStore: Runtime;

  beforeAll(async () => {
    const config = testConfig({ name: 'quota-a', LOG_LEVEL: 'silent' });
    one = await open(config);
    sameStore = await open(config);
    otherStore = await open(testConfig({ name: 'quota-b', LOG_LEVEL: 'silent' }));
    expect(one.bus.kind).toBe('redis');
  }, 60_000);

  afterAll(async () => {
    for (const runtime of runtimes) await runtime.close();
  });

  const settings = { signInFailuresPerAccount: 3, signInAttemptsPerAddress: 1000 };
  const quotas = (runtime: Runtime) => new Quotas(runtime, new Registry(), settings);

  it('counts failed sign-ins across the gateways of one store, and not against another store’s accounts', async () => {
    const user = `admin-${Date.now()}`;
    const here = quotas(one);
    for (let i = 0; i < 3; i++) await here.signInFailed(user, '203.0.113.9');
    await expect(here.beforeSignIn(user, '203.0.113.9')).rejects.toMatchObject({ problem: { status: 429 } });
    // Another gateway instance of the same store sees the same counter.
    await expect(quotas(sameStore).beforeSignIn(user, '203.0.113.9')).rejects.toMatchObject({ problem: { status: 429 } });
    // Another store's account of the same name is its own.
    await expect(quotas(otherStore).beforeSignIn(user, '203.0.113.9')).resolves.toBeUndefined();
  });
});
