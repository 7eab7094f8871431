import type { Knex } from 'knex';
import { checkInteger, checkString, toNullableNumber, toNumber } from '../rows';

/** A logged-in client's session as stored, so it can be resumed after a server restart. */
export interface StoredSession {
  id: number;
  userId: number;
  /** SHA-256 (hex) of the current resume token. */
  resumeHash: string;
  meetingId: string | null;
  joinedAt: number | null;
  audio: boolean;
  video: boolean;
  screen: boolean;
  createdAt: number;
  seenAt: number;
  /** The cluster node the session lives on (null: a single server). */
  nodeId: string | null;
}

interface SessionRow {
  id: number | string;
  user_id: number | string;
  resume_hash: string;
  meeting_id: string | null;
  joined_at: number | string | null;
  audio: number | boolean;
  video: number | boolean;
  screen: number | boolean;
  created_at: number | string;
  seen_at: number | string;
  node_id?: string | null;
}

function fromRow(row: SessionRow): StoredSession {
  return {
    id: toNumber(row.id, 'sessions.id'),
    userId: toNumber(row.user_id, 'sessions.user_id'),
    resumeHash: row.resume_hash,
    meetingId: row.meeting_id,
    joinedAt: toNullableNumber(row.joined_at, 'sessions.joined_at'),
    audio: Boolean(row.audio),
    video: Boolean(row.video),
    screen: Boolean(row.screen),
    createdAt: toNumber(row.created_at, 'sessions.created_at'),
    seenAt: toNumber(row.seen_at, 'sessions.seen_at'),
    nodeId: row.node_id ?? null,
  };
}

/** Sessions (`sessions`): one row per logged-in client, deleted when the session ends. */
export class SessionRepository {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /** Stores a new session; returns its id (the member id clients will see). */
  async create(
    userId: number,
    resumeHash: string,
    at: number,
    nodeId: string | null = null,
  ): Promise<number> {
    checkInteger(userId, 'userId');
    checkString(resumeHash, 'resumeHash', 64);
    checkInteger(at, 'at');
    const ids: number[] = await this.#knex('sessions').insert({
      user_id: userId,
      resume_hash: resumeHash,
      meeting_id: null,
      joined_at: null,
      audio: true,
      video: true,
      screen: false,
      created_at: at,
      seen_at: at,
      ...(nodeId !== null ? { node_id: nodeId } : {}),
    });
    return toNumber(ids[0], 'sessions.id');
  }

  /** The session whose resume token hashes to `resumeHash`. */
  async findByResumeHash(resumeHash: string): Promise<StoredSession | undefined> {
    const row = (await this.#knex('sessions').where({ resume_hash: resumeHash }).first()) as
      SessionRow | undefined;
    return row && fromRow(row);
  }

  /** Replaces the resume token (every resume rotates it). */
  async rotate(id: number, resumeHash: string, at: number): Promise<void> {
    checkString(resumeHash, 'resumeHash', 64);
    await this.#knex('sessions').where({ id }).update({ resume_hash: resumeHash, seen_at: at });
  }

  /** The meeting the session is in (null: none) and since when. */
  async setMeeting(id: number, meetingId: string | null, joinedAt: number | null): Promise<void> {
    await this.#knex('sessions')
      .where({ id })
      .update({ meeting_id: meetingId, joined_at: joinedAt, screen: false });
  }

  async setMedia(id: number, media: { audio: boolean; video: boolean }): Promise<void> {
    await this.#knex('sessions').where({ id }).update(media);
  }

  async setScreen(id: number, screen: boolean): Promise<void> {
    await this.#knex('sessions').where({ id }).update({ screen });
  }

  /**
   * Moves the session to `nodeId` if it still lives on `fromNodeId` with resume hash `resumeHash`
   * (compare-and-set: of two nodes adopting it at once, one wins). True when moved.
   */
  async claim(
    id: number,
    resumeHash: string,
    fromNodeId: string,
    nodeId: string,
    at: number,
  ): Promise<boolean> {
    checkString(nodeId, 'nodeId', 64);
    const n = await this.#knex('sessions')
      .where({ id, resume_hash: resumeHash, node_id: fromNodeId })
      .update({ node_id: nodeId, seen_at: at });
    return n === 1;
  }

  /** Sessions in `meetingId` seen since `since` (ms), oldest first. */
  async inMeeting(meetingId: string, since: number): Promise<StoredSession[]> {
    checkInteger(since, 'since');
    const rows = (await this.#knex('sessions')
      .where({ meeting_id: meetingId })
      .andWhere('seen_at', '>=', since)
      .orderBy('id', 'asc')) as SessionRow[];
    return rows.map(fromRow);
  }

  async delete(id: number): Promise<void> {
    await this.#knex('sessions').where({ id }).delete();
  }

  /** Sessions seen since `since` (ms), oldest first; older rows are deleted. */
  async live(since: number): Promise<StoredSession[]> {
    checkInteger(since, 'since');
    await this.#knex('sessions').where('seen_at', '<', since).delete();
    const rows = (await this.#knex('sessions').orderBy('id', 'asc')) as SessionRow[];
    return rows.map(fromRow);
  }
}
