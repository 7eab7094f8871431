/**
 * The operator's HTTP port, apart from the meeting port: `/metrics` (Prometheus exposition text),
 * `/healthz` (the process answers) and `/readyz` (this node takes new clients: listening, not
 * draining, its cluster link up). Off unless `--metrics-port` is given; loopback by default.
 */
import http from 'node:http';
import type net from 'node:net';
import type { ServerMetrics } from './ServerMetrics';

export interface OpsHttpOptions {
  metrics: ServerMetrics;
  /** Why the node is not ready, or null when it is. */
  notReady: () => string | null;
}

export class OpsHttp {
  readonly #options: OpsHttpOptions;
  readonly #server: http.Server;
  #closed = false;

  constructor(options: OpsHttpOptions) {
    this.#options = options;
    this.#server = http.createServer((req, res) => void this.#serve(req, res));
    // Scrapers keep connections alive; a shutdown must not wait for them.
    this.#server.keepAliveTimeout = 1000;
  }

  listen(port: number, host: string): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as net.AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return end(res, 405, 'GET only\n');
    try {
      if (path === '/metrics') {
        const text = await this.#options.metrics.render();
        return end(res, 200, text, this.#options.metrics.contentType);
      }
      if (path === '/healthz') return end(res, 200, 'ok\n');
      if (path === '/readyz') {
        const reason = this.#options.notReady();
        return reason === null ? end(res, 200, 'ready\n') : end(res, 503, `${reason}\n`);
      }
      return end(res, 404, 'not found\n');
    } catch {
      return end(res, 500, 'metrics failed\n');
    }
  }
}

function end(res: http.ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
