/** Accounts and sessions: heartbeat, register, login, logout, and attaching media links. */
import { PASSWORD_MIN_LENGTH, USERNAME_PATTERN } from '../../common/constants';
import { nowMs } from '../../common/clock';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { LoginResult } from '../../common/protocol';
import { DuplicateError } from '../../db';
import type { Connection } from '../Connection';
import type { SessionGrant, SessionUser } from '../SessionRegistry';
import { adoptSession } from '../cluster/adopt';
import type { Session } from '../Session';
import type { HandlerTable, ServerContext } from './context';
import { meetingSnapshot } from './meeting';
import { requireNoSession, requireSession } from './guards';

export async function startSession(
  connection: Connection,
  user: SessionUser,
  ctx: ServerContext,
): Promise<LoginResult> {
  const { session, resumeToken } = await ctx.sessions.start(connection, user);
  ctx.cluster?.sessionStarted(user.id);
  ctx.access.record('login', {
    userId: user.id,
    username: user.username,
    address: connection.address,
  });
  ctx.writes.track(ctx.db.users.touchLogin(user.id, Date.now()));
  return loginResult(session, resumeToken);
}

function loginResult(session: Session, resumeToken: string): LoginResult {
  return {
    userId: session.userId,
    username: session.username,
    memberId: session.id,
    token: session.token,
    resumeToken,
    serverTime: Date.now(),
    effect: session.effect,
  };
}

export const accountHandlers: HandlerTable<
  'ping' | 'register' | 'login' | 'logout' | 'attach' | 'resume'
> = {
  ping: (_connection, data) => ({
    serverTime: nowMs(),
    ...(data.clientTime !== undefined ? { clientTime: data.clientTime } : {}),
  }),

  register: async (connection, { username, password }, ctx) => {
    requireNoSession(connection, ctx);
    if (!USERNAME_PATTERN.test(username)) {
      throw new MeetingError(
        ErrorCode.INVALID_USERNAME,
        'usernames are 3-32 letters, digits, dot, dash or underscore',
      );
    }
    if (password.length < PASSWORD_MIN_LENGTH) {
      throw new MeetingError(
        ErrorCode.WEAK_PASSWORD,
        `passwords need at least ${PASSWORD_MIN_LENGTH} characters`,
      );
    }
    if (!(await ctx.limiters.registerPerAddress.take(connection.ip)))
      throw new MeetingError(ErrorCode.RATE_LIMITED, 'too many registrations from this address');
    const slots = ctx.limiters.registrations;
    if (slots.inFlight >= slots.max)
      throw new MeetingError(ErrorCode.SERVER_BUSY, 'too many registrations at once; try again');
    slots.inFlight++;
    let passwordHash: string;
    try {
      passwordHash = await ctx.pool.hashPassword(password, connection.abort.signal);
    } finally {
      slots.inFlight--;
    }
    // A client that left while its password was hashed gets no account and no session.
    if (connection.closed) throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'link closed');
    let user;
    try {
      user = await ctx.db.users.create({ username, passwordHash, createdAt: Date.now() });
    } catch (error) {
      if (error instanceof DuplicateError)
        throw new MeetingError(ErrorCode.USERNAME_TAKEN, `username '${username}' is taken`);
      throw error;
    }
    ctx.access.record('register', {
      userId: user.id,
      username,
      address: connection.address,
    });
    // The link may have logged in, or gone, while the hash was computed.
    requireNoSession(connection, ctx);
    if (connection.closed) throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'link closed');
    return startSession(connection, user, ctx);
  },

  login: async (connection, { username, password }, ctx) => {
    requireNoSession(connection, ctx);
    const key = `${username}\u0000${connection.ip}`;
    // Both count before the hash, so parallel guesses cannot all get through.
    if (
      !(await ctx.limiters.loginPerAddress.take(connection.ip)) ||
      !(await ctx.limiters.loginFailures.take(key))
    ) {
      throw new MeetingError(
        ErrorCode.RATE_LIMITED,
        'too many login attempts; wait a minute and try again',
      );
    }
    const user = await ctx.db.users.findByUsername(username);
    // Unknown users cost a verification too and get the same answer as a wrong password.
    const ok = await ctx.pool.verifyPassword(
      password,
      user?.passwordHash ?? null,
      connection.abort.signal,
    );
    if (!user || !ok) {
      ctx.access.record('login_failed', {
        userId: user?.id ?? null,
        username,
        address: connection.address,
      });
      throw new MeetingError(ErrorCode.BAD_CREDENTIALS, 'wrong username or password');
    }
    await ctx.limiters.loginFailures.forget(key);
    requireNoSession(connection, ctx);
    if (connection.closed) throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'link closed');
    return startSession(connection, user, ctx);
  },

  logout: (connection, _data, ctx) => {
    requireSession(connection, ctx).close('left');
    connection.unauthenticated();
    return {};
  },

  attach: (connection, { token, link: kind }, ctx) => {
    if (ctx.sessions.byControl(connection))
      throw new MeetingError(
        ErrorCode.UNEXPECTED_FRAME,
        'a control link cannot become a media link',
      );
    const session = ctx.sessions.byToken(token);
    // A media link joins only a session whose client holds its control link now, with the token
    // of the latest login or resume (every resume replaces it). The address is not compared: a
    // client behind a carrier NAT, or one that reached the server over IPv4 and IPv6, may open its
    // links from different addresses.
    if (!session || session.control === null) {
      // Refused: the link closes right after the error reply.
      setImmediate(() => connection.close('bad token'));
      throw new MeetingError(ErrorCode.BAD_TOKEN, 'unknown or expired session token');
    }
    if (kind === 'files') ctx.files.attach(session, connection);
    else session.attach(kind, connection);
    return { memberId: session.id, link: kind };
  },

  resume: async (connection, { token }, ctx) => {
    requireNoSession(connection, ctx);
    if (!ctx.limiters.resumePerAddress.take(connection.ip))
      throw new MeetingError(ErrorCode.RATE_LIMITED, 'too many resume attempts; wait a minute');
    const { session, resumeToken } = await resumeHere(connection, token, ctx);
    ctx.access.record('resume', {
      userId: session.userId,
      username: session.username,
      address: connection.address,
    });
    const room = session.room;
    return {
      ...loginResult(session, resumeToken),
      meeting: room ? await meetingSnapshot(session, room, ctx) : null,
    };
  },
};

/**
 * Resumes a session of this node; with several nodes, one this node does not hold is adopted first
 * if its node died (or the client is redirected to where it lives: see cluster/adopt.ts).
 */
async function resumeHere(
  connection: Connection,
  token: string,
  ctx: ServerContext,
): Promise<SessionGrant> {
  try {
    return await ctx.sessions.resume(connection, token);
  } catch (error) {
    const cluster = ctx.cluster;
    if (!cluster || !(error instanceof MeetingError) || error.code !== ErrorCode.RESUME_FAILED)
      throw error;
    await adoptSession(connection, token, cluster, ctx);
    try {
      return await ctx.sessions.resume(connection, token);
    } catch (again) {
      if (!(again instanceof MeetingError) || again.code !== ErrorCode.RESUME_FAILED) throw again;
      // Another node adopted it meanwhile: this look sends the client there (or fails for good).
      await adoptSession(connection, token, cluster, ctx);
      return ctx.sessions.resume(connection, token);
    }
  }
}
