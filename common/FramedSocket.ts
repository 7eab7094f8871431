/**
 * A TCP socket speaking the framing layer: emits whole frames, enforces the maximum frame size in
 * both directions, and closes itself (with a reason) on malformed input. Used by both sides.
 *
 * Two ways out: `writeFrame` hands a frame to the socket at once; `queueFrame` (the relay's fan-out)
 * collects the frames of one event-loop turn and hands them over in one write per socket when the
 * turn ends (setImmediate, after the poll phase has read every ready socket): one system call, and
 * one TLS record once the links have TLS, for all the frames a receiver gets in that turn.
 */
import type { Socket } from 'node:net';
import { COALESCE_MAX_BYTES } from './constants';
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
  /** Frames queued in this turn (`queueFrame`), written together when the turn ends. */
  #batch: Buffer[] = [];
  #batchBytes = 0;

  /** Sockets with a batch waiting, and whether the end-of-turn flush is scheduled. */
  static readonly #pending: FramedSocket[] = [];
  static #scheduled = false;
  static readonly #flushPending = (): void => {
    FramedSocket.#scheduled = false;
    const pending = FramedSocket.#pending;
    // A flush never queues more (it only writes), so the list cannot grow while it runs.
    for (let i = 0; i < pending.length; i++) pending[i]!.#flushBatch();
    pending.length = 0;
  };

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

  /** Bytes not yet handed to the kernel: the socket's own buffer plus this turn's batch. */
  get queuedBytes(): number {
    return this.socket.writableLength + this.#batchBytes;
  }

  /**
   * Bytes handed to the socket and not yet confirmed written (`writableLength`): what the kernel did
   * not take, and on TLS also writes it took but the socket confirms a turn later. This turn's
   * batch does not count; it is handed over shortly.
   */
  get unsentBytes(): number {
    return this.socket.writableLength;
  }

  /** Writes a whole frame now (after this turn's batch, to keep the order); false: wait for 'drain'. */
  writeFrame(frame: Buffer): boolean {
    if (this.#closed || this.socket.destroyed) return false;
    if (this.#batchBytes > 0) this.#flushBatch();
    return this.socket.write(frame);
  }

  /**
   * Queues a whole frame for the end of this event-loop turn, when all the frames queued for this
   * socket go out in one write, in order. No per-frame allocation besides the batch's array slot.
   */
  queueFrame(frame: Buffer): void {
    if (this.#closed || this.socket.destroyed) return;
    if (frame.length >= COALESCE_MAX_BYTES) {
      this.writeFrame(frame);
      return;
    }
    // A full batch goes now: the socket then says truly whether the peer keeps up (`unsentBytes`).
    if (this.#batchBytes + frame.length > COALESCE_MAX_BYTES) this.#flushBatch();
    if (this.#batchBytes === 0) {
      FramedSocket.#pending.push(this);
      if (!FramedSocket.#scheduled) {
        FramedSocket.#scheduled = true;
        setImmediate(FramedSocket.#flushPending);
      }
    }
    this.#batch.push(frame);
    this.#batchBytes += frame.length;
  }

  /** Encodes and writes a control message. */
  sendControl(message: object): boolean {
    return this.writeFrame(encodeControl(message, this.#decoder.maxFrameSize));
  }

  /** Ends the link after flushing what is queued; destroys it if the peer does not close. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closeReason = reason;
    if (this.#batchBytes > 0) this.#flushBatch();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** Drops the link at once. */
  destroy(reason: string): void {
    if (this.#closed) return;
    this.#closeReason = reason;
    this.#dropBatch();
    this.socket.destroy();
  }

  /** Writes this turn's batch as one buffer (its frames copied together, at most COALESCE_MAX_BYTES). */
  #flushBatch(): void {
    const batch = this.#batch;
    const bytes = this.#batchBytes;
    if (bytes === 0) return;
    this.#batchBytes = 0;
    if (!this.#closed && !this.socket.destroyed && !this.socket.writableEnded) {
      this.socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch, bytes));
    }
    batch.length = 0; // the same array serves the next turn
  }

  #dropBatch(): void {
    this.#batch.length = 0;
    this.#batchBytes = 0;
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
    this.#dropBatch();
    this.safeEmit('close', this.#closeReason);
  }
}
