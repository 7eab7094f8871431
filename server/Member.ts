/**
 * A session's presence in one room: owned by the Room, it holds the room-scoped state (join time,
 * the outgoing queue of each attached media link, the sender's rate caps) and forgets it all on
 * `close()`. The session (identity, links) outlives it; the room learns of the end by '@close'.
 */
import { MediaSource, type FaceEffectName } from '../common/constants';
import type { FramedSocket } from '../common/FramedSocket';
import { MEDIA_LINK_KINDS, type MediaLinkKind } from '../common/links';
import type { LeaveReason, MemberInfo, ServerEventName, ServerEvents } from '../common/protocol';
import { TypedEmitter } from '../common/TypedEmitter';
import { createOutgoingQueue, type OutgoingQueue } from './queues';
import type { DropReason, RoomObserver } from './RoomObserver';
import { TokenBucket } from './TokenBucket';

export type MemberEvents = {
  '@close': [reason: LeaveReason];
};

/** What a member needs from its session: identity, media state, events and its media links. */
export interface MemberSession {
  readonly id: number;
  readonly userId: number;
  readonly username: string;
  readonly audioOn: boolean;
  readonly videoOn: boolean;
  readonly effect: FaceEffectName;
  readonly address: string;
  /** True while the client is reconnecting (no control link). */
  readonly detached: boolean;
  /** Records the member's microphone and camera state (a host turned one off). */
  setMediaState(audio: boolean, video: boolean): void;
  sendEvent<K extends ServerEventName>(event: K, data: ServerEvents[K]): boolean;
  mediaSocket(kind: MediaLinkKind): FramedSocket | null;
}

/** Bit-rate cap per media link kind: bytes per second and burst bytes. */
export type MediaRateCaps = Readonly<
  Record<MediaLinkKind, { bytesPerSecond: number; burstBytes: number }>
>;

export interface MemberOptions {
  session: MemberSession;
  observer: RoomObserver;
  rateCaps: MediaRateCaps;
  joinedAt: number;
}

export class Member extends TypedEmitter<MemberEvents> {
  readonly session: MemberSession;
  readonly joinedAt: number;
  readonly #observer: RoomObserver;
  readonly #queues = new Map<MediaLinkKind, OutgoingQueue>();
  readonly #buckets = new Map<MediaLinkKind, TokenBucket>();
  /** Sources a host turned off: their frames are refused until the member turns them on. */
  readonly #silenced = { audio: false, video: false };
  #closed = false;

  constructor(options: MemberOptions) {
    super();
    this.session = options.session;
    this.joinedAt = options.joinedAt;
    this.#observer = options.observer;
    for (const kind of MEDIA_LINK_KINDS) {
      const cap = options.rateCaps[kind];
      this.#buckets.set(kind, new TokenBucket(cap.bytesPerSecond, cap.burstBytes));
      this.linkChanged(kind);
    }
  }

  get id(): number {
    return this.session.id;
  }
  get userId(): number {
    return this.session.userId;
  }
  get username(): string {
    return this.session.username;
  }
  get closed(): boolean {
    return this.#closed;
  }

  /** The outgoing queue of this member's `kind` link, when that link is attached. */
  queue(kind: MediaLinkKind): OutgoingQueue | undefined {
    return this.#queues.get(kind);
  }

  /** The session's `kind` link was attached, replaced or lost: a fresh queue follows it. */
  linkChanged(kind: MediaLinkKind): void {
    this.#queues.get(kind)?.close();
    this.#queues.delete(kind);
    const socket = this.session.mediaSocket(kind);
    if (socket && !this.#closed) {
      this.#queues.set(kind, createOutgoingQueue(kind, socket, this.#observer));
    }
  }

  /** Charges a frame to this sender's rate cap; the reason it is refused, or null. */
  admit(kind: MediaLinkKind, bytes: number): DropReason | null {
    return this.#buckets.get(kind)?.take(bytes) === false ? 'rate' : null;
  }

  /** A host turned this member's microphone (audio) or camera (video) off. */
  silence(what: 'audio' | 'video'): void {
    this.#silenced[what] = true;
  }

  /** The member itself set its media state: what it turned on is no longer silenced. */
  mediaStateSet(audio: boolean, video: boolean): void {
    if (audio) this.#silenced.audio = false;
    if (video) this.#silenced.video = false;
  }

  /** Whether a frame of `source` on the `kind` link is refused because a host turned it off. */
  silenced(kind: MediaLinkKind, source: number): boolean {
    if (kind === 'audio') return this.#silenced.audio;
    return kind === 'video' && source === MediaSource.CAMERA && this.#silenced.video;
  }

  info(isHost: boolean, screen: boolean): MemberInfo {
    const s = this.session;
    return {
      memberId: s.id,
      userId: s.userId,
      username: s.username,
      isHost,
      audio: s.audioOn,
      video: s.videoOn,
      effect: s.effect,
      screen,
      joinedAt: this.joinedAt,
      reconnecting: s.detached,
    };
  }

  sendEvent<K extends ServerEventName>(event: K, data: ServerEvents[K]): boolean {
    return this.session.sendEvent(event, data);
  }

  /** Leaves the room: queues are dropped (the links stay with the session). Idempotent. */
  close(reason: LeaveReason): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const q of this.#queues.values()) q.close();
    this.#queues.clear();
    this.safeEmit('@close', reason);
  }
}
