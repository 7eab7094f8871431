// Turns `DatabaseOptions` into a knex configuration. Kept free of side effects (no directories are
// created, no connection is opened) so that a CLI can reuse it, e.g. to run migrations by hand.
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';

/** Where the database lives. */
export interface DatabaseOptions {
  /** `sqlite:<path>`, `sqlite::memory:` or `mysql://user:pass@host:port/db`; default: SQLite file in `dataDir`. */
  url?: string;
  /** Directory of the default SQLite file `meeting.sqlite3`; default `./data`. */
  dataDir?: string;
}

export type DatabaseKind = 'sqlite' | 'mysql';

export interface ResolvedDatabaseConfig {
  kind: DatabaseKind;
  /** SQLite file to open (absolute), `':memory:'`, or null for MySQL. */
  sqliteFile: string | null;
  knex: Knex.Config;
}

/** Name of the default SQLite file inside `dataDir`. */
export const SQLITE_FILE_NAME = 'meeting.sqlite3';
export const DEFAULT_DATA_DIR = './data';
/** Compiled migrations (`dist/db/migrations/*.js`). */
export const MIGRATIONS_DIRECTORY = path.join(__dirname, 'migrations');

/** Migration settings shared by `openDatabase` and any CLI. */
export const MIGRATIONS_CONFIG: Knex.MigratorConfig = {
  directory: MIGRATIONS_DIRECTORY,
  // Only the compiled files: skips `.js.map` and `.d.ts` next to them.
  loadExtensions: ['.js'],
  tableName: 'knex_migrations',
};

const SQLITE_MEMORY = ':memory:';
const URL_FORMS = '"sqlite:<path>", "sqlite::memory:" or "mysql://user:pass@host:port/db"';

/** Builds the knex configuration for `opts`; throws TypeError naming the bad field. */
export function resolveDatabaseConfig(opts: DatabaseOptions): ResolvedDatabaseConfig {
  if (typeof opts !== 'object' || opts === null) {
    throw new TypeError('options must be an object');
  }
  const { url, dataDir } = opts;
  if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir === '')) {
    throw new TypeError('dataDir must be a non-empty string');
  }
  if (url === undefined) {
    return sqliteConfig(path.resolve(dataDir ?? DEFAULT_DATA_DIR, SQLITE_FILE_NAME));
  }
  if (typeof url !== 'string') {
    throw new TypeError(`url must be a string: ${URL_FORMS}`);
  }
  if (url.startsWith('sqlite:')) {
    let file = url.slice('sqlite:'.length);
    // Tolerate the URL-like spelling sqlite:///abs/path.
    if (file.startsWith('//')) file = file.slice(2);
    if (file === '') throw new TypeError(`url has no SQLite path: expected ${URL_FORMS}`);
    return sqliteConfig(file === SQLITE_MEMORY ? SQLITE_MEMORY : path.resolve(file));
  }
  if (url.startsWith('mysql://')) {
    return mysqlConfig(url);
  }
  throw new TypeError(`url must be ${URL_FORMS}; got "${redactUrl(url)}"`);
}

/** `url` with any password replaced by `***`, for error messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z0-9+]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

function sqliteConfig(file: string): ResolvedDatabaseConfig {
  const inMemory = file === SQLITE_MEMORY;
  return {
    kind: 'sqlite',
    sqliteFile: file,
    knex: {
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      migrations: MIGRATIONS_CONFIG,
      // knex keeps a single SQLite connection, so an in-memory database stays the same one.
      pool: {
        min: 1,
        max: 1,
        afterCreate(
          conn: BetterSqlite3.Database,
          done: (err: Error | null, conn: BetterSqlite3.Database) => void,
        ): void {
          try {
            conn.pragma('busy_timeout = 5000');
            conn.pragma('foreign_keys = ON');
            // WAL lets readers (e.g. a CLI) work while the server writes.
            if (!inMemory) conn.pragma('journal_mode = WAL');
            // Every commit reaches the disk before it returns: chat is acknowledged only once
            // stored, and in WAL mode NORMAL could lose the last commits on a power cut.
            conn.pragma('synchronous = FULL');
            done(null, conn);
          } catch (err) {
            done(err as Error, conn);
          }
        },
      },
    },
  };
}

function mysqlConfig(url: string): ResolvedDatabaseConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`url is not a valid URL: expected ${URL_FORMS}; got "${redactUrl(url)}"`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (parsed.hostname === '' || database === '' || database.includes('/')) {
    throw new TypeError(
      `url must name a host and a database: expected ${URL_FORMS}; got "${redactUrl(url)}"`,
    );
  }
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  return {
    kind: 'mysql',
    sqliteFile: null,
    knex: {
      client: 'mysql2',
      connection: {
        host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
        port,
        user: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
        database,
        charset: 'utf8mb4',
      },
      pool: { min: 0, max: 10 },
      migrations: MIGRATIONS_CONFIG,
    },
  };
}
