/**
 * A TCP socket speaking the framing layer: emits whole frames, enforces the maximum frame size in
 * both directions, and closes itself (with a reason) on malformed input. Used by both sides.
 */
import type { Socket } from 'node:net';
import { FrameDecoder, FramingError } from './framing';
import { encodeControl } from './protocol';
import { DecodeError } from './errors';
import { TypedEmitter } from './TypedEmitter';

export type FramedSocketEvents = {
  frame: [frame: Buffer];
  /** The peer sent bytes that do not decode; the socket is being closed. */
  malformed: [error: DecodeError];
  drain: [];
  close: [reason: string];
};

export class FramedSocket extends TypedEmitter<FramedSocketEvents> {
  readonly socket: Socket;
  /** Peer address as `ip:port`. */
  readonly address: string;
  readonly #decoder: FrameDecoder;
  #closed = false;
  #closeReason = 'closed';

  constructor(socket: Socket, maxFrameSize: number) {
    super();
    this.socket = socket;
    this.address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.#decoder = new FrameDecoder(maxFrameSize);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.safeEmit('drain'));
    socket.on('error', (error) => {
      this.#closeReason = `socket error: ${error.message}`;
    });
    socket.on('close', () => this.#finish());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Frame limit in both directions; a media link raises it once attached. */
  get maxFrameSize(): number {
    return this.#decoder.maxFrameSize;
  }
  set maxFrameSize(max: number) {
    this.#decoder.maxFrameSize = max;
  }

  /** Bytes queued in the socket but not yet handed to the kernel. */
  get queuedBytes(): number {
    return this.socket.writableLength;
  }

  /** Writes a whole frame; returns false when the socket wants the writer to wait for 'drain'. */
  writeFrame(frame: Buffer): boolean {
    if (this.#closed || this.socket.destroyed) return false;
    return this.socket.write(frame);
  }

  /** Encodes and writes a control message. */
  sendControl(message: object): boolean {
    return this.writeFrame(encodeControl(message, this.#decoder.maxFrameSize));
  }

  /** Ends the link after flushing what is queued; destroys it if the peer does not close. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closeReason = reason;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Drops the link at once. */
  destroy(reason: string): void {
    if (this.#closed) return;
    this.#closeReason = reason;
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    let frames: Buffer[];
    let failure: DecodeError | null = null;
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      failure = error instanceof DecodeError ? error : new DecodeError(String(error));
      // The whole frames before the garbage are handled first, however TCP cut the stream.
      frames = error instanceof FramingError ? error.frames : [];
    }
    for (const frame of frames) {
      if (this.#closed || this.socket.destroyed) return;
      this.safeEmit('frame', frame);
    }
    if (failure) {
      this.safeEmit('malformed', failure);
      this.destroy(`malformed input: ${failure.message}`);
    }
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.safeEmit('close', this.#closeReason);
  }
}
