import type { Knex } from 'knex';
import { checkInteger, toNullableNumber, toNumber, truncate } from '../rows';

export type AccessEvent =
  'register' | 'login' | 'login_failed' | 'logout' | 'join' | 'leave' | 'resume';

const ACCESS_EVENTS: ReadonlySet<string> = new Set<AccessEvent>([
  'register',
  'login',
  'login_failed',
  'logout',
  'join',
  'leave',
  'resume',
]);

/** One line of the audit trail. */
export interface AccessLogEntry {
  id: number;
  userId: number | null;
  username: string;
  event: AccessEvent;
  meetingId: string | null;
  address: string;
  at: number;
  detail: string | null;
}

/** Filter for `AccessLogRepository.list`. */
export interface AccessLogFilter {
  userId?: number;
  username?: string;
  /** Keep only the newest `limit` entries. */
  limit?: number;
}

interface AccessLogRow {
  id: number | string;
  user_id: number | string | null;
  username: string;
  event: string;
  meeting_id: string | null;
  address: string;
  at: number | string;
  detail: string | null;
}

function fromRow(row: AccessLogRow): AccessLogEntry {
  return {
    id: toNumber(row.id, 'access_log.id'),
    userId: toNullableNumber(row.user_id, 'access_log.user_id'),
    username: row.username,
    event: row.event as AccessEvent,
    meetingId: row.meeting_id,
    address: row.address,
    at: toNumber(row.at, 'access_log.at'),
    detail: row.detail,
  };
}

/** Audit trail of logins and joins (`access_log` table). */
export class AccessLogRepository {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /**
   * Appends an entry. Free-form fields are cut to their column size rather than rejected, since
   * they may come straight from a client (e.g. the name in a failed login).
   */
  async record(e: Omit<AccessLogEntry, 'id'>): Promise<void> {
    if (!ACCESS_EVENTS.has(e.event))
      throw new TypeError(`event must be one of ${[...ACCESS_EVENTS].join(', ')}`);
    if (e.userId !== null) checkInteger(e.userId, 'userId');
    checkInteger(e.at, 'at');
    await this.#knex('access_log').insert({
      user_id: e.userId,
      username: truncate(String(e.username), 32),
      event: e.event,
      meeting_id: e.meetingId === null ? null : truncate(String(e.meetingId), 16),
      address: truncate(String(e.address), 64),
      at: e.at,
      detail: e.detail === null ? null : truncate(String(e.detail), 255),
    });
  }

  /** Entries matching every given filter, oldest first (the newest `limit` when set). */
  async list(f: AccessLogFilter): Promise<AccessLogEntry[]> {
    const query = this.#knex('access_log');
    if (f.userId !== undefined) query.where({ user_id: f.userId });
    if (f.username !== undefined) query.where({ username: f.username });
    if (f.limit !== undefined) {
      checkInteger(f.limit, 'limit');
      if (f.limit === 0) return [];
      query.orderBy('id', 'desc').limit(f.limit);
    } else {
      query.orderBy('id', 'asc');
    }
    const rows = (await query) as AccessLogRow[];
    if (f.limit !== undefined) rows.reverse();
    return rows.map(fromRow);
  }
}
