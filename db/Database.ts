// Entry point of the database layer: opens SQLite or MySQL/MariaDB through knex, brings the schema
// up to date and exposes one repository per table group.
import fs from 'node:fs/promises';
import path from 'node:path';
import { knex as createKnex, type Knex } from 'knex';
import { type DatabaseKind, type DatabaseOptions, resolveDatabaseConfig } from './config';
import { AccessLogRepository } from './repositories/AccessLogRepository';
import { FileRepository } from './repositories/FileRepository';
import { MeetingRepository } from './repositories/MeetingRepository';
import { MessageRepository } from './repositories/MessageRepository';
import { SessionRepository } from './repositories/SessionRepository';
import { RecordingRepository } from './repositories/RecordingRepository';
import { UserRepository } from './repositories/UserRepository';

export type { DatabaseKind, DatabaseOptions } from './config';

/** Opens the database described by `opts` and applies pending migrations. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  const config = resolveDatabaseConfig(opts);
  if (config.sqliteFile !== null && config.sqliteFile !== ':memory:') {
    await fs.mkdir(path.dirname(config.sqliteFile), { recursive: true });
  }
  const knex = createKnex(config.knex);
  try {
    await knex.migrate.latest();
  } catch (err) {
    await knex.destroy();
    throw err;
  }
  return new Database(config.kind, knex);
}

/** An open database; create it with `openDatabase`. */
export class Database {
  /** Which engine is underneath. */
  readonly kind: DatabaseKind;
  /** The underlying knex instance, for migrations, tests and ad-hoc queries. */
  readonly knex: Knex;
  readonly users: UserRepository;
  readonly meetings: MeetingRepository;
  readonly messages: MessageRepository;
  readonly sessions: SessionRepository;
  readonly accessLog: AccessLogRepository;
  readonly files: FileRepository;
  readonly recordings: RecordingRepository;
  #closing: Promise<void> | undefined;

  constructor(kind: DatabaseKind, knex: Knex) {
    this.kind = kind;
    this.knex = knex;
    this.users = new UserRepository(knex);
    this.meetings = new MeetingRepository(knex);
    this.messages = new MessageRepository(knex);
    this.sessions = new SessionRepository(knex);
    this.accessLog = new AccessLogRepository(knex);
    this.files = new FileRepository(knex);
    this.recordings = new RecordingRepository(knex);
  }

  /** True once `close()` has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Closes every connection. Idempotent: later calls wait for the first one. */
  close(): Promise<void> {
    if (this.#closing === undefined) this.#closing = this.knex.destroy();
    return this.#closing;
  }
}
