import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { startAzurite } from './azurite.ts';
import { testConfig, testPrefix } from './env.ts';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startAzurite', () => {
  it('starts on free ports, stores a table entity, and stops without leaving a process', async () => {
    const azurite = await startAzurite({ inMemory: true });
    try {
      expect(azurite.blobPort).toBeGreaterThan(0);
      expect(azurite.tablePort).not.toBe(azurite.blobPort);
      expect(azurite.connectionString).toContain(`TableEndpoint=http://127.0.0.1:${azurite.tablePort}/`);

      const table = TableClient.fromConnectionString(azurite.connectionString, `${testPrefix('az')}rt`, {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: 'stream-1', rowKey: '0000000001', type: 'Deposited' });
      const entity = await table.getEntity<{ type: string }>('stream-1', '0000000001');
      expect(entity.type).toBe('Deposited');
    } finally {
      await azurite.stop();
    }
    expect(isRunning(azurite.pid)).toBe(false);
  });

  it('fails with a clear error when a port is taken', async () => {
    const first = await startAzurite({ inMemory: true });
    try {
      await expect(startAzurite({ inMemory: true, blobPort: first.blobPort })).rejects.toThrow(/Azurite exited during start/);
    } finally {
      await first.stop();
    }
  });
});

describe('testPrefix', () => {
  it('makes distinct names valid for tables and containers', () => {
    const prefixes = new Set(Array.from({ length: 200 }, () => testPrefix('My-File.test')));
    expect(prefixes.size).toBe(200);
    for (const p of prefixes) expect(p).toMatch(/^[a-z][a-z0-9]{0,15}$/);
  });
});

describe('testConfig', () => {
  it('points at the run’s Azurite and Redis with a fresh prefix', () => {
    const a = testConfig();
    const b = testConfig();
    expect(a.AZURE_STORAGE_CONNECTION_STRING).toBe(process.env.AZURE_STORAGE_CONNECTION_STRING);
    expect(a.REDIS_URL).toMatch(/^redis:\/\//);
    expect(a.EVENTLOOM_PREFIX).not.toBe(b.EVENTLOOM_PREFIX);
  });
});
