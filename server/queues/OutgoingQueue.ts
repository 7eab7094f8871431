/**
 * A receiver's outgoing queue for one media link: what the relay does with a frame for a receiver
 * that may not keep up. One small policy class per delivery mode of `common/links.ts`; the relay
 * only calls `push`.
 */
import type { FramedSocket } from '../../common/FramedSocket';
import type { MediaLinkKind } from '../../common/links';
import type { RoomObserver } from '../RoomObserver';

export abstract class OutgoingQueue {
  readonly kind: MediaLinkKind;
  readonly socket: FramedSocket;
  /** Frames written to the socket. */
  sent = 0;
  /** Frames dropped because the receiver did not keep up. */
  dropped = 0;
  protected readonly observer: RoomObserver;
  protected closed = false;

  constructor(kind: MediaLinkKind, socket: FramedSocket, observer: RoomObserver) {
    this.kind = kind;
    this.socket = socket;
    this.observer = observer;
  }

  /** Bytes queued for this receiver (socket buffer plus frames waiting in the policy). */
  abstract get queuedBytes(): number;

  /** Offers one frame from `senderId`; `acceptedAt` (hrtime) is passed only while traced. */
  abstract push(frame: Buffer, senderId: number, acceptedAt?: bigint): void;

  /** Forgets waiting frames; the socket belongs to the session and stays open. Idempotent. */
  close(): void {
    this.closed = true;
  }

  /**
   * Hands a frame to the socket: queued for the end of this event-loop turn (`now` false: the
   * fan-out, coalesced into one write per receiver and turn) or written at once (`now`: a policy
   * emptying its backlog as the socket drains).
   */
  protected write(frame: Buffer, acceptedAt: bigint | undefined, now = false): void {
    if (now) this.socket.writeFrame(frame);
    else this.socket.queueFrame(frame);
    this.sent++;
    // Timed only while an observer listens (acceptedAt is set by the relay only then); a queued
    // frame is timed as it joins the turn's batch, which goes out before the loop next waits.
    if (acceptedAt !== undefined)
      this.observer.written(this.kind, Number(process.hrtime.bigint() - acceptedAt));
  }

  protected drop(senderId: number): void {
    this.dropped++;
    this.observer.safeEmit('dropped', this.kind, 'queue-full', senderId);
  }
}
