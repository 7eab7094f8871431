/**
 * The rooms open on this node, and the database rows of their life: a room opens when its meeting's
 * first member enters and ends when the last one leaves. Owns every Room and forgets it on '@close'.
 * Node-local state (Room, Member) stays in memory; shared state (meetings, attendance) is written
 * here, so a meeting could later be reopened on another node from the rows alone.
 */
import type { Database, Meeting } from '../db';
import { RoomOptionsSchema, type MeetingInfo } from '../common/protocol';
import { TypedEmitter } from '../common/TypedEmitter';
import type { AccessLog } from './AccessLog';
import type { Member, MediaRateCaps } from './Member';
import { Room } from './Room';
import type { Session } from './Session';
import type { Writes } from './Writes';

export interface RoomsOptions {
  db: Database;
  access: AccessLog;
  writes: Writes;
  rateCaps: MediaRateCaps;
}

export function toMeetingInfo(m: Meeting): MeetingInfo {
  return {
    id: m.id,
    name: m.name,
    hasPassword: m.passwordHash !== null,
    hostUserId: m.hostUserId,
    createdAt: m.createdAt,
  };
}

export type RoomsEvents = {
  roomOpened: [room: Room];
};

export class Rooms extends TypedEmitter<RoomsEvents> {
  readonly #rooms = new Map<string, Room>();
  readonly #options: RoomsOptions;
  /** Attendance row of each announced member (its join/leave times). */
  readonly #rows = new WeakMap<Member, Promise<number>>();
  #suspending = false;

  constructor(options: RoomsOptions) {
    super();
    this.#options = options;
  }

  get(meetingId: string): Room | undefined {
    return this.#rooms.get(meetingId);
  }

  /** Rooms open on this node. */
  get size(): number {
    return this.#rooms.size;
  }

  /**
   * The meeting's room, opened (and the meeting reopened in the database) if need be. `stale`: the
   * row may predate this node ending the meeting (a join that saw the room close), so reopen anyway.
   */
  async open(meeting: Meeting, stale = false): Promise<Room> {
    const live = this.#rooms.get(meeting.id);
    if (live) return live;
    if (stale || meeting.endedAt !== null) await this.#options.db.meetings.reopen(meeting.id);
    // Another request may have opened it while the database answered.
    const raced = this.#rooms.get(meeting.id);
    if (raced) return raced;
    return this.#create(meeting);
  }

  /**
   * Reopens, after a restart, the room of a meeting that was open when the server stopped, with
   * the sessions that were its members (restored, waiting for their clients to resume): same
   * member ids, host and options. Returns null when none of them was in it.
   */
  async restore(
    meeting: Meeting,
    sessions: Array<{ session: Session; joinedAt: number; screen: boolean }>,
  ): Promise<Room | null> {
    if (sessions.length === 0) return null;
    const room = this.#create(meeting);
    const options = await this.#options.db.meetings.roomOptions(meeting.id);
    const parsed = RoomOptionsSchema.safeParse(options);
    if (parsed.success) Object.assign(room.options, parsed.data);
    const host = sessions.find((s) => s.session.userId === meeting.hostUserId) ?? sessions[0];
    for (const { session, joinedAt, screen } of [...sessions].sort(
      (a, b) => a.joinedAt - b.joinedAt,
    )) {
      const member = session.enter(room, joinedAt);
      room.restoreMember(member, session === host?.session);
      // What was off stays refused until the member turns it on itself (a host's mute survives).
      if (!session.audioOn) member.silence('audio');
      if (!session.videoOn) member.silence('video');
      if (screen) room.startScreenShare(member);
      const stay = await this.#options.db.meetings.openStay(meeting.id, session.userId);
      if (stay !== undefined) this.#rows.set(member, Promise.resolve(stay));
    }
    return room;
  }

  #create(meeting: Meeting): Room {
    const room = new Room({ meeting: toMeetingInfo(meeting), rateCaps: this.#options.rateCaps });
    this.#rooms.set(meeting.id, room);
    const { db, writes } = this.#options;
    room.on('hostChanged', (host) => writes.track(db.meetings.setHost(room.id, host.userId)));
    room.on('memberLeft', (member, reason) => this.#recordLeave(room, member, reason));
    room.once('@close', () => {
      if (this.#rooms.get(room.id) === room) this.#rooms.delete(room.id);
      // A shutdown keeps the meeting open in the database for the restarted server.
      if (this.#suspending) return;
      writes.track(db.meetings.end(room.id, Date.now()));
      writes.track(db.meetings.setRoomOptions(room.id, null));
    });
    this.safeEmit('roomOpened', room);
    return room;
  }

  /**
   * Records that `member` was announced in `room` (after the joiner got its reply): attendance
   * row, host row if it became host, access log.
   */
  recordJoin(room: Room, member: Member, session: Session): void {
    const { db, writes, access } = this.#options;
    if (room.host === member && room.meeting.hostUserId !== member.userId)
      writes.track(db.meetings.setHost(room.id, member.userId));
    const row = db.meetings.addMember({
      meetingId: room.id,
      userId: member.userId,
      joinedAt: member.joinedAt,
      address: session.address,
    });
    this.#rows.set(member, row);
    writes.track(row);
    writes.track(db.sessions.setMeeting(session.id, room.id, member.joinedAt));
    access.record('join', {
      userId: member.userId,
      username: member.username,
      address: session.address,
      meetingId: room.id,
    });
  }

  /** Ends every room. */
  closeAll(): void {
    for (const room of [...this.#rooms.values()]) room.close();
  }

  /**
   * Server shutdown: every room closes on this node but the database keeps the meetings open and
   * their members' stays, for the restarted server to restore.
   */
  suspendAll(): void {
    this.#suspending = true;
    this.closeAll();
  }

  #recordLeave(room: Room, member: Member, reason: string): void {
    if (this.#suspending) return;
    const { db, writes, access } = this.#options;
    writes.track(db.sessions.setMeeting(member.id, null, null));
    const row = this.#rows.get(member);
    this.#rows.delete(member);
    const at = Date.now();
    if (row) writes.track(row.then((id) => db.meetings.markLeft(id, at)));
    access.record('leave', {
      userId: member.userId,
      username: member.username,
      address: member.session.address,
      meetingId: room.id,
      detail: reason,
    });
  }
}
