import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, portOrFree } from './ports.ts';

describe('choosing a port', () => {
  // `./eventloom up --gateway-port 0` handed port 0 to the gateway, whose config refused it: it crash-looped.
  it('takes 0 as "any free port", as the Azurite ports do', async () => {
    const port = await portOrFree(0);
    expect(port).toBeGreaterThan(0);
  });

  it('keeps a free preferred port and replaces a taken one', async () => {
    const wanted = await freePort();
    expect(await portOrFree(wanted)).toBe(wanted);
    const server = createServer();
    await new Promise<void>((listening) => server.listen(wanted, '127.0.0.1', listening));
    try {
      const other = await portOrFree(wanted);
      expect(other).not.toBe(wanted);
      expect(other).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  });

  it('refuses what is not a port, saying so', async () => {
    await expect(portOrFree('eighty')).rejects.toThrow(/"eighty" is not a port: use 1-65535, or 0 for any free port/);
    expect(await portOrFree('0')).toBeGreaterThan(0);
    await expect(portOrFree(70_000)).rejects.toThrow(/not a port/);
    await expect(portOrFree(-1)).rejects.toThrow(/not a port/);
  });
});
