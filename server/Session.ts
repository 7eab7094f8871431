/**
 * A logged-in client on this node: its identity, its control link, its media links once attached,
 * its media state, and its current room membership. Owned by the SessionRegistry. `close()` is
 * idempotent and cascades: the membership closes (the room tells the others), the media links
 * close, and the registry forgets the session on '@close'.
 *
 * A session outlives a dropped control link: `detach()` keeps it (and its member, shown to the
 * others as reconnecting) for a grace period, after which it closes itself; `reattach()` gives it
 * a new control link (a resume) and the member is back.
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
  /** The control link dropped; the session waits for a resume. */
  detached: [];
  /** A resumed control link took over. */
  reattached: [];
  '@close': [reason: LeaveReason];
};

export interface SessionOptions {
  id: number;
  userId: number;
  username: string;
  token: string;
  /** The control link; null for a session restored after a restart, waiting for its client. */
  control: Connection | null;
  effect: FaceEffectName;
  audioOn?: boolean;
  videoOn?: boolean;
}

export class Session extends TypedEmitter<SessionEvents> implements MemberSession {
  readonly id: number;
  readonly userId: number;
  readonly username: string;
  /** Media links present this to attach; replaced on every resume. */
  token: string;
  #control: Connection | null;
  /** Address of the latest control link (kept while detached, for logs and attendance). */
  #address: string;
  #grace: NodeJS.Timeout | null = null;
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
    this.#control = options.control;
    this.#address = options.control?.address ?? '-';
    this.effect = options.effect;
    this.audioOn = options.audioOn ?? true;
    this.videoOn = options.videoOn ?? true;
  }

  /** The control link, or null while detached. */
  get control(): Connection | null {
    return this.#control;
  }
  /** True while the session has no control link (its client is reconnecting). */
  get detached(): boolean {
    return this.#control === null;
  }

  get closed(): boolean {
    return this.#closed;
  }
  get address(): string {
    return this.#address;
  }
  /** The room this session is a member of, if any. */
  get room(): Room | null {
    return this.#membership?.room ?? null;
  }
  get member(): Member | null {
    return this.#membership?.member ?? null;
  }

  setMediaState(audio: boolean, video: boolean): void {
    this.audioOn = audio;
    this.videoOn = video;
  }

  /** Sends an event on the control link; false while detached (a resume sends the state anew). */
  sendEvent<K extends ServerEventName>(event: K, data: ServerEvents[K]): boolean {
    return this.#control?.sendEvent(event, data) ?? false;
  }

  /**
   * The control link dropped: the media links close, the member stays (the room tells the others
   * it is reconnecting), and the session closes itself with `reason` unless it is resumed within
   * `graceMs`.
   */
  detach(graceMs: number, reason: LeaveReason): void {
    if (this.#closed) return;
    this.#control = null;
    for (const kind of MEDIA_LINK_KINDS) this.#links.get(kind)?.close('session detached');
    if (this.#grace) clearTimeout(this.#grace);
    this.#grace = setTimeout(() => this.close(reason), graceMs);
    this.#grace.unref();
    this.#membership?.room.connectionChanged(this.#membership.member);
    this.safeEmit('detached');
  }

  /** A resumed control link takes over (the caller closed or unhooked the old one). */
  reattach(control: Connection, token: string): void {
    if (this.#closed) throw new TypeError('session is closed');
    if (this.#grace) clearTimeout(this.#grace);
    this.#grace = null;
    this.#control = control;
    this.#address = control.address;
    this.token = token;
    this.#membership?.room.connectionChanged(this.#membership.member);
    this.safeEmit('reattached');
  }

  mediaSocket(kind: MediaLinkKind): FramedSocket | null {
    return this.#links.get(kind)?.framed ?? null;
  }

  /** Attaches a media link of `kind`, replacing (and closing) an earlier one. */
  attach(kind: MediaLinkKind, link: Connection): void {
    const old = this.#links.get(kind);
    this.#links.set(kind, link);
    link.becomeLink(kind, (frame) => {
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
    if (this.#grace) clearTimeout(this.#grace);
    this.#grace = null;
    this.abort.abort();
    this.leave(reason);
    for (const kind of MEDIA_LINK_KINDS) this.#links.get(kind)?.close(`session closed: ${reason}`);
    this.#links.clear();
    this.safeEmit('@close', reason);
  }
}
