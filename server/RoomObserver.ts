/**
 * What happens in a room, as typed events, for whoever watches without taking part: the relay
 * bench, the tests, and later metrics and recording. Nothing here changes what the room does; a
 * throwing listener is caught (safeEmit). Per-frame events cost nothing while nobody listens.
 */
import type { LeaveReason } from '../common/protocol';
import type { MediaLinkKind } from '../common/links';
import { EventEmitter } from 'node:events';
import { TypedEmitter } from '../common/TypedEmitter';

/** Why a media frame was not relayed (to anyone, or to one receiver for 'queue-full'). */
export type DropReason =
  /** Too short for a media header. */
  | 'malformed'
  /** A media kind that does not belong on the link it arrived on. */
  | 'wrong-kind'
  /** A source the sender holds no grant for (the screen without a share grant, unknown sources). */
  | 'not-granted'
  /** Over the sender's bit-rate cap for this kind. */
  | 'rate'
  /** The sender's audio is muted by the server. */
  | 'muted'
  /** One receiver did not keep up. */
  | 'queue-full';

export type RoomObserverEvents = {
  /** A member entered the room. */
  memberJoined: [memberId: number, username: string];
  /** A member left the room. */
  memberLeft: [memberId: number, reason: LeaveReason];
  /** A member's client dropped (`reconnecting`) or came back (`connected`); it did not leave. */
  memberConnection: [memberId: number, state: 'connected' | 'reconnecting'];
  /** A frame from `senderId` was accepted for relaying (once per frame, before the fan-out). */
  frameIn: [kind: MediaLinkKind, senderId: number, frame: Buffer];
  /** A frame went out on one receiver's socket `ns` nanoseconds after the relay accepted it. */
  written: [kind: MediaLinkKind, ns: number];
  /** A frame was not relayed. */
  dropped: [kind: MediaLinkKind, reason: DropReason, senderId: number];
};

type Listener<K extends keyof RoomObserverEvents> = (...args: RoomObserverEvents[K]) => void;

export class RoomObserver extends TypedEmitter<RoomObserverEvents> {
  // The two per-frame events are called through cached listener lists: EventEmitter's emit
  // allocates its arguments on every call, which the relay's hot path should not pay.
  #written: Array<Listener<'written'>> = [];
  #frameIn: Array<Listener<'frameIn'>> = [];
  #stale = true;

  constructor() {
    super();
    const stale = (): void => {
      this.#stale = true;
    };
    EventEmitter.prototype.on.call(this, 'newListener', stale);
    EventEmitter.prototype.on.call(this, 'removeListener', stale);
  }

  /** True while someone times writes: only then does the relay stamp frames on arrival. */
  get timing(): boolean {
    this.#refresh();
    return this.#written.length > 0;
  }

  /** Reports one write to a receiver (the relay's hot path; same as emitting 'written'). */
  written(kind: MediaLinkKind, ns: number): void {
    this.#refresh();
    for (const listener of this.#written) {
      try {
        listener(kind, ns);
      } catch (error) {
        this.safeEmit('listenerError', 'written', error);
      }
    }
  }

  /** Reports one accepted frame (the relay's hot path; same as emitting 'frameIn'). */
  frameIn(kind: MediaLinkKind, senderId: number, frame: Buffer): void {
    this.#refresh();
    for (const listener of this.#frameIn) {
      try {
        listener(kind, senderId, frame);
      } catch (error) {
        this.safeEmit('listenerError', 'frameIn', error);
      }
    }
  }

  #refresh(): void {
    if (!this.#stale) return;
    this.#stale = false;
    // rawListeners keeps once() wrappers, which remove themselves when called.
    this.#written = this.rawListeners('written') as Array<Listener<'written'>>;
    this.#frameIn = this.rawListeners('frameIn') as Array<Listener<'frameIn'>>;
  }
}
