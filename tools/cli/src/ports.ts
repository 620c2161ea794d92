import { createServer } from 'node:net';

/** True when nothing listens on 127.0.0.1:`port` (and we may bind it). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((answer) => {
    const server = createServer();
    server.once('error', () => answer(false));
    server.listen(port, host, () => server.close(() => answer(true)));
  });
}

/** A port the OS says is free right now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((answer, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? answer(address.port) : fail(new Error('no port'))));
    });
  });
}

/** `preferred` when it is free, else any free port; 0 asks for any free port. */
export async function portOrFree(preferred: number | string): Promise<number> {
  const port = typeof preferred === 'string' && preferred.trim() !== '' ? Number(preferred) : preferred;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`${JSON.stringify(preferred)} is not a port: use 1-65535, or 0 for any free port`);
  if (port === 0) return freePort();
  return (await portIsFree(port)) ? port : freePort();
}
