/**
 * Bench only, until our links have TLS of their own (issue 11): wraps our unchanged server and
 * client in Node's TLS, so the peers bench can put "ours with TLS" next to murmur, whose TCP voice
 * path is always TLS. Loaded into our server's child with `--require` (so it works for another
 * build too, the ours-base-tls target): every `net.createServer` of that process becomes a
 * `tls.createServer` with the bench's self-signed certificate (BENCH_TLS_KEY / BENCH_TLS_CERT, PEM,
 * set by the orchestrator), whose listener gets each socket after the handshake. In a bot process,
 * `connectOverTls()` makes `net.connect` a `tls.connect` that accepts that certificate. Once our
 * TLS lands, the ours-tls target uses the real option instead and this file goes.
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
