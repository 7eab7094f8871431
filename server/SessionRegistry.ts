/**
 * The sessions of this node and their tokens: one session per account (a second login ends the
 * first), media links find their session by token, a new control link takes a session back by its
 * resume token. Owns every Session and forgets it on '@close'.
 *
 * A session is a database row too (`sessions`: its id is the member id, its resume token's hash,
 * its meeting and media state), so that a restarted server can restore it (`restore`) and its
 * client can resume into the same meeting. The row goes when the session ends; a shutdown
 * (`suspendAll`) keeps the rows.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  RESUME_TOKEN_BYTES,
  SESSION_TOKEN_BYTES,
  SESSION_TOKEN_TTL_MS,
  isFaceEffect,
} from '../common/constants';
import { ErrorCode, MeetingError } from '../common/errors';
import type { LeaveReason } from '../common/protocol';
import type { Database, StoredSession } from '../db';
import type { Connection } from './Connection';
import { Session } from './Session';
import type { Writes } from './Writes';

export interface SessionUser {
  id: number;
  username: string;
  faceEffect: string;
}

export type SessionEndListener = (session: Session, reason: LeaveReason) => void;

export interface SessionRegistryOptions {
  db: Database;
  writes: Writes;
  /** How long a session whose control link dropped waits for a resume. */
  graceMs: number;
  /** Hears of every session's end, however it ends (for the access log). */
  onEnd: SessionEndListener;
  /** The cluster node id stored with each new session (several nodes); none on a single server. */
  nodeId?: string;
}

/** A session and the resume token its client must keep (the server keeps only its hash). */
export interface SessionGrant {
  session: Session;
  resumeToken: string;
}

export const hashToken = (token: string): string =>
  createHash('sha256').update(token).digest('hex');
const newMediaToken = (): string => randomBytes(SESSION_TOKEN_BYTES).toString('base64url');
const newResumeToken = (): string => randomBytes(RESUME_TOKEN_BYTES).toString('base64url');

export class SessionRegistry {
  readonly #options: SessionRegistryOptions;
  readonly #byUser = new Map<number, Session>();
  readonly #byToken = new Map<string, { session: Session; expires: number }>();
  readonly #byControl = new Map<Connection, Session>();
  /** Resume token hash → session. */
  readonly #byResume = new Map<string, Session>();
  readonly #resumeHash = new WeakMap<Session, string>();
  /** Unhooks a session from its current control link. */
  readonly #unhook = new WeakMap<Session, () => void>();
  #suspending = false;

  constructor(options: SessionRegistryOptions) {
    this.#options = options;
  }

  /** Sessions on this node (connected or waiting for a resume). */
  get size(): number {
    return this.#byUser.size;
  }

  /** Sessions whose client is connected now. */
  get connected(): number {
    let n = 0;
    for (const s of this.#byUser.values()) if (!s.detached) n++;
    return n;
  }

  /** Starts a session for `user` on `control`, ending the account's earlier session. */
  async start(control: Connection, user: SessionUser): Promise<SessionGrant> {
    const resumeToken = newResumeToken();
    const resumeHash = hashToken(resumeToken);
    const id = await this.#options.db.sessions.create(
      user.id,
      resumeHash,
      Date.now(),
      this.#options.nodeId ?? null,
    );
    if (control.closed) {
      this.#options.writes.track(this.#options.db.sessions.delete(id));
      throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'link closed');
    }
    const previous = this.#byUser.get(user.id);
    if (previous) {
      previous.sendEvent('kicked', {
        code: ErrorCode.LOGGED_IN_ELSEWHERE,
        message: 'logged in elsewhere',
      });
      const previousControl = previous.control;
      previous.close('logged-in-elsewhere');
      previousControl?.close('logged in elsewhere');
    }
    const session = new Session({
      id,
      userId: user.id,
      username: user.username,
      token: newMediaToken(),
      control,
      effect: isFaceEffect(user.faceEffect) ? user.faceEffect : 'none',
    });
    this.#adopt(session, resumeHash);
    this.#bind(session, control);
    return { session, resumeToken };
  }

  /**
   * Gives the session of `resumeToken` a new control link: its old one (if the server had not
   * noticed it drop) closes, the media token and the resume token are replaced (the new resume
   * token is stored before the reply, so a crash cannot strand the client with an unknown one).
   */
  async resume(control: Connection, resumeToken: string): Promise<SessionGrant> {
    const oldHash = hashToken(resumeToken);
    const session = this.#byResume.get(oldHash);
    if (!session || session.closed)
      throw new MeetingError(
        ErrorCode.RESUME_FAILED,
        'the session cannot be resumed (unknown or expired); log in again',
      );
    const next = newResumeToken();
    const nextHash = hashToken(next);
    // The old token is spent at once: a second resume with it fails even while this one waits.
    this.#byResume.delete(oldHash);
    this.#byResume.set(nextHash, session);
    this.#resumeHash.set(session, nextHash);
    await this.#options.db.sessions.rotate(session.id, nextHash, Date.now());
    if (session.closed || control.closed) {
      throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'link closed');
    }
    const old = session.control;
    this.#unhook.get(session)?.();
    old?.close('replaced by a resumed link');
    this.#byToken.delete(session.token);
    session.reattach(control, newMediaToken());
    this.#byToken.set(session.token, { session, expires: Date.now() + SESSION_TOKEN_TTL_MS });
    this.#bind(session, control);
    return { session, resumeToken: next };
  }

  /**
   * Recreates a session of a stored row after a restart, detached: its client has `graceMs` to
   * resume it. The caller puts it back in its room.
   */
  restore(row: StoredSession, user: SessionUser, resumeHash: string): Session {
    const session = new Session({
      id: row.id,
      userId: user.id,
      username: user.username,
      token: newMediaToken(),
      control: null,
      effect: isFaceEffect(user.faceEffect) ? user.faceEffect : 'none',
      audioOn: row.audio,
      videoOn: row.video,
    });
    this.#adopt(session, resumeHash);
    session.detach(this.#options.graceMs, 'disconnected');
    return session;
  }

  /** Whether this node holds a session of `userId`, or one resumable with `resumeHash`. */
  holds(userId: number, resumeHash: string): boolean {
    return this.#byUser.has(userId) || this.#byResume.has(resumeHash);
  }

  /** Whether a session of this node resumes with the token hashing to `resumeHash`. */
  holdsToken(resumeHash: string): boolean {
    const session = this.#byResume.get(resumeHash);
    return session !== undefined && !session.closed;
  }

  /** Ends the account's session on this node, if any (it logged in on another node). */
  kickUser(userId: number): void {
    const session = this.#byUser.get(userId);
    if (!session) return;
    session.sendEvent('kicked', {
      code: ErrorCode.LOGGED_IN_ELSEWHERE,
      message: 'logged in elsewhere',
    });
    const control = session.control;
    session.close('logged-in-elsewhere');
    control?.close('logged in elsewhere');
  }

  /** The session whose control link is `control`. */
  byControl(control: Connection): Session | undefined {
    return this.#byControl.get(control);
  }

  /** The live session a media token belongs to, or undefined (an expired token is forgotten). */
  byToken(token: string): Session | undefined {
    const entry = this.#byToken.get(token);
    if (!entry) return undefined;
    if (entry.session.closed || entry.session.token !== token || entry.expires < Date.now()) {
      this.#byToken.delete(token);
      return undefined;
    }
    return entry.session;
  }

  /** Ends every session (and deletes their rows). */
  closeAll(reason: LeaveReason): void {
    for (const s of [...this.#byUser.values()]) s.close(reason);
  }

  /**
   * Server shutdown: every session closes on this node but keeps its row, so that its client can
   * resume it on the restarted server.
   */
  suspendAll(): void {
    this.#suspending = true;
    this.closeAll('disconnected');
  }

  /** Registers a session under its user, tokens and resume hash; forgets it all on '@close'. */
  #adopt(session: Session, resumeHash: string): void {
    this.#byUser.set(session.userId, session);
    this.#byToken.set(session.token, { session, expires: Date.now() + SESSION_TOKEN_TTL_MS });
    this.#byResume.set(resumeHash, session);
    this.#resumeHash.set(session, resumeHash);
    session.once('@close', (reason) => {
      this.#unhook.get(session)?.();
      if (this.#byUser.get(session.userId) === session) this.#byUser.delete(session.userId);
      this.#byToken.delete(session.token);
      const hash = this.#resumeHash.get(session);
      if (hash !== undefined && this.#byResume.get(hash) === session) this.#byResume.delete(hash);
      if (!this.#suspending)
        this.#options.writes.track(this.#options.db.sessions.delete(session.id));
      this.#options.onEnd(session, reason);
    });
  }

  /** Makes `control` the session's control link: losing it detaches the session. */
  #bind(session: Session, control: Connection): void {
    this.#byControl.set(control, session);
    control.authenticated();
    const onControlClose = (reason: string): void => {
      unhook();
      session.detach(
        this.#options.graceMs,
        reason === 'heartbeat timeout' ? 'timeout' : 'disconnected',
      );
    };
    const unhook = (): void => {
      control.off('@close', onControlClose);
      if (this.#byControl.get(control) === session) this.#byControl.delete(control);
      if (this.#unhook.get(session) === unhook) this.#unhook.delete(session);
    };
    control.once('@close', onControlClose);
    this.#unhook.set(session, unhook);
  }
}
