/**
 * The sessions of this node and their tokens: one session per account (a second login ends the
 * first), media links find their session by token. Owns every Session and forgets it on '@close'.
 */
import { randomBytes } from 'node:crypto';
import { SESSION_TOKEN_BYTES, SESSION_TOKEN_TTL_MS, isFaceEffect } from '../common/constants';
import { ErrorCode } from '../common/errors';
import type { LeaveReason } from '../common/protocol';
import type { Connection } from './Connection';
import { Session } from './Session';

export interface SessionUser {
  id: number;
  username: string;
  faceEffect: string;
}

export type SessionEndListener = (session: Session, reason: LeaveReason) => void;

export class SessionRegistry {
  readonly #byUser = new Map<number, Session>();
  readonly #byToken = new Map<string, { session: Session; expires: number }>();
  readonly #byControl = new Map<Connection, Session>();
  readonly #onEnd: SessionEndListener;
  #nextId = 1;

  /** `onEnd` hears of every session's end, however it ends (for the access log). */
  constructor(onEnd: SessionEndListener) {
    this.#onEnd = onEnd;
  }

  /** Sessions on this node. */
  get size(): number {
    return this.#byUser.size;
  }

  /** Starts a session for `user` on `control`, ending the account's earlier session. */
  start(control: Connection, user: SessionUser): Session {
    const previous = this.#byUser.get(user.id);
    if (previous) {
      previous.sendEvent('kicked', {
        code: ErrorCode.LOGGED_IN_ELSEWHERE,
        message: 'logged in elsewhere',
      });
      previous.close('logged-in-elsewhere');
      previous.control.close('logged in elsewhere');
    }
    const session = new Session({
      id: this.#nextId++,
      userId: user.id,
      username: user.username,
      token: randomBytes(SESSION_TOKEN_BYTES).toString('base64url'),
      control,
      effect: isFaceEffect(user.faceEffect) ? user.faceEffect : 'none',
    });
    this.#byUser.set(user.id, session);
    this.#byControl.set(control, session);
    this.#byToken.set(session.token, { session, expires: Date.now() + SESSION_TOKEN_TTL_MS });
    control.authenticated();
    // Losing the control link ends the session: media links close and the member leaves its room.
    const onControlClose = (reason: string): void =>
      session.close(reason === 'heartbeat timeout' ? 'timeout' : 'disconnected');
    control.once('@close', onControlClose);
    session.once('@close', (reason) => {
      control.off('@close', onControlClose);
      if (this.#byUser.get(session.userId) === session) this.#byUser.delete(session.userId);
      if (this.#byControl.get(control) === session) this.#byControl.delete(control);
      this.#byToken.delete(session.token);
      this.#onEnd(session, reason);
    });
    return session;
  }

  /** The live session whose control link is `control`. */
  byControl(control: Connection): Session | undefined {
    return this.#byControl.get(control);
  }

  /** The live session a token belongs to, or undefined (an expired token is forgotten). */
  byToken(token: string): Session | undefined {
    const entry = this.#byToken.get(token);
    if (!entry) return undefined;
    if (entry.session.closed || entry.expires < Date.now()) {
      this.#byToken.delete(token);
      return undefined;
    }
    return entry.session;
  }

  /** Ends every session (server shutdown). */
  closeAll(reason: LeaveReason): void {
    for (const s of [...this.#byUser.values()]) s.close(reason);
  }
}
