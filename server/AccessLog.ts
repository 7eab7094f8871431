/**
 * The access log: who registered, logged in or out, failed to log in, joined or left which meeting,
 * from which address. One JSON line per event in `access.log` and one row in the database.
 */
import type { AccessEvent, Database } from '../db';
import { excerpt } from '../common/protocol';
import { createFileLogger, type Logger } from './logger';
import type { Writes } from './Writes';

export interface AccessRecord {
  userId: number | null;
  username: string;
  address: string;
  meetingId?: string | null;
  detail?: string | null;
}

export class AccessLog {
  readonly #file: Logger;
  readonly #db: Database;
  readonly #writes: Writes;

  constructor(file: string, db: Database, writes: Writes) {
    this.#file = createFileLogger(file);
    this.#db = db;
    this.#writes = writes;
  }

  record(event: AccessEvent, r: AccessRecord): void {
    const entry = {
      userId: r.userId,
      // Usernames of failed logins are client input: only a short excerpt is kept.
      username: excerpt(r.username, 32),
      event,
      meetingId: r.meetingId ?? null,
      address: r.address,
      detail: r.detail ?? null,
    };
    this.#file.info(entry);
    this.#writes.track(this.#db.accessLog.record({ ...entry, at: Date.now() }));
  }

  flush(): void {
    this.#file.flush();
  }
}
