/** Starts a real MeetingServer on port 0 over a fresh test database, and clients against it. */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { EventEmitter } from 'node:events';
import { MeetingClient, type MeetingClientOptions } from '../../client/MeetingClient';
import { PinnedFingerprint, type TrustPolicy } from '../../client/trust';
import { MeetingServer, type MeetingServerOptions } from '../../server/MeetingServer';
import { createLogger } from '../../server/logger';
import { createTestDatabase, type TestDatabase } from './databases';

export interface TestServer {
  server: MeetingServer;
  port: number;
  db: TestDatabase;
  dataDir: string;
  /** Starts a new server on the same database and data folder (a restart). */
  restart(): Promise<void>;
  /** Trusts this server's certificate (what a client that pinned it on first use does). */
  trust(): TrustPolicy;
  /** A connected client that trusts this server (TLS unless the server is plain). */
  client(options?: MeetingClientOptions): Promise<MeetingClient>;
  /** Closes every client made here, the server, and drops the database. */
  stop(): Promise<void>;
}

export async function startTestServer(
  kind: 'sqlite' | 'mysql',
  options: Omit<MeetingServerOptions, 'dbUrl' | 'dataDir'> = {},
): Promise<TestServer> {
  const db = await createTestDatabase(kind);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-srv-'));
  const clients: MeetingClient[] = [];
  const make = (): MeetingServer =>
    new MeetingServer({
      logger: createLogger(process.env.MEETING_LOG_LEVEL ?? 'silent'),
      ...options,
      dbUrl: db.url,
      dataDir,
    });
  const t: TestServer = {
    server: make(),
    port: 0,
    db,
    dataDir,
    async restart() {
      await t.server.close();
      t.server = make();
      t.port = (await t.server.listen(t.port)).port;
    },
    trust() {
      const fingerprint = t.server.fingerprint;
      if (fingerprint === null) throw new TypeError('the server runs without TLS');
      return new PinnedFingerprint(fingerprint);
    },
    async client(clientOptions) {
      const c = new MeetingClient(
        { host: '127.0.0.1', port: t.port },
        options.plain ? { plain: true, ...clientOptions } : { trust: t.trust(), ...clientOptions },
      );
      clients.push(c);
      await c.connect();
      return c;
    },
    async stop() {
      await Promise.allSettled(clients.map((c) => c.close()));
      await t.server.close();
      await db.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  t.port = (await t.server.listen(0)).port;
  return t;
}

/**
 * A fresh, empty known-servers file for a client process (desktop, bot) a test starts: it pins the
 * test server's certificate on first use, and no earlier server on the same port gets in the way.
 */
export function knownServersFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-known-'));
  return path.join(dir, 'known-servers.json');
}

/** Resolves with the next `event` from `emitter` that satisfies `predicate`, or rejects after `ms`. */
export function waitFor<T extends unknown[]>(
  target: object,
  event: string,
  predicate: (...args: T) => boolean = () => true,
  ms = 5000,
): Promise<T> {
  const emitter = target as EventEmitter;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${ms} ms waiting for '${event}'`));
    }, ms);
    const listener = (...raw: unknown[]): void => {
      const args = raw as T;
      if (!predicate(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    emitter.on(event, listener);
  });
}

/**
 * Collects events of one name into an array (to assert that something did NOT arrive); with `arg`,
 * the event's argument at that position instead of the first.
 */
export function collect<T>(target: object, event: string, arg = 0): T[] {
  const seen: T[] = [];
  (target as EventEmitter).on(event, (...args: unknown[]) => seen.push(args[arg] as T));
  return seen;
}

/**
 * A raw connection for sending malformed bytes, resolves once connected: TLS (certificate not
 * checked) like a real client's, or plain TCP against a server started with `plain`.
 */
export function rawSocket(
  port: number,
  options: { plain?: boolean; localAddress?: string } = {},
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const { localAddress } = options;
    const s = options.plain
      ? net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s))
      : tls.connect(
          {
            socket: net.connect({ host: '127.0.0.1', port, localAddress }),
            rejectUnauthorized: false,
          },
          () => resolve(s),
        );
    s.once('error', reject);
  });
}

/** Resolves with everything a raw socket received once it closes (or after `ms`). */
export function readUntilClose(
  socket: net.Socket,
  ms = 5000,
): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => resolve({ data: Buffer.concat(chunks), closed: false }), ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closed: true });
    });
    socket.on('error', () => undefined);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
