/**
 * A meeting in progress on this node: owns its members (in join order, the oldest first), its host,
 * its options and its media relay. Only node-local state lives here; the owner (Rooms) writes the
 * database when told by the room's events. `close()` is idempotent and cascades to the members.
 */
import { ROOM_ADMITTED_MAX, type MeetingRole } from '../common/constants';
import type { MediaLinkKind } from '../common/links';
import type {
  HandInfo,
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
import { WaitingRoom } from './WaitingRoom';

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
  readonly options: RoomOptions = {
    allowMultipleScreens: false,
    locked: false,
    waitingRoom: false,
  };
  /** Who waits to be let in (while `options.waitingRoom` is on). */
  readonly waiting: WaitingRoom;
  readonly #rateCaps: MediaRateCaps;
  readonly #members = new Map<number, Member>();
  /** Members whose arrival the others were told of (a join rolled back is never announced). */
  readonly #announced = new Set<number>();
  #hostMemberId: number | null = null;
  /** User ids of the co-hosts (a role lasts while the member stays). */
  readonly #coHosts = new Set<number>();
  /** Raised hands: member id -> when, in raising order. */
  readonly #hands = new Map<number, number>();
  /**
   * User ids let in (by the host, or present once): they neither wait nor meet the lock when they
   * come back, so a member whose link dropped gets back in. Oldest forgotten first.
   */
  readonly #admitted = new Set<number>();
  /** Ending for everyone: members leave without host hand-overs or leave notices. */
  #ending = false;
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
    this.waiting = new WaitingRoom({
      meetingId: this.meeting.id,
      changed: () => this.toModerators('waitingList', { waiting: this.waiting.list() }),
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
    return {
      ...m.info(m.id === this.#hostMemberId, this.relay.sharing(m.id)),
      role: this.roleOf(m),
    };
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
    this.admit(member.userId);
    if (this.isModerator(member) && this.waiting.size > 0)
      member.sendEvent('waitingList', { waiting: this.waiting.list() });
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
    this.admit(member.userId);
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

  // ---- roles, admission, moderation, hands -----------------------------------------------------

  roleOf(m: Member): MeetingRole {
    if (m.id === this.#hostMemberId) return 'host';
    return this.#coHosts.has(m.userId) ? 'co-host' : 'member';
  }

  /** The host or a co-host: may mute, remove, admit, lock. */
  isModerator(m: Member): boolean {
    return this.roleOf(m) !== 'member';
  }

  /** Sends an event to the host and the co-hosts. */
  toModerators<K extends ServerEventName>(event: K, data: ServerEvents[K]): void {
    for (const m of this.#members.values())
      if (this.#announced.has(m.id) && this.isModerator(m)) m.sendEvent(event, data);
  }

  /**
   * Gives `target` a role. A new host takes over from the old one, who becomes co-host. The room is
   * told (hostChanged, roleChanged); a new moderator gets the waiting list.
   */
  setRole(target: Member, role: MeetingRole): void {
    const changed: Member[] = [target];
    if (role === 'host') {
      const old = this.host;
      if (old === target) return;
      this.#hostMemberId = target.id;
      this.#coHosts.delete(target.userId);
      if (old) {
        this.#coHosts.add(old.userId);
        changed.push(old);
      }
      this.#hostChanged(target);
    } else if (role === 'co-host') {
      this.#coHosts.add(target.userId);
    } else {
      this.#coHosts.delete(target.userId);
    }
    for (const m of changed)
      this.broadcast('roleChanged', { memberId: m.id, userId: m.userId, role: this.roleOf(m) });
    if (this.isModerator(target) && this.waiting.size > 0)
      target.sendEvent('waitingList', { waiting: this.waiting.list() });
  }

  /** Remembers that `userId` may come in without waiting and despite the lock. */
  admit(userId: number): void {
    this.#admitted.delete(userId);
    this.#admitted.add(userId);
    if (this.#admitted.size > ROOM_ADMITTED_MAX) {
      const [oldest] = this.#admitted;
      if (oldest !== undefined) this.#admitted.delete(oldest);
    }
  }

  isAdmitted(userId: number): boolean {
    return this.#admitted.has(userId);
  }

  /** Host-muted `target`'s microphone or camera: told, the room sees it off, frames refused. */
  silence(target: Member, what: 'audio' | 'video', by: Member): void {
    target.silence(what);
    const audio = what === 'audio' ? false : target.session.audioOn;
    const video = what === 'video' ? false : target.session.videoOn;
    target.session.setMediaState(audio, video);
    this.broadcast('mediaState', { memberId: target.id, audio, video });
    target.sendEvent('moderated', {
      action: what === 'audio' ? 'mute' : 'camera-off',
      by: by.username,
    });
  }

  /** Removes `target` (it is told first); without its admission it waits or meets the lock again. */
  remove(target: Member, by: Member, barred: boolean): void {
    this.#admitted.delete(target.userId);
    target.sendEvent('removed', { by: by.username, barred });
    target.close('removed');
  }

  /** Ends the meeting for everyone: members and waiters are told, then everyone is out. */
  end(by: Member): void {
    if (this.#closed || this.#ending) return;
    this.#ending = true;
    this.broadcast('meetingEnded', { by: by.username });
    this.waiting.close();
    for (const m of [...this.#members.values()]) m.close('ended');
    this.close();
  }

  /** Raises or lowers `member`'s hand; the room is told of a change. */
  setHand(member: Member, raised: boolean, at: number): void {
    if (raised === this.#hands.has(member.id)) return;
    if (raised) this.#hands.set(member.id, at);
    else this.#hands.delete(member.id);
    this.broadcast('hand', { memberId: member.id, raised, at });
  }

  /** Raised hands, the earliest first. */
  hands(): HandInfo[] {
    return [...this.#hands].map(([memberId, at]) => ({ memberId, at }));
  }

  /** Closes every member and the room. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.waiting.close();
    for (const m of [...this.#members.values()]) m.close('disconnected');
    this.#members.clear();
    this.safeEmit('@close');
  }

  #onMemberClosed(member: Member, reason: LeaveReason): void {
    if (this.#members.get(member.id) !== member) return;
    const announced = this.#announced.delete(member.id);
    this.stopScreenShare(member);
    this.#members.delete(member.id);
    this.#hands.delete(member.id);
    this.#coHosts.delete(member.userId);
    if (this.#ending) {
      if (announced) this.safeEmit('memberLeft', member, reason);
      return;
    }
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
      // A co-host takes over first, else the member who has been here longest.
      const members = [...this.#members.values()];
      const next = members.find((m) => this.#coHosts.has(m.userId)) ?? members[0];
      this.#hostMemberId = next ? next.id : null;
      if (next) {
        this.#coHosts.delete(next.userId);
        this.#hostChanged(next);
        this.broadcast('roleChanged', { memberId: next.id, userId: next.userId, role: 'host' });
        if (this.waiting.size > 0) next.sendEvent('waitingList', { waiting: this.waiting.list() });
      }
    }
    if (this.#members.size === 0 && !this.#closed) this.close();
  }

  #hostChanged(next: Member): void {
    this.broadcast('hostChanged', {
      memberId: next.id,
      userId: next.userId,
      username: next.username,
    });
    this.safeEmit('hostChanged', next);
  }
}
