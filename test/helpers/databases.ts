// Real databases for tests: a throw-away SQLite file or a throw-away MariaDB/MySQL database.
// Nothing is mocked; an unreachable MariaDB is an error, not a skip.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { redactUrl } from '../../db/config';

export type TestDatabaseKind = 'sqlite' | 'mysql';

/** A fresh, empty database and how to throw it away. */
export interface TestDatabase {
  name: TestDatabaseKind;
  /** Value for `DatabaseOptions.url`. */
  url: string;
  /** Deletes the database; safe to call twice. */
  cleanup(): Promise<void>;
}

/** Server used for MySQL tests; the database in the URL is only used to connect. */
export const TEST_MYSQL_URL =
  process.env.MEETING_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** Every engine the tests run against. */
export const TEST_DATABASE_KINDS: Array<TestDatabaseKind> = ['sqlite', 'mysql'];

let counter = 0;

/** Creates an empty database of `kind`; call `cleanup()` in teardown. */
export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') return createSqlite();
  if (kind === 'mysql') return createMysql();
  throw new TypeError(`kind must be 'sqlite' or 'mysql'`);
}

async function createSqlite(): Promise<TestDatabase> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'meeting-db-'));
  return {
    name: 'sqlite',
    url: `sqlite:${path.join(dir, 'meeting.sqlite3')}`,
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

async function createMysql(): Promise<TestDatabase> {
  // pid + counter keep names unique inside and across runs; the random part covers pid reuse.
  counter += 1;
  const database = `meeting_t_${process.pid}_${counter}_${crypto.randomBytes(4).toString('hex')}`;
  const admin = await connectAdmin();
  try {
    // Server default charset on purpose: the migrations must not depend on it.
    await admin.query(`CREATE DATABASE \`${database}\``);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_MYSQL_URL);
  url.pathname = `/${database}`;
  let dropped = false;
  return {
    name: 'mysql',
    url: url.toString(),
    async cleanup(): Promise<void> {
      if (dropped) return;
      dropped = true;
      const conn = await connectAdmin();
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

async function connectAdmin(): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({ uri: TEST_MYSQL_URL, connectTimeout: 5000 });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `MariaDB/MySQL for tests is not reachable at ${redactUrl(TEST_MYSQL_URL)} (${reason}). ` +
        'Start it or set MEETING_TEST_MYSQL_URL to a server where the user may CREATE DATABASE.',
      { cause: err },
    );
  }
}
