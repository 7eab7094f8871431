/**
 * A meeting in progress on this node: owns its members (in join order, the oldest first), its host,
 * its options and its media relay. Only node-local state lives here; the owner (Rooms) writes the
 * database when told by the room's events. `close()` is idempotent and cascades to the members.
 */
import type { MediaLinkKind } from '../common/links';
import type {
  LeaveReason,
  MeetingInfo,
  MemberInfo,
  RoomOptions,
  ServerEventName,
  ServerEvents,
} from '../common/protocol';
import { TypedEmitter } from '../common/TypedEmitter';
import { Member, type MediaRateCaps, type MemberSession } from './Member';
import { Relay } from './Relay';
import { RoomObserver } from './RoomObserver';

export type RoomEvents = {
  /** A member that others had seen join left (for the owner's database rows). */
  memberLeft: [member: Member, reason: LeaveReason];
  /** The host left and `member` took over. */
  hostChanged: [member: Member];
  /** The last member left (or the room was closed); the owner forgets the room. */
  '@close': [];
};

export interface RoomOptionsInit {
  meeting: MeetingInfo;
  rateCaps: MediaRateCaps;
}

export class Room extends TypedEmitter<RoomEvents> {
  readonly meeting: MeetingInfo;
  /** Typed events for watchers (bench, tests, metrics, recording). */
  readonly observer = new RoomObserver();
  readonly relay: Relay;
  readonly options: RoomOptions = { allowMultipleScreens: false };
  readonly #rateCaps: MediaRateCaps;
  readonly #members = new Map<number, Member>();
  /** Members whose arrival the others were told of (a join rolled back is never announced). */
  readonly #announced = new Set<number>();
  #hostMemberId: number | null = null;
  #closed = false;

  constructor(init: RoomOptionsInit) {
    super();
    this.meeting = init.meeting;
    this.#rateCaps = init.rateCaps;
    this.relay = new Relay({
      observer: this.observer,
      members: () => this.#members.values(),
      allowMultipleScreens: () => this.options.allowMultipleScreens,
    });
  }

  get id(): string {
    return this.meeting.id;
  }
  get size(): number {
    return this.#members.size;
  }
  get closed(): boolean {
    return this.#closed;
  }
  get host(): Member | undefined {
    return this.#hostMemberId === null ? undefined : this.#members.get(this.#hostMemberId);
  }

  member(memberId: number): Member | undefined {
    return this.#members.get(memberId);
  }

  members(): IterableIterator<Member> {
    return this.#members.values();
  }

  memberInfos(): MemberInfo[] {
    return [...this.#members.values()].map((m) => this.infoOf(m));
  }

  infoOf(m: Member): MemberInfo {
    return m.info(m.id === this.#hostMemberId, this.relay.sharing(m.id));
  }

  findByUsername(username: string): Member | undefined {
    for (const m of this.#members.values()) if (m.username === username) return m;
    return undefined;
  }

  /**
   * Adds a session as a member without telling the others yet (`announce` does, once the joiner
   * got its reply); the first member of an empty room becomes host.
   */
  add(session: MemberSession, joinedAt: number): Member {
    if (this.#closed) throw new TypeError('room is closed');
    const member = new Member({
      session,
      observer: this.observer,
      rateCaps: this.#rateCaps,
      joinedAt,
    });
    this.#members.set(member.id, member);
    if (this.#hostMemberId === null) this.#hostMemberId = member.id;
    member.once('@close', (reason) => this.#onMemberClosed(member, reason));
    return member;
  }

  /** Tells the others that `member` joined. */
  announce(member: Member): void {
    if (!this.#members.has(member.id) || this.#announced.has(member.id)) return;
    this.#announced.add(member.id);
    this.broadcast('memberJoined', this.infoOf(member), member);
    this.observer.safeEmit('memberJoined', member.id, member.username);
  }

  /** Whether the others were told of `member` (its join was not rolled back). */
  announced(member: Member): boolean {
    return this.#announced.has(member.id);
  }

  /** Tells the others that `member`'s client dropped (reconnecting) or came back. */
  connectionChanged(member: Member): void {
    if (!this.#members.has(member.id)) return;
    const state = member.session.detached ? 'reconnecting' : 'connected';
    this.broadcast('memberConnection', { memberId: member.id, state }, member);
    this.observer.safeEmit('memberConnection', member.id, state);
  }

  /**
   * Restores a member of a room reopened after a restart: already known to the others, so marked
   * announced without telling anyone; `host` makes it the host.
   */
  restoreMember(member: Member, host: boolean): void {
    if (!this.#members.has(member.id)) return;
    this.#announced.add(member.id);
    if (host) this.#hostMemberId = member.id;
  }

  /** Asks for the screen-share grant (the rule lives in the relay); tells the room when granted. */
  startScreenShare(member: Member): boolean {
    const had = this.relay.sharing(member.id);
    if (!this.relay.grantScreen(member.id)) return false;
    if (!had) this.broadcast('screenShare', { memberId: member.id, active: true });
    return true;
  }

  stopScreenShare(member: Member): void {
    if (this.relay.revokeScreen(member.id))
      this.broadcast('screenShare', { memberId: member.id, active: false });
  }

  /** The member holding the oldest screen-share grant, if any. */
  firstSharer(): Member | undefined {
    const [id] = this.relay.sharers();
    return id === undefined ? undefined : this.#members.get(id);
  }

  /** A media frame from `member`'s `kind` link. */
  relayFrom(member: Member, kind: MediaLinkKind, frame: Buffer): void {
    this.relay.forward(member, kind, frame);
  }

  /** Sends an event to every announced member but `except`. */
  broadcast<K extends ServerEventName>(event: K, data: ServerEvents[K], except?: Member): void {
    for (const m of this.#members.values())
      if (m !== except && this.#announced.has(m.id)) m.sendEvent(event, data);
  }

  /** Closes every member and the room. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const m of [...this.#members.values()]) m.close('disconnected');
    this.#members.clear();
    this.safeEmit('@close');
  }

  #onMemberClosed(member: Member, reason: LeaveReason): void {
    if (this.#members.get(member.id) !== member) return;
    const announced = this.#announced.delete(member.id);
    this.stopScreenShare(member);
    this.#members.delete(member.id);
    if (announced) {
      this.broadcast('memberLeft', {
        memberId: member.id,
        userId: member.userId,
        username: member.username,
        reason,
      });
      this.observer.safeEmit('memberLeft', member.id, reason);
      this.safeEmit('memberLeft', member, reason);
    }
    if (this.#hostMemberId === member.id) {
      const next: Member | undefined = this.#members.values().next().value;
      this.#hostMemberId = next ? next.id : null;
      if (next) {
        this.broadcast('hostChanged', {
          memberId: next.id,
          userId: next.userId,
          username: next.username,
        });
        this.safeEmit('hostChanged', next);
      }
    }
    if (this.#members.size === 0 && !this.#closed) this.close();
  }
}
