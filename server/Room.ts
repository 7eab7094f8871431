/**
 * A meeting in progress on this node: its members in join order (the oldest first), its host, and
 * the media relay between them. Only node-local state lives here; the owner writes the database.
 */
import type {
  MeetingInfo,
  MemberInfo,
  RoomOptions,
  ServerEventName,
  ServerEvents,
} from '../common/protocol';
import { TypedEmitter } from '../common/TypedEmitter';
import type { Member } from './Member';

export type RoomEvents = {
  /** The last member left; the owner forgets the room and ends the meeting. */
  '@close': [];
};

export class Room extends TypedEmitter<RoomEvents> {
  readonly meeting: MeetingInfo;
  readonly #members = new Map<number, Member>();
  #hostMemberId: number | null = null;
  #closed = false;
  readonly options: RoomOptions = { allowMultipleScreens: false };

  constructor(meeting: MeetingInfo) {
    super();
    this.meeting = meeting;
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

  members(): IterableIterator<Member> {
    return this.#members.values();
  }

  memberInfos(): MemberInfo[] {
    return [...this.#members.values()].map((m) => m.info(m.id === this.#hostMemberId));
  }

  /** Members sharing their screen now. */
  sharers(): Member[] {
    return [...this.#members.values()].filter((m) => m.screenSharing);
  }

  /** Grants a screen share unless another member shares and the host has not allowed more. */
  startScreenShare(member: Member): boolean {
    if (member.screenSharing) return true;
    if (!this.options.allowMultipleScreens && this.sharers().length > 0) return false;
    member.screenSharing = true;
    this.broadcast('screenShare', { memberId: member.id, active: true });
    return true;
  }

  stopScreenShare(member: Member): void {
    if (!member.screenSharing) return;
    member.screenSharing = false;
    this.broadcast('screenShare', { memberId: member.id, active: false });
  }

  findByUsername(username: string): Member | undefined {
    for (const m of this.#members.values()) if (m.username === username) return m;
    return undefined;
  }

  /** Adds a member and tells the others; the first member of an empty room becomes host. */
  add(member: Member): void {
    if (this.#closed) throw new TypeError('room is closed');
    this.#members.set(member.id, member);
    member.room = this;
    if (this.#hostMemberId === null) this.#hostMemberId = member.id;
    this.broadcast('memberJoined', member.info(member.id === this.#hostMemberId), member);
  }

  /**
   * Removes a member and tells the others. Returns the new host when the host left and someone
   * remains (the oldest member). Closes the room when it becomes empty.
   */
  remove(member: Member, reason: ServerEvents['memberLeft']['reason']): Member | undefined {
    if (!this.#members.has(member.id)) return undefined;
    this.stopScreenShare(member);
    this.#members.delete(member.id);
    member.room = null;
    this.broadcast('memberLeft', {
      memberId: member.id,
      userId: member.userId,
      username: member.username,
      reason,
    });
    let newHost: Member | undefined;
    if (this.#hostMemberId === member.id) {
      newHost = this.#members.values().next().value;
      this.#hostMemberId = newHost ? newHost.id : null;
      if (newHost) {
        this.broadcast('hostChanged', {
          memberId: newHost.id,
          userId: newHost.userId,
          username: newHost.username,
        });
      }
    }
    if (this.#members.size === 0) this.close();
    return newHost;
  }

  /** Sends an event to every member but `except`. */
  broadcast<K extends ServerEventName>(event: K, data: ServerEvents[K], except?: Member): void {
    for (const m of this.#members.values()) if (m !== except) m.sendEvent(event, data);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const m of this.#members.values()) m.room = null;
    this.#members.clear();
    this.safeEmit('@close');
  }
}
