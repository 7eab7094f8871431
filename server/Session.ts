/**
 * A logged-in client on this node: its identity, its control link, its media links once attached,
 * its media state, and its current room membership. Owned by the SessionRegistry. `close()` is
 * idempotent and cascades: the membership closes (the room tells the others), the media links
 * close, and the registry forgets the session on '@close'.
 */
import type { FaceEffectName } from '../common/constants';
import type { FramedSocket } from '../common/FramedSocket';
import { MEDIA_LINK_KINDS, type MediaLinkKind } from '../common/links';
import type { LeaveReason, ServerEventName, ServerEvents } from '../common/protocol';
import { TypedEmitter } from '../common/TypedEmitter';
import type { Connection } from './Connection';
import type { Member, MemberSession } from './Member';
import type { Room } from './Room';

export type SessionEvents = {
  '@close': [reason: LeaveReason];
};

export interface SessionOptions {
  id: number;
  userId: number;
  username: string;
  token: string;
  control: Connection;
  effect: FaceEffectName;
}

export class Session extends TypedEmitter<SessionEvents> implements MemberSession {
  readonly id: number;
  readonly userId: number;
  readonly username: string;
  readonly token: string;
  readonly control: Connection;
  /** Cancels worker-pool work started for this session once it is gone. */
  readonly abort = new AbortController();
  audioOn = true;
  videoOn = true;
  effect: FaceEffectName;
  readonly #links = new Map<MediaLinkKind, Connection>();
  #membership: { room: Room; member: Member } | null = null;
  #closed = false;

  constructor(options: SessionOptions) {
    super();
    this.id = options.id;
    this.userId = options.userId;
    this.username = options.username;
    this.token = options.token;
    this.control = options.control;
    this.effect = options.effect;
  }

  get closed(): boolean {
    return this.#closed;
  }
  get address(): string {
    return this.control.address;
  }
  /** The room this session is a member of, if any. */
  get room(): Room | null {
    return this.#membership?.room ?? null;
  }
  get member(): Member | null {
    return this.#membership?.member ?? null;
  }

  sendEvent<K extends ServerEventName>(event: K, data: ServerEvents[K]): boolean {
    return this.control.sendEvent(event, data);
  }

  mediaSocket(kind: MediaLinkKind): FramedSocket | null {
    return this.#links.get(kind)?.framed ?? null;
  }

  /** Attaches a media link of `kind`, replacing (and closing) an earlier one. */
  attach(kind: MediaLinkKind, link: Connection): void {
    const old = this.#links.get(kind);
    this.#links.set(kind, link);
    link.becomeMedia(kind, (frame) => {
      const m = this.#membership;
      if (m && this.#links.get(kind) === link) m.room.relayFrom(m.member, kind, frame);
    });
    link.once('@close', () => {
      if (this.#links.get(kind) !== link) return;
      this.#links.delete(kind);
      this.#membership?.member.linkChanged(kind);
    });
    if (old && old !== link) old.close('replaced by a new link');
    this.#membership?.member.linkChanged(kind);
  }

  /** Enters `room` (the caller checked this session is in none); returns the new member. */
  enter(room: Room, joinedAt: number): Member {
    if (this.#membership) throw new TypeError('session is already in a room');
    const member = room.add(this, joinedAt);
    this.#membership = { room, member };
    member.once('@close', () => {
      if (this.#membership?.member === member) this.#membership = null;
    });
    return member;
  }

  /** Leaves the current room, if any. */
  leave(reason: LeaveReason): void {
    this.#membership?.member.close(reason);
  }

  /** Ends the session: leaves the room, closes the media links. Idempotent. */
  close(reason: LeaveReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.abort.abort();
    this.leave(reason);
    for (const kind of MEDIA_LINK_KINDS) this.#links.get(kind)?.close(`session closed: ${reason}`);
    this.#links.clear();
    this.safeEmit('@close', reason);
  }
}
