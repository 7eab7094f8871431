/**
 * What a node needs from the others, behind one interface so that a single node runs without any
 * (no cluster: every meeting is local, limits are in memory) and several nodes share Redis
 * (`RedisCluster`). Only shared state goes through here; sockets, rooms and queues stay node-local.
 */
import type { RateLimiter } from '../Throttle';
import type { Rate } from '../Throttle';

/** Where a meeting lives: on this node, or on another one at `host:port`. */
export type Placement =
  | { local: true }
  | {
      local: false;
      nodeId: string;
      host: string;
      port: number;
      /** SHA-256 of the node's TLS certificate (null: plain TCP). */
      fingerprint: string | null;
    };

/** Who a handoff ticket logs in (what a session starts from). */
export interface TicketUser {
  id: number;
  username: string;
  faceEffect: string;
}

export interface Cluster {
  readonly nodeId: string;
  /** Null while the node can take clients; else why not (Redis unreachable). */
  notReady(): string | null;
  /** The node of `meetingId`: the one holding its lease, else the least loaded (which gets it). */
  place(meetingId: string): Promise<Placement>;
  /** Where the live node `nodeId` is (this node: local); null when its lease ran out (dead). */
  nodeAt(nodeId: string): Promise<Placement | null>;
  /** This node opened the meeting's room: keep renewing its lease. */
  opened(meetingId: string): void;
  /** The room closed here: give the lease up so the meeting may open anywhere. */
  released(meetingId: string): void;
  /** A one-time ticket that logs `user` in on another node (after a redirect). */
  issueTicket(user: TicketUser): Promise<string>;
  /** The user of a ticket, once; null when unknown, used or expired. */
  redeemTicket(ticket: string): Promise<TicketUser | null>;
  /** A session started here: sessions of the same account on other nodes end. */
  sessionStarted(userId: number): void;
  /** A rate limiter shared by every node (`name` keeps limiters apart). */
  limiter(name: string, rate: Rate): RateLimiter;
  /** Leaves the cluster; `graceful`: hand the leases back at once (a planned shutdown). */
  close(graceful: boolean): Promise<void>;
}
