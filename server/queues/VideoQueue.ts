/**
 * Video for one receiver: written at once while the socket keeps up; once it is backed up
 * (RELAY_VIDEO_QUEUE_BYTES queued), only the newest waiting frame of each sender's source is kept
 * and written when the socket drains. Old pictures are worthless; the newest one is what counts.
 */
import { RELAY_VIDEO_QUEUE_BYTES } from '../../common/constants';
import type { FramedSocket } from '../../common/FramedSocket';
import type { MediaLinkKind } from '../../common/links';
import { mediaSourceOf } from '../../common/media';
import type { RoomObserver } from '../RoomObserver';
import { OutgoingQueue } from './OutgoingQueue';

interface Waiting {
  frame: Buffer;
  senderId: number;
  acceptedAt: bigint | undefined;
}

export class VideoQueue extends OutgoingQueue {
  /** Newest waiting frame per sender and source (`senderId * 256 + source`), in arrival order. */
  readonly #waiting = new Map<number, Waiting>();
  #waitingBytes = 0;
  readonly #onDrain = (): void => this.#flush();

  constructor(kind: MediaLinkKind, socket: FramedSocket, observer: RoomObserver) {
    super(kind, socket, observer);
    socket.on('drain', this.#onDrain);
  }

  get queuedBytes(): number {
    return this.socket.queuedBytes + this.#waitingBytes;
  }

  push(frame: Buffer, senderId: number, acceptedAt?: bigint): void {
    if (this.closed || this.socket.closed) return;
    if (this.#waiting.size === 0 && this.socket.queuedBytes < RELAY_VIDEO_QUEUE_BYTES) {
      this.write(frame, acceptedAt);
      return;
    }
    const key = senderId * 256 + mediaSourceOf(frame);
    const older = this.#waiting.get(key);
    if (older) {
      this.#waitingBytes -= older.frame.length;
      this.drop(senderId);
    }
    this.#waiting.set(key, { frame, senderId, acceptedAt });
    this.#waitingBytes += frame.length;
  }

  override close(): void {
    super.close();
    this.socket.off('drain', this.#onDrain);
    this.#waiting.clear();
    this.#waitingBytes = 0;
  }

  #flush(): void {
    if (this.closed) return;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    this.#waitingBytes = 0;
    for (const w of waiting) this.write(w.frame, w.acceptedAt, true);
  }
}
