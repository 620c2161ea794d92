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

/** `preferred` when it is free, else any free port. */
export async function portOrFree(preferred: number): Promise<number> {
  return (await portIsFree(preferred)) ? preferred : freePort();
}
