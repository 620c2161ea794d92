import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../src/create-runtime.ts';
import { connectionStringThrough, startHttpFaultProxy, storageTarget, type HttpFault } from '../src/testing/faults/index.ts';
import { Closer, config, counter } from './helpers.ts';

const closer = new Closer();
afterEach(() => closer.closeAll());

describe('health', () => {
  it('names each dependency and says "down" within its bound when the storage account hangs', async () => {
    const cfg = config('health');
    let hang: 'table' | 'blob' | undefined;
    const proxy = (service: 'table' | 'blob') =>
      startHttpFaultProxy({
        target: storageTarget(cfg.AZURE_STORAGE_CONNECTION_STRING, service),
        service,
        decide: (): HttpFault => (hang === service ? { kind: 'hang' } : { kind: 'pass' }),
      });
    const [table, blob] = [closer.add(await proxy('table')), closer.add(await proxy('blob'))];
    const runtime = closer.add(
      await createRuntime({ contexts: [counter], config: { ...cfg, AZURE_STORAGE_CONNECTION_STRING: connectionStringThrough(cfg.AZURE_STORAGE_CONNECTION_STRING, { table, blob }) }, workers: false }),
    );
    expect(await runtime.health()).toMatchObject({ ok: true, storage: { ok: true }, redis: { ok: true } });

    for (const service of ['blob', 'table'] as const) {
      hang = service;
      // No timing assertion: before the bound, a hung service held health() past the test's timeout.
      const health = await runtime.health();
      expect(health.ok).toBe(false);
      expect(health.storage.ok).toBe(false);
      expect(health.storage.error).toMatch(new RegExp(`${service === 'blob' ? 'Blob' : 'Table'} service did not answer`));
      expect(health.redis.ok).toBe(true);
    }
    hang = undefined;
    expect((await runtime.health()).ok).toBe(true);
  }, 20_000);
});
