/**
 * Bench only: wraps an older build of our server and client that has no TLS of its own (the
 * ours-base-tls target, before/after comparisons against builds from before issue 11) in Node's
 * TLS. Loaded into that server's child with `--require`: every `net.createServer` of that process becomes a
 * `tls.createServer` with the bench's self-signed certificate (BENCH_TLS_KEY / BENCH_TLS_CERT, PEM,
 * set by the orchestrator), whose listener gets each socket after the handshake. In a bot process,
 * `connectOverTls()` makes `net.connect` a `tls.connect` that accepts that certificate. ours-tls
 * uses our own TLS (pinned), not this.
 */
import net from 'node:net';
import tls from 'node:tls';

type Listener = (socket: net.Socket) => void;

/** Replaces `net.createServer` in this process (needs BENCH_TLS_KEY and BENCH_TLS_CERT). */
export function serveOverTls(): void {
  const key = process.env.BENCH_TLS_KEY;
  const cert = process.env.BENCH_TLS_CERT;
  if (!key || !cert) throw new Error('tlsShim: BENCH_TLS_KEY and BENCH_TLS_CERT must be set');
  const createServer = (...args: unknown[]): net.Server => {
    const listener = args.find((a): a is Listener => typeof a === 'function');
    const server = tls.createServer({ key, cert }, listener);
    server.on('tlsClientError', () => undefined);
    return server;
  };
  Object.defineProperty(net, 'createServer', { value: createServer, configurable: true });
}

/** Replaces `net.connect` in this process by a TLS connect that accepts any certificate. */
export function connectOverTls(): void {
  const connect = (options: net.TcpNetConnectOpts): tls.TLSSocket =>
    tls.connect({ ...options, rejectUnauthorized: false });
  Object.defineProperty(net, 'connect', { value: connect, configurable: true });
}

// Loaded with `--require` into a server child: serve over TLS from the start.
if (require.main !== module && process.argv.includes('--tls')) serveOverTls();
