/**
 * A room's media relay: forwards each frame from a member to every other member of the room without
 * decoding it, and holds the media grants of the room (which sources each member may publish,
 * including the screen-share rule). The received bytes are reused: the sender id is written in place
 * once and the same buffer goes to every receiver's outgoing queue. Runs on the main thread.
 */
import { MEDIA_HEADER_BYTES, FRAME_PREFIX_BYTES, MediaSource } from '../common/constants';
import { LINK_SPECS, type MediaLinkKind } from '../common/links';
import { mediaKindOf, mediaSourceOf, stampSender } from '../common/media';
import type { Member } from './Member';
import type { DropReason, RoomObserver } from './RoomObserver';

export interface RelayOptions {
  observer: RoomObserver;
  /** The room's members now (the relay owns none of them). */
  members: () => Iterable<Member>;
  /** Whether several members may share their screens at once (the host's room option). */
  allowMultipleScreens: () => boolean;
}

export class Relay {
  readonly #observer: RoomObserver;
  readonly #members: () => Iterable<Member>;
  readonly #allowMultipleScreens: () => boolean;
  /** Members holding a screen-share grant, in grant order. */
  readonly #sharers = new Set<number>();

  constructor(options: RelayOptions) {
    this.#observer = options.observer;
    this.#members = options.members;
    this.#allowMultipleScreens = options.allowMultipleScreens;
  }

  /** Relays one whole media frame that `from` sent on its `kind` link. */
  forward(from: Member, kind: MediaLinkKind, frame: Buffer): void {
    const refused = this.#check(from, kind, frame);
    if (refused) {
      this.#observer.safeEmit('dropped', kind, refused, from.id);
      return;
    }
    // One stamp per frame, shared by all its receivers, and only while someone times writes.
    const acceptedAt = this.#observer.timing ? process.hrtime.bigint() : undefined;
    stampSender(frame, from.id);
    this.#observer.frameIn(kind, from.id, frame);
    for (const member of this.#members()) {
      if (member !== from) member.queue(kind)?.push(frame, from.id, acceptedAt);
    }
  }

  // ---- grants ---------------------------------------------------------------------------------

  /** True when `memberId` may publish frames of `source` now. */
  granted(memberId: number, source: number): boolean {
    if (source === MediaSource.CAMERA) return true; // the camera and the microphone are source 0
    if (source === MediaSource.SCREEN) return this.#sharers.has(memberId);
    return false;
  }

  /** Whether `memberId` holds the screen-share grant. */
  sharing(memberId: number): boolean {
    return this.#sharers.has(memberId);
  }

  /** Members holding the screen-share grant, oldest grant first. */
  sharers(): number[] {
    return [...this.#sharers];
  }

  /**
   * The screen-share rule, in one place: one sharer per room unless the host allows several.
   * Returns false when refused; true when granted now or already held.
   */
  grantScreen(memberId: number): boolean {
    if (this.#sharers.has(memberId)) return true;
    if (!this.#allowMultipleScreens() && this.#sharers.size > 0) return false;
    this.#sharers.add(memberId);
    return true;
  }

  /** Withdraws a screen-share grant; false when the member held none. */
  revokeScreen(memberId: number): boolean {
    return this.#sharers.delete(memberId);
  }

  #check(from: Member, kind: MediaLinkKind, frame: Buffer): DropReason | null {
    if (frame.length < FRAME_PREFIX_BYTES + 1 + MEDIA_HEADER_BYTES) return 'malformed';
    if (mediaKindOf(frame) !== LINK_SPECS[kind].mediaKind) return 'wrong-kind';
    const source = mediaSourceOf(frame);
    if (!this.granted(from.id, source)) return 'not-granted';
    if (from.silenced(kind, source)) return 'muted';
    return from.admit(kind, frame.length);
  }
}
