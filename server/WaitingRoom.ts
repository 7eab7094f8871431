/**
 * A room's waiting room: the users who asked to join while the waiting room was on, keyed by user
 * id, the earliest first. Owned by its Room. A waiter is told 'admitted' or 'waitingDenied' when it
 * leaves the list that way; one that goes away (session closed) is just forgotten. Bounded by
 * WAITING_ROOM_MAX; `close()` turns everyone away and is idempotent.
 */
import { WAITING_ROOM_MAX } from '../common/constants';
import type { ServerEventName, ServerEvents, WaitingInfo } from '../common/protocol';

/** What the waiting room needs from a waiting session. */
export interface Waiter {
  readonly userId: number;
  readonly username: string;
  sendEvent<K extends ServerEventName>(event: K, data: ServerEvents[K]): boolean;
}

interface Entry {
  waiter: Waiter;
  since: number;
  /** Called once the entry is gone, whatever the way (unhooks the session's close listener). */
  dispose: () => void;
}

export interface WaitingRoomOptions {
  meetingId: string;
  /** The list changed: the room tells its host and co-hosts. */
  changed: () => void;
}

export class WaitingRoom {
  readonly #meetingId: string;
  readonly #changed: () => void;
  readonly #entries = new Map<number, Entry>();
  #closed = false;

  constructor(options: WaitingRoomOptions) {
    this.#meetingId = options.meetingId;
    this.#changed = options.changed;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Who waits, the earliest first. */
  list(): WaitingInfo[] {
    return [...this.#entries.values()].map((e) => ({
      userId: e.waiter.userId,
      username: e.waiter.username,
      since: e.since,
    }));
  }

  has(userId: number): boolean {
    return this.#entries.has(userId);
  }

  /**
   * Puts `waiter` in the list (again: it keeps its place, with the newer session). Returns a
   * function that takes it out unannounced (its session ended), or null when the room is full.
   */
  add(waiter: Waiter, since: number, dispose: () => void): (() => void) | null {
    if (this.#closed) return null;
    const old = this.#entries.get(waiter.userId);
    if (!old && this.#entries.size >= WAITING_ROOM_MAX) return null;
    const entry: Entry = { waiter, since: old?.since ?? since, dispose };
    this.#entries.set(waiter.userId, entry);
    old?.dispose();
    this.#changed();
    return () => {
      if (this.#entries.get(waiter.userId) !== entry) return;
      this.#entries.delete(waiter.userId);
      entry.dispose();
      this.#changed();
    };
  }

  /** Lets `userId` in (it is told to join again); false when it was not waiting. */
  admit(userId: number): boolean {
    return this.#take(userId, 'admitted', true);
  }

  /** Turns `userId` away; false when it was not waiting. */
  deny(userId: number): boolean {
    return this.#take(userId, 'waitingDenied', true);
  }

  /** Everyone waiting now, the earliest first. */
  userIds(): number[] {
    return [...this.#entries.keys()];
  }

  /** Turns everyone away (the meeting ended). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const userId of [...this.#entries.keys()]) this.#take(userId, 'waitingDenied', false);
  }

  #take(userId: number, event: 'admitted' | 'waitingDenied', announce: boolean): boolean {
    const entry = this.#entries.get(userId);
    if (!entry) return false;
    this.#entries.delete(userId);
    entry.dispose();
    entry.waiter.sendEvent(event, { meetingId: this.#meetingId });
    if (announce) this.#changed();
    return true;
  }
}
