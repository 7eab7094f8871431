import type { Knex } from 'knex';
import { DuplicateError, isUniqueViolation } from '../errors';
import { checkInteger, checkString, toNullableNumber, toNumber, truncate } from '../rows';

/** A meeting room; it outlives its sessions and can be reopened. */
export interface Meeting {
  id: string;
  name: string;
  passwordHash: string | null;
  hostUserId: number;
  createdByUserId: number;
  createdAt: number;
  endedAt: number | null;
}

/** One stay of a user in a meeting. */
export interface Attendance {
  userId: number;
  joinedAt: number;
  leftAt: number | null;
}

interface MeetingRow {
  id: string;
  name: string;
  password_hash: string | null;
  host_user_id: number | string;
  created_by_user_id: number | string;
  created_at: number | string;
  ended_at: number | string | null;
}

interface MemberRow {
  user_id: number | string;
  joined_at: number | string;
  left_at: number | string | null;
}

function fromRow(row: MeetingRow): Meeting {
  return {
    id: row.id,
    name: row.name,
    passwordHash: row.password_hash,
    hostUserId: toNumber(row.host_user_id, 'meetings.host_user_id'),
    createdByUserId: toNumber(row.created_by_user_id, 'meetings.created_by_user_id'),
    createdAt: toNumber(row.created_at, 'meetings.created_at'),
    endedAt: toNullableNumber(row.ended_at, 'meetings.ended_at'),
  };
}

/** Meetings (`meetings`) and their attendance (`meeting_members`). */
export class MeetingRepository {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /** Inserts an open meeting; throws DuplicateError (constraint `meetings.id`) if the id exists. */
  async create(m: Omit<Meeting, 'endedAt'>): Promise<Meeting> {
    checkString(m.id, 'id', 16);
    checkString(m.name, 'name', 100);
    if (m.passwordHash !== null) checkString(m.passwordHash, 'passwordHash', 255);
    checkInteger(m.hostUserId, 'hostUserId');
    checkInteger(m.createdByUserId, 'createdByUserId');
    checkInteger(m.createdAt, 'createdAt');
    try {
      await this.#knex('meetings').insert({
        id: m.id,
        name: m.name,
        password_hash: m.passwordHash,
        host_user_id: m.hostUserId,
        created_by_user_id: m.createdByUserId,
        created_at: m.createdAt,
        ended_at: null,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new DuplicateError('meetings.id', { cause: err });
      throw err;
    }
    return {
      id: m.id,
      name: m.name,
      passwordHash: m.passwordHash,
      hostUserId: m.hostUserId,
      createdByUserId: m.createdByUserId,
      createdAt: m.createdAt,
      endedAt: null,
    };
  }

  async findById(id: string): Promise<Meeting | undefined> {
    const row = (await this.#knex('meetings').where({ id }).first()) as MeetingRow | undefined;
    return row && fromRow(row);
  }

  /** Hands the host role to `userId`. */
  async setHost(id: string, userId: number): Promise<void> {
    checkInteger(userId, 'userId');
    await this.#knex('meetings').where({ id }).update({ host_user_id: userId });
  }

  /** Marks the meeting ended at `at` (ms). */
  async end(id: string, at: number): Promise<void> {
    checkInteger(at, 'at');
    await this.#knex('meetings').where({ id }).update({ ended_at: at });
  }

  /** Clears `endedAt` so the meeting can be joined again. */
  async reopen(id: string): Promise<void> {
    await this.#knex('meetings').where({ id }).update({ ended_at: null });
  }

  /** Meetings not ended: open on some node, or open when a server stopped without ending them. */
  async unended(): Promise<Meeting[]> {
    const rows = (await this.#knex('meetings').whereNull('ended_at')) as MeetingRow[];
    return rows.map(fromRow);
  }

  /** Keeps the host's room options (JSON) with the open meeting; null clears them. */
  async setRoomOptions(id: string, options: object | null): Promise<void> {
    await this.#knex('meetings')
      .where({ id })
      .update({ room_options: options === null ? null : JSON.stringify(options) });
  }

  /** The host's room options stored with the meeting (parsed JSON), or null. */
  async roomOptions(id: string): Promise<unknown> {
    const row = (await this.#knex('meetings').select('room_options').where({ id }).first()) as
      { room_options: string | null } | undefined;
    return row?.room_options ? (JSON.parse(row.room_options) as unknown) : null;
  }

  /** The row id of the user's stay in the meeting that has not ended, if any (for `markLeft`). */
  async openStay(meetingId: string, userId: number): Promise<number | undefined> {
    const row = (await this.#knex('meeting_members')
      .select('id')
      .where({ meeting_id: meetingId, user_id: userId })
      .whereNull('left_at')
      .orderBy('id', 'desc')
      .first()) as { id: number | string } | undefined;
    return row && toNumber(row.id, 'meeting_members.id');
  }

  /** Closes every stay of the meeting still open (a meeting ended while nobody was connected). */
  async closeStays(meetingId: string, at: number): Promise<void> {
    checkInteger(at, 'at');
    await this.#knex('meeting_members')
      .where({ meeting_id: meetingId })
      .whereNull('left_at')
      .update({ left_at: at });
  }

  /** Records that a user joined; returns the row id to pass to `markLeft`. */
  async addMember(r: {
    meetingId: string;
    userId: number;
    joinedAt: number;
    address: string | null;
  }): Promise<number> {
    checkInteger(r.userId, 'userId');
    checkInteger(r.joinedAt, 'joinedAt');
    const ids: number[] = await this.#knex('meeting_members').insert({
      meeting_id: r.meetingId,
      user_id: r.userId,
      joined_at: r.joinedAt,
      left_at: null,
      // Informational only: cut rather than fail on an odd address.
      address: r.address === null ? null : truncate(r.address, 64),
    });
    return toNumber(ids[0], 'meeting_members.id');
  }

  /** Records that the stay `rowId` (from `addMember`) ended at `at` (ms). */
  async markLeft(rowId: number, at: number): Promise<void> {
    checkInteger(at, 'at');
    await this.#knex('meeting_members').where({ id: rowId }).update({ left_at: at });
  }

  /** Every stay in the meeting, in join order. */
  async attendance(meetingId: string): Promise<Attendance[]> {
    const rows = (await this.#knex('meeting_members')
      .select('user_id', 'joined_at', 'left_at')
      .where({ meeting_id: meetingId })
      .orderBy([
        { column: 'joined_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])) as MemberRow[];
    return rows.map((row) => ({
      userId: toNumber(row.user_id, 'meeting_members.user_id'),
      joinedAt: toNumber(row.joined_at, 'meeting_members.joined_at'),
      leftAt: toNullableNumber(row.left_at, 'meeting_members.left_at'),
    }));
  }

  /**
   * Meetings the user created or joined, each once, most recent first. `lastJoinedAt` is the
   * user's latest join, or the creation time for a meeting the user created but never joined.
   */
  async recentForUser(
    userId: number,
    limit: number,
  ): Promise<Array<Meeting & { lastJoinedAt: number }>> {
    checkInteger(userId, 'userId');
    checkInteger(limit, 'limit');
    if (limit === 0) return [];
    const knex = this.#knex;
    // Aggregate in a subquery so the outer query needs no GROUP BY over meeting columns.
    const joined = knex('meeting_members')
      .select('meeting_id')
      .max({ last_joined: 'joined_at' })
      .where({ user_id: userId })
      .groupBy('meeting_id')
      .as('j');
    const rows = (await knex('meetings as m')
      .leftJoin(joined, 'j.meeting_id', 'm.id')
      .select(
        'm.*',
        knex.raw('coalesce(??, ??) as ??', ['j.last_joined', 'm.created_at', 'last_joined_at']),
      )
      .where('m.created_by_user_id', userId)
      .orWhereNotNull('j.meeting_id')
      .orderBy([
        { column: 'last_joined_at', order: 'desc' },
        { column: 'm.created_at', order: 'desc' },
        { column: 'm.id', order: 'asc' },
      ])
      .limit(limit)) as Array<MeetingRow & { last_joined_at: number | string }>;
    return rows.map((row) => ({
      ...fromRow(row),
      lastJoinedAt: toNumber(row.last_joined_at, 'last_joined_at'),
    }));
  }

  // ---- host controls ---------------------------------------------------------------------------

  /** Sets (a hash) or clears (null) the meeting's password. */
  async setPassword(id: string, passwordHash: string | null): Promise<void> {
    if (passwordHash !== null) checkString(passwordHash, 'passwordHash', 255);
    await this.#knex('meetings').where({ id }).update({ password_hash: passwordHash });
  }

  /**
   * Bars `userId` from the meeting; false when the meeting already bars `max` users (the user is
   * then not barred). Barring a barred user again is a no-op that returns true.
   */
  async bar(r: {
    meetingId: string;
    userId: number;
    byUserId: number;
    at: number;
    max: number;
  }): Promise<boolean> {
    checkString(r.meetingId, 'meetingId', 16);
    checkInteger(r.userId, 'userId');
    checkInteger(r.byUserId, 'byUserId');
    checkInteger(r.at, 'at');
    if (await this.isBarred(r.meetingId, r.userId)) return true;
    const counted = (await this.#knex('meeting_bans')
      .where({ meeting_id: r.meetingId })
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    if (toNumber(counted?.n ?? 0, 'count') >= r.max) return false;
    try {
      await this.#knex('meeting_bans').insert({
        meeting_id: r.meetingId,
        user_id: r.userId,
        by_user_id: r.byUserId,
        at: r.at,
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    return true;
  }

  /** Whether the host barred `userId` from the meeting. */
  async isBarred(meetingId: string, userId: number): Promise<boolean> {
    checkInteger(userId, 'userId');
    const row: unknown = await this.#knex('meeting_bans')
      .where({ meeting_id: meetingId, user_id: userId })
      .first('user_id');
    return row !== undefined;
  }
}
