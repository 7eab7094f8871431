/**
 * What every request handler gets: the connection the request came on, its validated parameters,
 * and the server's parts. Handlers are grouped by concern (account, meeting, chat, media) and
 * combined into one table in `dispatch.ts`.
 */
import type { RequestParams, RequestResults, RequestType } from '../../common/protocol';
import type { Database } from '../../db';
import type { AccessLog } from '../AccessLog';
import type { AuthPool } from '../AuthPool';
import type { AfterReply, Connection } from '../Connection';
import type { FileTransfers } from '../files/FileTransfers';
import type { Logger } from '../logger';
import type { Recordings } from '../recording/Recordings';
import type { Rooms } from '../Rooms';
import type { SessionRegistry } from '../SessionRegistry';
import type { Cluster } from '../cluster/Cluster';
import type { RateLimiter, Throttle } from '../Throttle';
import type { Writes } from '../Writes';

export interface ServerContext {
  readonly db: Database;
  readonly pool: AuthPool;
  readonly sessions: SessionRegistry;
  readonly rooms: Rooms;
  readonly access: AccessLog;
  readonly writes: Writes;
  readonly logger: Logger;
  readonly limiters: Limiters;
  /** The other nodes (shared placement, logins, limits); undefined on a single node. */
  readonly cluster?: Cluster;
  /** File sharing: offers, files links, uploads and downloads. */
  readonly files: FileTransfers;
  /** Recording (issue 13). */
  readonly recordings: Recordings;
}

/** Rate limits of the requests that cost the server (or an account's owner) the most. */
export interface Limiters {
  /** Login attempts per username and address, forgiven on success. */
  readonly loginFailures: RateLimiter;
  /** Login attempts per address, counted before the hash. */
  readonly loginPerAddress: RateLimiter;
  readonly registerPerAddress: RateLimiter;
  /** Registrations hashing now, server-wide (the rest of the worker pool stays for logins). */
  readonly registrations: { inFlight: number; readonly max: number };
  readonly joinPerAccount: RateLimiter;
  readonly joinPerAddress: RateLimiter;
  /** Chat messages per member (members are node-local: kept in memory). */
  readonly chat: Throttle;
  /** Resume attempts per address. */
  readonly resumePerAddress: Throttle;
  /** Raised hands and reactions per member. */
  readonly reactions: Throttle;
  /** File offers per user. */
  readonly fileOffers: Throttle;
}

/** A result whose side effects wait for the reply's fate (sent: announce; failed: roll back). */
export class AfterSent<T> {
  constructor(
    readonly result: T,
    readonly after: AfterReply,
  ) {}
}

export type Handler<K extends RequestType> = (
  connection: Connection,
  params: RequestParams<K>,
  ctx: ServerContext,
) => Promise<RequestResults[K] | AfterSent<RequestResults[K]>> | RequestResults[K];

export type HandlerTable<K extends RequestType = RequestType> = { [P in K]: Handler<P> };
