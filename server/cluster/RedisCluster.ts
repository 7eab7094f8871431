/**
 * Several nodes on one Redis. Keys (all under the deployment's prefix):
 *
 *   node:<id>      JSON { host, port, fingerprint, members } with a lease, renewed every renewMs
 *   nodes          set of node ids (members whose node key has expired are dead and pruned)
 *   lease:<mid>    id of the node the meeting lives on, with a lease renewed while its room is open
 *   ticket:<t>     JSON user of a one-time handoff ticket (after a redirect), short TTL
 *   rl:<name>:<h>  token buckets of the shared rate limits (RedisThrottle)
 *   channel kick   "<userId> <at> <nodeId>": a session of that account started on nodeId at
 *                  Redis time `at` (µs); older sessions of the account on other nodes end
 *
 * A meeting is placed when it is first asked for: the node holding its lease, or the least loaded
 * live node by members (this node on a tie). A node that dies stops renewing: its node key and
 * meeting leases run out and the next join anywhere places the meeting on a live node, which
 * reopens it from the database. A lease found held by a node whose own key is gone is taken over
 * at once (compare-and-set), so failover waits for one lease, not two.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  CLUSTER_HANDOFF_BYTES,
  CLUSTER_HANDOFF_TTL_MS,
  CLUSTER_KEY_PREFIX,
  CLUSTER_LEASE_MS,
  CLUSTER_LOGINS_KEPT,
  CLUSTER_RENEW_MS,
} from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { Logger } from '../logger';
import type { Rate, RateLimiter } from '../Throttle';
import type { Cluster, Placement, TicketUser } from './Cluster';
import { RedisThrottle } from './RedisThrottle';

export interface RedisClusterOptions {
  /** `redis://host:port/db`. */
  url: string;
  nodeId: string;
  /** Prefix of every key (default CLUSTER_KEY_PREFIX); tests use their own. */
  prefix?: string;
  leaseMs?: number;
  renewMs?: number;
  logger: Logger;
  /** Members on this node now (its load). */
  load: () => number;
  /** A session of `userId` started on another node: end this node's. */
  kickUser: (userId: number) => void;
  /** Another node took the meeting's lease while its room was open here: close the room. */
  lost: (meetingId: string) => void;
}

interface NodeInfo {
  host: string;
  port: number;
  /** Its certificate's SHA-256 (what a redirected client pins), null on plain TCP. */
  fingerprint: string | null;
  members: number;
}

/** Sets KEYS[1] to ARGV[2] with a lease of ARGV[3] ms if it still holds ARGV[1] (or nothing). */
const SWAP = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or (not v and ARGV[1] == '') then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;
/** Renews KEYS[1] (ARGV[2] ms) if it holds ARGV[1] or ran out; 0 when another node holds it. */
const RENEW = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] or not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;
/** Publishes ARGV[2] .. ' ' .. Redis time (µs) .. ' ' .. ARGV[3] on channel ARGV[1]; returns the time. */
const LOGIN = `
local t = redis.call('TIME')
local at = tostring(t[1]) .. string.format('%06d', tonumber(t[2]))
redis.call('PUBLISH', ARGV[1], ARGV[2] .. ' ' .. at .. ' ' .. ARGV[3])
return at`;
/** Deletes KEYS[1] if it holds ARGV[1]. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function remote(nodeId: string, node: NodeInfo): Placement {
  return {
    local: false,
    nodeId,
    host: node.host,
    port: node.port,
    fingerprint: node.fingerprint ?? null,
  };
}

export class RedisCluster implements Cluster {
  readonly nodeId: string;
  readonly #options: RedisClusterOptions;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #redis: Redis;
  readonly #sub: Redis;
  /**
   * Redis time of the latest login here per account, so that of two logins on two nodes at once
   * the later one wins on both (bounded: the oldest entries go first).
   */
  readonly #logins = new Map<number, Promise<bigint>>();
  /** Meetings whose rooms are open here (their leases are renewed). */
  readonly #owned = new Set<string>();
  #address: { host: string; port: number; fingerprint: string | null } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: RedisClusterOptions) {
    this.#options = options;
    this.nodeId = options.nodeId;
    this.#prefix = options.prefix ?? CLUSTER_KEY_PREFIX;
    this.#leaseMs = options.leaseMs ?? CLUSTER_LEASE_MS;
    this.#renewMs = options.renewMs ?? Math.min(CLUSTER_RENEW_MS, Math.floor(this.#leaseMs / 3));
    const redisOptions = {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      commandTimeout: 2000,
      connectionName: `meeting-${options.nodeId}`,
    };
    this.#redis = new Redis(options.url, redisOptions);
    this.#sub = new Redis(options.url, { ...redisOptions, commandTimeout: undefined });
    const log = (error: Error): void =>
      options.logger.warn({ reason: error.message }, 'redis connection error');
    this.#redis.on('error', log);
    this.#sub.on('error', log);
  }

  /** Connects to Redis and listens for other nodes' logins. */
  async connect(): Promise<void> {
    await Promise.all([this.#redis.connect(), this.#sub.connect()]);
    await this.#sub.subscribe(this.#key('kick'));
    this.#sub.on('message', (_channel: string, message: string) => this.#onKick(message));
  }

  /** Announces this node at `host:port` (what redirects send clients to) and starts renewing. */
  async register(host: string, port: number, fingerprint: string | null): Promise<void> {
    this.#address = { host, port, fingerprint };
    await this.#renew();
    await this.#redis.sadd(this.#key('nodes'), this.nodeId);
    this.#timer = setInterval(() => void this.#renew(), this.#renewMs);
    this.#timer.unref();
  }

  notReady(): string | null {
    if (this.#closed) return 'closed';
    return this.#redis.status === 'ready' ? null : `redis ${this.#redis.status}`;
  }

  async place(meetingId: string): Promise<Placement> {
    const key = this.#key(`lease:${meetingId}`);
    try {
      for (let attempt = 0; attempt < 4; attempt++) {
        const owner = await this.#redis.get(key);
        if (owner === this.nodeId) {
          await this.#redis.pexpire(key, this.#leaseMs);
          return { local: true };
        }
        if (owner) {
          const node = await this.#node(owner);
          if (node) return remote(owner, node);
          // Its node is dead (its own key ran out): take the meeting over.
          if (await this.#swap(key, owner, this.nodeId)) return { local: true };
          continue;
        }
        const target = await this.#leastLoaded();
        if (!(await this.#swap(key, '', target.id))) continue;
        if (target.id === this.nodeId) return { local: true };
        return remote(target.id, target.info);
      }
    } catch (error) {
      if (error instanceof MeetingError) throw error;
      this.#options.logger.warn({ err: error }, 'cluster placement failed');
      throw new MeetingError(ErrorCode.SERVER_BUSY, 'cluster unavailable; try again shortly');
    }
    throw new MeetingError(ErrorCode.SERVER_BUSY, 'the meeting is moving between nodes; try again');
  }

  async nodeAt(nodeId: string): Promise<Placement | null> {
    if (nodeId === this.nodeId) return { local: true };
    const node = await this.#node(nodeId);
    return node ? remote(nodeId, node) : null;
  }

  opened(meetingId: string): void {
    this.#owned.add(meetingId);
  }

  released(meetingId: string): void {
    if (!this.#owned.delete(meetingId) || this.#closed) return;
    this.#redis
      .eval(RELEASE, 1, this.#key(`lease:${meetingId}`), this.nodeId)
      .catch(() => undefined);
  }

  async issueTicket(user: TicketUser): Promise<string> {
    const ticket = randomBytes(CLUSTER_HANDOFF_BYTES).toString('base64url');
    await this.#redis.set(
      this.#key(`ticket:${ticket}`),
      JSON.stringify({ id: user.id, username: user.username, faceEffect: user.faceEffect }),
      'PX',
      CLUSTER_HANDOFF_TTL_MS,
    );
    return ticket;
  }

  async redeemTicket(ticket: string): Promise<TicketUser | null> {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(ticket)) return null;
    const raw = await this.#redis.getdel(this.#key(`ticket:${ticket}`));
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<TicketUser>;
    if (typeof parsed.id !== 'number' || typeof parsed.username !== 'string') return null;
    return { id: parsed.id, username: parsed.username, faceEffect: String(parsed.faceEffect) };
  }

  sessionStarted(userId: number): void {
    const at = (
      this.#redis.eval(LOGIN, 0, this.#key('kick'), String(userId), this.nodeId) as Promise<string>
    ).then(
      (t) => BigInt(t),
      (error: unknown) => {
        this.#options.logger.warn({ err: error, userId }, 'could not tell other nodes of a login');
        return 0n;
      },
    );
    this.#logins.delete(userId);
    this.#logins.set(userId, at);
    if (this.#logins.size > CLUSTER_LOGINS_KEPT) {
      const oldest = this.#logins.keys().next().value;
      if (oldest !== undefined) this.#logins.delete(oldest);
    }
  }

  limiter(name: string, rate: Rate): RateLimiter {
    return new RedisThrottle(this.#redis, this.#key(`rl:${name}:`), rate);
  }

  async close(graceful: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    try {
      if (graceful) {
        const pipeline = this.#redis.pipeline();
        for (const id of this.#owned)
          pipeline.eval(RELEASE, 1, this.#key(`lease:${id}`), this.nodeId);
        pipeline.del(this.#key(`node:${this.nodeId}`));
        pipeline.srem(this.#key('nodes'), this.nodeId);
        await pipeline.exec();
      }
    } catch {
      // Leases run out by themselves.
    }
    this.#owned.clear();
    await Promise.allSettled([this.#redis.quit(), this.#sub.quit()]);
  }

  // ---- internals ------------------------------------------------------------------------------

  #key(name: string): string {
    return this.#prefix + name;
  }

  async #swap(key: string, expected: string, next: string): Promise<boolean> {
    return (await this.#redis.eval(SWAP, 1, key, expected, next, this.#leaseMs)) === 1;
  }

  async #node(id: string): Promise<NodeInfo | null> {
    const raw = await this.#redis.get(this.#key(`node:${id}`));
    return raw ? (JSON.parse(raw) as NodeInfo) : null;
  }

  /** The live node with the fewest members (this node on a tie, then by id). */
  async #leastLoaded(): Promise<{ id: string; info: NodeInfo }> {
    const ids = (await this.#redis.smembers(this.#key('nodes'))).sort();
    const raws =
      ids.length > 0 ? await this.#redis.mget(ids.map((id) => this.#key(`node:${id}`))) : [];
    let best: { id: string; info: NodeInfo } | null = null;
    const dead: string[] = [];
    ids.forEach((id, i) => {
      const raw = raws[i];
      if (!raw) return void dead.push(id);
      const info =
        id === this.nodeId && this.#address
          ? { ...this.#address, members: this.#options.load() }
          : (JSON.parse(raw) as NodeInfo);
      const better =
        !best ||
        info.members < best.info.members ||
        (info.members === best.info.members && id === this.nodeId);
      if (better) best = { id, info };
    });
    if (dead.length > 0) await this.#redis.srem(this.#key('nodes'), ...dead);
    if (best) return best;
    if (!this.#address) throw new MeetingError(ErrorCode.SERVER_BUSY, 'node not registered yet');
    return { id: this.nodeId, info: { ...this.#address, members: this.#options.load() } };
  }

  async #renew(): Promise<void> {
    if (this.#closed || !this.#address) return;
    const info: NodeInfo = { ...this.#address, members: this.#options.load() };
    try {
      const pipeline = this.#redis.pipeline();
      pipeline.set(this.#key(`node:${this.nodeId}`), JSON.stringify(info), 'PX', this.#leaseMs);
      // A node pruned as dead by another (a long pause) comes back into the set.
      pipeline.sadd(this.#key('nodes'), this.nodeId);
      const owned = [...this.#owned];
      for (const id of owned)
        pipeline.eval(RENEW, 1, this.#key(`lease:${id}`), this.nodeId, this.#leaseMs);
      const results = (await pipeline.exec()) ?? [];
      owned.forEach((id, i) => {
        const [error, renewed] = results[i + 2] ?? [null, 0];
        if (!error && renewed === 0 && this.#owned.has(id)) {
          // Another node holds the meeting now (this one was presumed dead): give the room up.
          this.#owned.delete(id);
          this.#options.logger.warn({ meetingId: id }, 'meeting lease lost to another node');
          this.#options.lost(id);
        }
      });
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'lease renewal failed');
    }
  }

  #onKick(message: string): void {
    const [user, at, node] = message.split(' ');
    const userId = Number(user);
    if (node === this.nodeId || !Number.isSafeInteger(userId) || !at || !/^\d{1,30}$/.test(at))
      return;
    const theirs = BigInt(at);
    const mine = this.#logins.get(userId);
    if (!mine) return this.#options.kickUser(userId);
    // Only a later login ends this node's session (two logins at once: the later one stays).
    void mine.then((t) => {
      if (t < theirs && this.#logins.get(userId) === mine) {
        this.#logins.delete(userId);
        this.#options.kickUser(userId);
      }
    });
  }
}
