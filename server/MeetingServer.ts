/**
 * The meeting server's composition root: opens the database and the worker pool, builds the parts
 * (sessions, rooms, access log, request handlers) and accepts TCP links. The ownership tree is
 *
 *   MeetingServer → SessionRegistry → Session → Connection (control, media links)
 *                 → Rooms → Room → Member → OutgoingQueue per media link
 *                                → Relay (forwarding, grants, screen-share rule)
 *
 * Each parent closes its children and forgets them on their '@close'. See docs/architecture.md.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import {
  ACCESS_LOG_FILE,
  FILES_DIR,
  SHUTDOWN_DRAIN_MS,
  SHUTDOWN_FLUSH_MS,
} from '../common/constants';
import { TypedEmitter } from '../common/TypedEmitter';
import { openDatabase, type Database } from '../db';
import { AccessLog } from './AccessLog';
import { AuthPool } from './AuthPool';
import type { Dispatcher } from './Connection';
import { FileTransfers } from './files/FileTransfers';
import { Connections } from './Connections';
import type { ServerContext } from './handlers/context';
import { createDispatcher } from './handlers/dispatch';
import { DEFAULT_LIMITS, createLimiters, type ServerLimits } from './limits';
import { createLogger, type Logger } from './logger';
import { Recordings, type RecordingOptions } from './recording/Recordings';
import type { Room } from './Room';
import { RedisCluster } from './cluster/RedisCluster';
import { Operations } from './ops/Operations';
import { Rooms } from './Rooms';
import { restoreState } from './restore';
import { SessionRegistry } from './SessionRegistry';
import { loadTlsIdentity, type TlsFiles, type TlsIdentity } from './tls';
import { Writes } from './Writes';

export interface MeetingServerOptions {
  /** Database URL (`mysql://…`, `sqlite:<file>`); default: SQLite in `dataDir`. */
  dbUrl?: string;
  /** Folder for the SQLite file and the access log (default `./data`). */
  dataDir?: string;
  heartbeatTimeoutMs?: number;
  workerThreads?: number;
  workerQueue?: number;
  /** Limits to override (tests tighten or loosen them). */
  limits?: Partial<ServerLimits>;
  logger?: Logger;
  /**
   * TLS on every link (the default): the operator's certificate and key, or (without `tls`) a
   * self-signed pair kept in `dataDir`. `plain: true` turns TLS off (clients must ask for it too).
   */
  tls?: TlsFiles;
  plain?: boolean;
  /** Port of /metrics, /healthz and /readyz (0: any free one); without it, no metrics are kept. */
  metricsPort?: number;
  /** Address the metrics port binds to (default loopback). */
  metricsHost?: string;
  /** Run as one node of several sharing Redis and the database (`dbUrl` must be shared too). */
  cluster?: ClusterNodeOptions;
  /** Recording: folder, segment length, disk and retention limits, ffmpeg (issue 13). */
  recording?: RecordingOptions;
}

export interface ClusterNodeOptions {
  /** `redis://host:port`. */
  url: string;
  nodeId: string;
  /** Where other nodes send clients to reach this one (default: the listening address). */
  advertise?: { host: string; port?: number };
  /** Prefix of this deployment's Redis keys. */
  prefix?: string;
  leaseMs?: number;
  renewMs?: number;
}

export type MeetingServerEvents = {
  /** A room opened on this node: watch it through `room.observer`. */
  roomOpened: [room: Room];
};

export class MeetingServer {
  readonly logger: Logger;
  /** Typed events for watchers (bench, tests, metrics, recording). */
  readonly observer = new TypedEmitter<MeetingServerEvents>();
  readonly #options: MeetingServerOptions;
  readonly #dataDir: string;
  readonly #limits: ServerLimits;
  readonly #server = net.createServer((socket) => this.#onConnection(socket));
  readonly #connections: Connections;
  #ctx: ServerContext | null = null;
  #dispatch: Dispatcher | null = null;
  #tls: TlsIdentity | null = null;
  readonly #ops: Operations;
  #metricsAddress: net.AddressInfo | null = null;
  #cluster: RedisCluster | null = null;
  #closed = false;

  constructor(options: MeetingServerOptions = {}) {
    this.#options = options;
    this.#dataDir = path.resolve(options.dataDir ?? 'data');
    this.logger = options.logger ?? createLogger();
    this.#limits = {
      ...DEFAULT_LIMITS,
      ...(options.heartbeatTimeoutMs !== undefined
        ? { heartbeatTimeoutMs: options.heartbeatTimeoutMs }
        : {}),
      ...options.limits,
    };
    this.#connections = new Connections(this.#limits);
    this.#ops = new Operations({
      logger: this.logger,
      metricsPort: options.metricsPort,
      metricsHost: options.metricsHost,
    });
  }

  /** Address of the metrics and health port, or null when it is off. */
  get metricsAddress(): net.AddressInfo | null {
    return this.#metricsAddress;
  }

  get db(): Database {
    return this.#context().db;
  }

  /** Sessions (logged-in clients) on this node. */
  get memberCount(): number {
    return this.#ctx?.sessions.size ?? 0;
  }

  /** Sessions whose client is connected now (the others wait for a resume). */
  get connectedCount(): number {
    return this.#ctx?.sessions.connected ?? 0;
  }

  /** Links open now, logged in or not. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** The recordings of this node (issue 13). */
  get recordings(): Recordings {
    return this.#context().recordings;
  }

  room(meetingId: string): Room | undefined {
    return this.#ctx?.rooms.get(meetingId);
  }

  /** SHA-256 fingerprint of the server's certificate (what clients pin); null without TLS. */
  get fingerprint(): string | null {
    return this.#tls?.fingerprint ?? null;
  }

  /** Opens the database and worker pool, then listens; resolves with the bound address. */
  async listen(port = 0, host = '127.0.0.1'): Promise<net.AddressInfo> {
    fs.mkdirSync(this.#dataDir, { recursive: true });
    if (!this.#options.plain) this.#tls = await loadTlsIdentity(this.#dataDir, this.#options.tls);
    const db = await openDatabase({ url: this.#options.dbUrl, dataDir: this.#dataDir });
    const writes = new Writes(this.logger);
    const access = new AccessLog(path.join(this.#dataDir, ACCESS_LOG_FILE), db, writes);
    const rooms = new Rooms({ db, access, writes, rateCaps: this.#limits.rateCaps });
    rooms.on('roomOpened', (room) => this.observer.safeEmit('roomOpened', room));
    this.observer.on('roomOpened', (room) => this.#ops.roomOpened(room));
    const cluster = await this.#joinCluster();
    const recordings = new Recordings(
      { ...this.#options.recording, dataDir: this.#dataDir },
      db,
      writes,
      this.logger,
    );
    await recordings.open();
    this.#ctx = {
      db,
      writes,
      access,
      rooms,
      logger: this.logger,
      pool: new AuthPool({
        maxThreads: this.#options.workerThreads,
        maxQueue: this.#options.workerQueue,
        onTask: this.#ops.poolHook(),
      }),
      sessions: new SessionRegistry({
        db,
        writes,
        graceMs: this.#limits.resumeGraceMs,
        ...(cluster ? { nodeId: cluster.nodeId } : {}),
        onEnd: (session, reason) =>
          access.record('logout', {
            userId: session.userId,
            username: session.username,
            address: session.address,
            detail: reason === 'left' ? null : reason,
          }),
      }),
      limiters: createLimiters(
        this.#limits,
        cluster ? (name, rate) => cluster.limiter(name, rate) : undefined,
      ),
      ...(cluster ? { cluster } : {}),
      files: new FileTransfers({
        dir: path.join(this.#dataDir, FILES_DIR),
        db,
        rooms,
        writes,
        logger: this.logger,
        limits: this.#limits,
      }),
      recordings,
    };
    // The shared database of a cluster holds the other nodes' sessions and meetings: a node takes
    // back only what a lone server left, never what live nodes hold (see docs/scaling.md).
    if (!cluster) {
      const restored = await restoreState(this.#ctx);
      if (restored.sessions + restored.ended > 0) this.logger.info(restored, 'restored');
    }
    const ctx = this.#ctx;
    this.#dispatch = this.#ops.dispatcher(
      createDispatcher(ctx),
      (c) => ctx.sessions.byControl(c)?.id,
    );
    this.#ops.watch(
      {
        members: () => ctx.sessions.size,
        meetings: () => ctx.rooms.size,
        links: () => this.#connections.byKind(),
        poolQueue: () => ctx.pool.queueSize,
      },
      db.knex,
    );
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as net.AddressInfo;
    if (cluster) {
      const advertise = this.#options.cluster?.advertise;
      await cluster.register(
        advertise?.host ?? address.address,
        advertise?.port ?? address.port,
        this.fingerprint,
      );
    }
    this.#metricsAddress = await this.#ops.listen(() =>
      this.#closed ? 'closed' : (cluster?.notReady() ?? null),
    );
    this.logger.info(
      {
        address: `${address.address}:${address.port}`,
        db: db.kind,
        tls: this.#tls ? this.#tls.fingerprint : 'off',
      },
      'listening',
    );
    return address;
  }

  /**
   * Graceful shutdown (SIGTERM): stops accepting links, tells every client the server is going
   * away, refuses new requests and waits up to `drainMs` for those in flight, then closes (which
   * waits for pending database writes and the worker pool).
   */
  async shutdown(drainMs = SHUTDOWN_DRAIN_MS): Promise<void> {
    if (this.#closed) return;
    void this.#stopAccepting();
    this.#connections.tellControlLinks('goingAway', {
      message: 'server shutting down',
      retryInMs: 1000,
    });
    const drained = await this.#ops.drain(drainMs);
    this.logger.info({ drained, inFlight: this.#ops.inFlight }, 'drained');
    await this.#connections.endAll('server shutting down', SHUTDOWN_FLUSH_MS);
    await this.close();
  }

  #stopping: Promise<void> | null = null;
  #stopAccepting(): Promise<void> {
    this.#stopping ??= new Promise<void>((resolve) => this.#server.close(() => resolve()));
    return this.#stopping;
  }

  /**
   * Closes every link, session and room, waits for pending writes, then the pool and database.
   * Open meetings and sessions stay in the database: a server started again on it restores them,
   * and clients that come back within the grace period resume into their meetings.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stopped = this.#stopAccepting();
    void this.#ops.close();
    const ctx = this.#ctx;
    ctx?.rooms.suspendAll();
    ctx?.sessions.suspendAll();
    this.#connections.destroyAll('server shutting down');
    await stopped;
    if (!ctx) return;
    await ctx.files.close();
    await ctx.recordings.close();
    await ctx.writes.settled();
    await this.#cluster?.close(true);
    await ctx.pool.close();
    await ctx.db.close();
    ctx.access.flush();
  }

  /** Connects to the other nodes' Redis when this server is one node of several. */
  async #joinCluster(): Promise<RedisCluster | null> {
    const options = this.#options.cluster;
    if (!options) return null;
    const cluster = new RedisCluster({
      ...options,
      logger: this.logger,
      load: () => this.#ctx?.sessions.size ?? 0,
      kickUser: (userId) => this.#ctx?.sessions.kickUser(userId),
      lost: (meetingId) => this.#ctx?.rooms.get(meetingId)?.close(),
    });
    await cluster.connect();
    this.#cluster = cluster;
    this.observer.on('roomOpened', (room) => {
      cluster.opened(room.id);
      room.once('@close', () => cluster.released(room.id));
    });
    return cluster;
  }

  #context(): ServerContext {
    if (!this.#ctx) throw new TypeError('server not started');
    return this.#ctx;
  }

  #onConnection(raw: net.Socket): void {
    if (this.#closed || !this.#dispatch) {
      raw.destroy();
      return;
    }
    // The handshake runs under the link's login deadline like any other slow client.
    const socket = this.#tls
      ? new tls.TLSSocket(raw, { isServer: true, secureContext: this.#tls.context })
      : raw;
    const connection = this.#connections.accept(socket, {
      dispatch: this.#dispatch,
      limits: this.#limits,
      logger: this.logger,
    });
    connection?.once('@close', (reason) =>
      this.logger.debug(
        { address: connection.address, kind: connection.kind, reason },
        'link closed',
      ),
    );
  }
}
