import { readFileSync } from 'node:fs';

/**
 * How many connections wait in the gateway's listen backlog (accepted by the kernel, not
 * yet by the gateway), sampled from /proc/net/tcp{,6} on Linux. A request on a new
 * connection waits behind all of them before the gateway even reads it; since libuv
 * accepts one connection per event-loop turn, a busy gateway drains this slowly.
 */
export interface Backlog {
  peak: number;
  mean: number;
}

export interface BacklogWatch {
  stop(): Backlog | undefined;
}

/** The accept queue of the socket listening on `port`, or undefined where /proc does not say. */
function acceptQueue(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state, queues] = line.trim().split(/\s+/);
      // For a listening socket (state 0A) the receive queue is its accept queue.
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) return parseInt(queues!.split(':')[1]!, 16);
    }
  }
  return undefined;
}

export function watchBacklog(gatewayUrl: string, everyMs = 250): BacklogWatch {
  const port = Number(new URL(gatewayUrl).port || 80);
  const samples: number[] = [];
  const timer = setInterval(() => {
    const queued = acceptQueue(port);
    if (queued !== undefined) samples.push(queued);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      if (samples.length === 0) return undefined;
      return { peak: Math.max(...samples), mean: Math.round(samples.reduce((a, b) => a + b, 0) / samples.length) };
    },
  };
}
