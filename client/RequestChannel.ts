/**
 * Requests and replies on one framed link, and the one place where a client reads what the server
 * sends on a link: a reply settles the request with its id, an event goes to `onEvent`, a media
 * frame to `onMedia`. The control link and every media link (for its `attach`) use it.
 */
import { FrameType } from '../common/constants';
import { ErrorCode, MeetingError, isErrorCode, type ErrorCodeValue } from '../common/errors';
import type { FramedSocket } from '../common/FramedSocket';
import { frameType } from '../common/framing';
import {
  decodeControlFrame,
  parseServerMessage,
  type RequestParams,
  type RequestResults,
  type RequestType,
  type ServerMessageT,
} from '../common/protocol';

/** A reply of the server: the request's id and its result or error. */
type Reply = Extract<ServerMessageT, { id: number }>;

export interface RequestChannelOptions {
  /** How long a request waits for its reply before it fails with ERR_TIMEOUT (ms). */
  timeoutMs: number;
  /** A server event, its payload not validated yet; without this, events are ignored. */
  onEvent?: (name: string, data: unknown) => void;
  /** A MEDIA frame (whole); without this, a media frame is a protocol violation that ends the link. */
  onMedia?: (frame: Buffer) => void;
  /** A FILE frame (whole); without this, a file chunk is a protocol violation that ends the link. */
  onFile?: (frame: Buffer) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Sends requests on one framed link, matches replies by id, and routes what else arrives. */
export class RequestChannel {
  readonly #socket: FramedSocket;
  readonly #options: RequestChannelOptions;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  /** Takes over the 'frame' and 'close' events of `socket`. */
  constructor(socket: FramedSocket, options: RequestChannelOptions) {
    this.#socket = socket;
    this.#options = options;
    socket.on('frame', (frame) => this.#onFrame(frame));
    socket.on('close', (reason) =>
      this.failAll(new MeetingError(ErrorCode.CONNECTION_CLOSED, `connection closed: ${reason}`)),
    );
  }

  /** Requests currently waiting for a reply. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Sends a request and resolves with its typed result; rejects with a MeetingError. */
  request<K extends RequestType>(type: K, data: RequestParams<K>): Promise<RequestResults[K]> {
    if (this.#socket.closed) {
      return Promise.reject(new MeetingError(ErrorCode.CONNECTION_CLOSED, 'connection closed'));
    }
    const id = this.#nextId++;
    return new Promise<RequestResults[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new MeetingError(
            ErrorCode.TIMEOUT,
            `no reply to ${type} within ${this.#options.timeoutMs} ms`,
          ),
        );
      }, this.#options.timeoutMs);
      // The reply's data is the server's answer to this type (replies are not validated here).
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.#socket.sendControl({ id, type, data });
    });
  }

  /** Rejects every waiting request with `error`. */
  failAll(error: Error): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(error);
    }
  }

  #onFrame(frame: Buffer): void {
    const onMedia = this.#options.onMedia;
    if (onMedia && frameType(frame) === FrameType.MEDIA) {
      onMedia(frame);
      return;
    }
    const onFile = this.#options.onFile;
    if (onFile && frameType(frame) === FrameType.FILE) {
      onFile(frame);
      return;
    }
    let message: ServerMessageT;
    try {
      message = parseServerMessage(decodeControlFrame(frame));
    } catch (error) {
      // A server that sends what this client cannot read is broken: end the link it came on.
      this.#socket.destroy(`bad message from server: ${(error as Error).message}`);
      return;
    }
    if ('id' in message) this.#settle(message);
    else this.#options.onEvent?.(message.event, message.data);
  }

  /** Settles the request a reply answers; a reply to no waiting request is ignored. */
  #settle(reply: Reply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (reply.ok) {
      pending.resolve(reply.data);
      return;
    }
    const code: ErrorCodeValue = isErrorCode(reply.error.code)
      ? reply.error.code
      : ErrorCode.INTERNAL;
    pending.reject(new MeetingError(code, reply.error.message));
  }
}
