/**
 * Audio for one receiver, fair between senders. While the socket takes frames at once they go
 * straight out (coalesced with the others of this event-loop turn, FramedSocket.queueFrame). Once
 * it holds unsent bytes, each sender's frames wait in that sender's own FIFO of at most about
 * RELAY_AUDIO_QUEUE_MS of frames (its oldest is dropped first), and a short timer writes them
 * round-robin as the socket empties. A sender that floods loses its own frames, never
 * another member's; late audio is worthless, so nothing waits longer than about that bound.
 */
import {
  AUDIO_FRAME_MS,
  RELAY_AUDIO_FLUSH_MS,
  RELAY_AUDIO_QUEUE_MS,
  RELAY_AUDIO_SOCKET_SLACK_BYTES as SLACK,
} from '../../common/constants';
import { OutgoingQueue } from './OutgoingQueue';

/** Frames one sender may have waiting for one receiver. */
const PER_SENDER_FRAMES = Math.max(1, Math.floor(RELAY_AUDIO_QUEUE_MS / AUDIO_FRAME_MS));

interface Fifo {
  senderId: number;
  frames: Buffer[];
  stamps: Array<bigint | undefined>;
}

export class AudioQueue extends OutgoingQueue {
  readonly #fifos = new Map<number, Fifo>();
  #waitingBytes = 0;
  #timer: NodeJS.Timeout | null = null;

  get queuedBytes(): number {
    return this.socket.queuedBytes + this.#waitingBytes;
  }

  push(frame: Buffer, senderId: number, acceptedAt?: bigint): void {
    if (this.closed || this.socket.closed) return;
    if (this.#waitingBytes === 0 && this.socket.unsentBytes < SLACK) {
      this.write(frame, acceptedAt);
      return;
    }
    let fifo = this.#fifos.get(senderId);
    if (!fifo) {
      fifo = { senderId, frames: [], stamps: [] };
      this.#fifos.set(senderId, fifo);
    }
    // The socket's own backlog counts against the sender's bound, so one sender never has more
    // than about RELAY_AUDIO_QUEUE_MS between the relay and the wire.
    const inSocket = Math.ceil(this.socket.queuedBytes / Math.max(1, frame.length));
    const room = Math.max(1, PER_SENDER_FRAMES - (this.#fifos.size === 1 ? inSocket : 0));
    while (fifo.frames.length >= room) {
      this.#waitingBytes -= (fifo.frames.shift() as Buffer).length;
      fifo.stamps.shift();
      this.drop(senderId);
    }
    fifo.frames.push(frame);
    fifo.stamps.push(acceptedAt);
    this.#waitingBytes += frame.length;
    this.#timer ??= setInterval(() => this.#flush(), RELAY_AUDIO_FLUSH_MS);
  }

  override close(): void {
    super.close();
    this.#stop();
    this.#fifos.clear();
    this.#waitingBytes = 0;
  }

  /** One frame per sender per round while the socket has (almost) nothing unsent. */
  #flush(): void {
    if (this.closed || this.socket.closed) {
      this.close();
      return;
    }
    while (this.#waitingBytes > 0 && this.socket.unsentBytes < SLACK) {
      for (const [id, fifo] of this.#fifos) {
        const frame = fifo.frames.shift();
        if (!frame) {
          this.#fifos.delete(id);
          continue;
        }
        this.#waitingBytes -= frame.length;
        this.write(frame, fifo.stamps.shift(), true);
      }
    }
    if (this.#waitingBytes === 0) this.#stop();
  }

  #stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
