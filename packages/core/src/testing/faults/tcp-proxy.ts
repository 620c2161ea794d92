import net, { type Socket } from 'node:net';

/**
 * up: bytes flow both ways. down: Redis is unreachable, every connection is cut at
 * once. hung: connections open and stay open but nothing gets through either way,
 * as with a paused Redis or dropped packets.
 */
export type TcpMode = 'up' | 'down' | 'hung';

export interface TcpFaultProxyOptions {
  target: { host: string; port: number };
  /** 0 or omitted picks a free port. */
  port?: number;
}

export interface TcpFaultProxy {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly mode: TcpMode;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /**
   * Leaving `hung` destroys the connections that saw the hang: their bytes are lost,
   * as after a TCP timeout, and clients reconnect. After kill() the mode stays down.
   */
  set(mode: TcpMode): void;
  /** Cuts every current connection, as a Redis restart does; the mode stays. */
  dropConnections(): void;
  /** The process behind this proxy died: down, for good. */
  kill(): void;
  close(): Promise<void>;
}

/** One client connection and its connection to the target. */
interface Pair {
  client: Socket;
  upstream: Socket;
  /** Open during a hang: its stream may miss bytes, so it is cut when the hang ends. */
  sawHang: boolean;
}

export async function startTcpFaultProxy(options: TcpFaultProxyOptions): Promise<TcpFaultProxy> {
  const { target } = options;
  const pairs = new Set<Pair>();
  let mode: TcpMode = 'up';
  let killed = false;

  const server = net.createServer((client) => {
    if (mode === 'down') {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port });
    const pair: Pair = { client, upstream, sawHang: mode === 'hung' };
    pairs.add(pair);
    const cut = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    // Either side ending or failing ends both: Redis never half-closes.
    for (const socket of [client, upstream]) {
      socket.on('error', cut);
      socket.on('close', cut);
    }
    relay(client, upstream);
    relay(upstream, client);
  });

  /** Forwards from one side to the other while up, with backpressure; in a hang the bytes are lost. */
  function relay(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (mode !== 'up') return;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  }

  function cutAll(which: (pair: Pair) => boolean): void {
    for (const pair of [...pairs]) {
      if (!which(pair)) continue;
      pairs.delete(pair);
      pair.client.destroy();
      pair.upstream.destroy();
    }
  }

  function set(next: TcpMode): void {
    if (killed) return;
    const previous = mode;
    mode = next;
    if (next === 'down') cutAll(() => true);
    else if (next === 'hung') for (const pair of pairs) pair.sawHang = true;
    else if (previous === 'hung') cutAll((pair) => pair.sawHang);
  }

  await new Promise<void>((listening, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail);
      listening();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    get connections() {
      return pairs.size;
    },
    set,
    dropConnections: () => cutAll(() => true),
    kill() {
      set('down');
      killed = true;
    },
    close() {
      closing ??= new Promise<void>((done) => {
        set('down');
        killed = true;
        server.close(() => done());
      });
      return closing;
    },
  };
}
