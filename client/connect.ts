/**
 * Opening links to the server: parsing `HOST:PORT` and connecting one TLS (or, when asked for,
 * plain TCP) socket that speaks the framing layer. Every link of a client (control, audio, video)
 * starts here, and every TLS link is checked against the client's trust policy.
 */
import net from 'node:net';
import tls from 'node:tls';
import { DEFAULT_HOST, DEFAULT_PORT, REQUEST_TIMEOUT_MS } from '../common/constants';
import { ErrorCode, MeetingError } from '../common/errors';
import { FramedSocket } from '../common/FramedSocket';

/** Where the server listens. */
export interface ServerAddress {
  host: string;
  port: number;
}

/** How links are secured: TLS checked by `verify` (the default), or plain TCP when asked for. */
export type LinkSecurity =
  | { plain: true }
  | {
      plain?: false;
      /** Throws (MeetingError) to refuse the server's certificate fingerprint. */
      verify(fingerprint: string): void;
    };

/** Parses `HOST:PORT` (or `PORT`, or `HOST`) into an address. */
export function parseServerAddress(value: string): ServerAddress {
  const match = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(value.trim());
  if (match) return { host: match[1] || DEFAULT_HOST, port: Number(match[2]) };
  if (value.trim()) return { host: value.trim(), port: DEFAULT_PORT };
  throw new TypeError(`server address '${value}' is not HOST:PORT`);
}

/**
 * Connects to `address`; rejects with ERR_CONNECT_FAILED when the server cannot be reached (or
 * does not answer within `timeoutMs`), ERR_TLS_FAILED when the handshake fails, or the trust
 * policy's error (ERR_CERT_CHANGED) when the certificate is refused.
 */
export function connectSocket(
  address: ServerAddress,
  maxFrameSize: number,
  security: LinkSecurity,
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<FramedSocket> {
  const where = `${address.host}:${address.port}`;
  return new Promise((resolve, reject) => {
    let connected = false;
    const socket: net.Socket = security.plain
      ? net.connect({ host: address.host, port: address.port })
      : tls.connect({
          host: address.host,
          port: address.port,
          // Self-signed certificates are the norm: trust is the pinned fingerprint, checked below.
          rejectUnauthorized: false,
          minVersion: 'TLSv1.2',
          ...(net.isIP(address.host) ? {} : { servername: address.host }),
        });
    const fail = (error: MeetingError): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new MeetingError(
            ErrorCode.CONNECT_FAILED,
            `no answer from ${where} within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const onError = (error: Error): void => {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      // Reached, but the TLS handshake did not complete: a plain server, or a broken peer.
      if (connected && !security.plain)
        fail(
          new MeetingError(
            ErrorCode.TLS_FAILED,
            `TLS handshake with ${where} failed (${code || error.message}); ` +
              'a server started with --plain needs a client with --plain',
          ),
        );
      else
        fail(new MeetingError(ErrorCode.CONNECT_FAILED, `cannot reach ${where}: ${error.message}`));
    };
    const onClose = (): void =>
      onError(Object.assign(new Error('connection closed during set-up'), { code: 'ECONNRESET' }));
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once('connect', () => {
      connected = true;
    });
    const ready = (): void => {
      if (!security.plain) {
        const fingerprint = (socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
        try {
          security.verify(fingerprint);
        } catch (error) {
          fail(
            error instanceof MeetingError
              ? error
              : new MeetingError(ErrorCode.CERT_CHANGED, String(error)),
          );
          return;
        }
      }
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('close', onClose);
      resolve(new FramedSocket(socket, maxFrameSize));
    };
    socket.once(security.plain ? 'connect' : 'secureConnect', ready);
  });
}
