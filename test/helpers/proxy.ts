/**
 * A TCP proxy between clients and a server, for network faults: `cut(ms)` drops every connection
 * through it and refuses new ones for `ms` (as a Wi-Fi change or a dead VPN would), then lets them
 * through again. Bytes are passed on untouched (TLS runs end to end through it).
 */
import net from 'node:net';

export class TcpProxy {
  readonly #server: net.Server;
  readonly #pairs = new Set<[net.Socket, net.Socket]>();
  readonly #target: number;
  #downUntil = 0;
  #silentUntil = 0;
  /** Connections accepted (and passed on) so far. */
  accepted = 0;

  private constructor(target: number) {
    this.#target = target;
    this.#server = net.createServer((client) => this.#onClient(client));
  }

  /** Listens on a free loopback port and forwards to `targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Connections open through the proxy now. */
  get open(): number {
    return this.#pairs.size;
  }

  /**
   * Stops passing bytes on (both ways) for `ms` without closing anything, as a dead route or a
   * sleeping peer would: only a liveness check notices.
   */
  blackhole(ms: number): void {
    this.#silentUntil = Date.now() + ms;
    for (const [a, b] of this.#pairs) {
      a.pause();
      b.pause();
    }
    setTimeout(() => {
      for (const [a, b] of this.#pairs) {
        a.resume();
        b.resume();
      }
    }, ms).unref();
  }

  /** Drops every connection at once and refuses new ones for `ms`. */
  cut(ms: number): void {
    this.#downUntil = Date.now() + ms;
    for (const [a, b] of this.#pairs) {
      a.destroy();
      b.destroy();
    }
    this.#pairs.clear();
  }

  async close(): Promise<void> {
    this.cut(0);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onClient(client: net.Socket): void {
    client.on('error', () => undefined);
    if (Date.now() < this.#downUntil || Date.now() < this.#silentUntil) {
      client.destroy();
      return;
    }
    this.accepted++;
    const upstream = net.connect({ host: '127.0.0.1', port: this.#target });
    upstream.on('error', () => undefined);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.#pairs.add(pair);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      this.#pairs.delete(pair);
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
