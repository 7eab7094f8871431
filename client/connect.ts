/**
 * Opening links to the server: parsing `HOST:PORT` and connecting one TCP socket that speaks the
 * framing layer. Every link of a client (control, audio, video) starts here.
 */
import net from 'node:net';
import { DEFAULT_HOST, DEFAULT_PORT } from '../common/constants';
import { ErrorCode, MeetingError } from '../common/errors';
import { FramedSocket } from '../common/FramedSocket';

/** Where the server listens. */
export interface ServerAddress {
  host: string;
  port: number;
}

/** Parses `HOST:PORT` (or `PORT`, or `HOST`) into an address. */
export function parseServerAddress(value: string): ServerAddress {
  const match = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(value.trim());
  if (match) return { host: match[1] || DEFAULT_HOST, port: Number(match[2]) };
  if (value.trim()) return { host: value.trim(), port: DEFAULT_PORT };
  throw new TypeError(`server address '${value}' is not HOST:PORT`);
}

/** Connects to `address`; rejects with ERR_CONNECT_FAILED when the server cannot be reached. */
export function connectSocket(address: ServerAddress, maxFrameSize: number): Promise<FramedSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address.host, port: address.port });
    const onError = (error: Error): void => {
      socket.destroy();
      reject(
        new MeetingError(
          ErrorCode.CONNECT_FAILED,
          `cannot reach ${address.host}:${address.port}: ${error.message}`,
        ),
      );
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(new FramedSocket(socket, maxFrameSize));
    });
  });
}
