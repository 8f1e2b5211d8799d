import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free loopback port in front of the server, which a test can sever: `cut()` destroys every open
 * connection (as a network drop would) while the proxy keeps accepting new ones, so clients can reconnect.
 */
export class TcpProxy {
  private sockets = new Set<Socket>();
  private cuts = 0;

  private constructor(
    private readonly server: Server,
    /** http://127.0.0.1:port of the proxy. */
    readonly url: string,
  ) {}

  /** Starts a proxy to `target` (http://127.0.0.1:port). */
  static async start(target: URL): Promise<TcpProxy> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = createConnection({ host: target.hostname, port: Number(target.port) });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const proxy = new TcpProxy(server, `http://127.0.0.1:${port}`);
    (proxy as unknown as { sockets: Set<Socket> }).sockets = sockets;
    return proxy;
  }

  /** Connections severed so far. */
  get severed(): number {
    return this.cuts;
  }

  /** Open connections (both sides counted). */
  get open(): number {
    return this.sockets.size;
  }

  /** Severs every open connection at once. */
  cut(): number {
    const count = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.cuts += count;
    return count;
  }

  /** Stops the proxy and severs what is left. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
