/**
 * A raw link to the server, for hostile-client tests: frames written by hand, every control
 * message and media frame it receives kept in order, and requests correlated by id. It speaks the
 * protocol without the client core, so tests can do what a real client never would.
 */
import type net from 'node:net';
import { FrameType, MAX_FRAME_SIZE } from '../../common/constants';
import { FrameDecoder, frameType } from '../../common/framing';
import { decodeControlFrame, encodeControl } from '../../common/protocol';
import { rawSocket } from './server';

export interface RawReply {
  id: number;
  ok: boolean;
  data?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export class RawLink {
  readonly socket: net.Socket;
  /** Control messages received (replies and events), in order. */
  readonly messages: Array<Record<string, unknown>> = [];
  /** Media frames received (whole frames), in order. */
  readonly media: Buffer[] = [];
  /** Resolves when the link has closed. */
  readonly closed: Promise<void>;
  isClosed = false;
  readonly #decoder = new FrameDecoder(MAX_FRAME_SIZE.video);
  readonly #waiting = new Map<number, (reply: RawReply) => void>();
  #nextId = 1;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = this.#decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (frameType(f) === FrameType.MEDIA) {
          this.media.push(Buffer.from(f));
          continue;
        }
        const m = decodeControlFrame(f) as Record<string, unknown>;
        this.messages.push(m);
        if (typeof m.id === 'number') this.#waiting.get(m.id)?.(m as unknown as RawReply);
      }
    });
  }

  /**
   * Connects from `localAddress` (any 127.0.0.x works on Linux loopback), over TLS like a real
   * client (the certificate is not checked), or plain TCP with `plain`.
   */
  static async open(port: number, localAddress = '127.0.0.1', plain = false): Promise<RawLink> {
    return new RawLink(await rawSocket(port, { localAddress, plain }));
  }

  /** Sends a request and resolves with its reply (rejects after `ms` or on close). */
  request(type: string, data: unknown = {}, ms = 5000): Promise<RawReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`no reply to ${type} within ${ms} ms`));
      }, ms);
      void this.closed.then(() => {
        clearTimeout(timer);
        reject(new Error(`link closed before the reply to ${type}`));
      });
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(reply);
      });
      this.send(encodeControl({ id, type, data }, MAX_FRAME_SIZE.control));
    });
  }

  /** Sends a request without waiting for its reply. */
  fire(type: string, data: unknown = {}): void {
    this.send(encodeControl({ id: this.#nextId++, type, data }, MAX_FRAME_SIZE.control));
  }

  send(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  /** Control events received so far with this name. */
  events(name: string): Array<Record<string, unknown>> {
    return this.messages.filter((m) => m.event === name);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Registers (or logs in) on a fresh raw control link; throws on an error reply. */
export async function rawSession(
  port: number,
  username: string,
  { register = true, localAddress = '127.0.0.1' } = {},
): Promise<{ control: RawLink; token: string; memberId: number }> {
  const control = await RawLink.open(port, localAddress);
  const reply = await control.request(register ? 'register' : 'login', {
    username,
    password: 'password1',
  });
  if (!reply.ok) throw new Error(`${username}: ${reply.error?.code} ${reply.error?.message}`);
  const data = reply.data as { token: string; memberId: number };
  return { control, token: data.token, memberId: data.memberId };
}

/** Opens a media link of `kind` attached to the session of `token`. */
export async function rawMediaLink(
  port: number,
  token: string,
  kind: 'audio' | 'video',
  localAddress = '127.0.0.1',
): Promise<RawLink> {
  const link = await RawLink.open(port, localAddress);
  const reply = await link.request('attach', { token, link: kind });
  if (!reply.ok) throw new Error(`attach ${kind}: ${reply.error?.code}`);
  return link;
}
