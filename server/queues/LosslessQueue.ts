/**
 * The `lossless` delivery mode (the files link): nothing is ever dropped; instead the producer
 * waits. `send()` writes a frame and resolves at once while the socket has less than the high-water
 * mark unsent, else once it drains; it rejects when the link closes. Memory per receiver is bounded
 * by the mark plus one frame per producer, however slowly the receiver reads.
 */
import { LOSSLESS_HIGH_WATER_BYTES } from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { FramedSocket } from '../../common/FramedSocket';

export class LosslessQueue {
  readonly socket: FramedSocket;
  readonly #highWater: number;
  /** Frames written. */
  sent = 0;
  #closed = false;
  readonly #waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  readonly #onDrain = (): void => this.#wake(null);
  readonly #onClose = (): void => this.close();

  constructor(socket: FramedSocket, highWater = LOSSLESS_HIGH_WATER_BYTES) {
    this.socket = socket;
    this.#highWater = highWater;
    socket.on('drain', this.#onDrain);
    socket.on('close', this.#onClose);
  }

  get queuedBytes(): number {
    return this.socket.queuedBytes;
  }

  /** Writes `frame`; resolves when the producer may send the next one. */
  async send(frame: Buffer): Promise<void> {
    if (this.#closed || this.socket.closed)
      throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'files link closed');
    this.socket.writeFrame(frame);
    this.sent++;
    if (this.socket.queuedBytes <= this.#highWater) return;
    await new Promise<void>((resolve, reject) => this.#waiters.add({ resolve, reject }));
  }

  /** Fails every waiting producer; the socket belongs to the link. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.off('drain', this.#onDrain);
    this.socket.off('close', this.#onClose);
    this.#wake(new MeetingError(ErrorCode.CONNECTION_CLOSED, 'files link closed'));
  }

  #wake(error: Error | null): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) {
      if (error) w.reject(error);
      else w.resolve();
    }
  }
}
