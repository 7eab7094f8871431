/** The checks several handlers share, each with its stable error. */
import { ErrorCode, MeetingError } from '../../common/errors';
import type { Connection } from '../Connection';
import type { Member } from '../Member';
import type { Room } from '../Room';
import type { Session } from '../Session';
import type { ServerContext } from './context';

/** The session logged in on this link. */
export function requireSession(connection: Connection, ctx: ServerContext): Session {
  const session = ctx.sessions.byControl(connection);
  if (!session || session.closed) throw new MeetingError(ErrorCode.NOT_LOGGED_IN, 'log in first');
  return session;
}

/** Refuses a second login on a link that has a session. */
export function requireNoSession(connection: Connection, ctx: ServerContext): void {
  if (ctx.sessions.byControl(connection))
    throw new MeetingError(ErrorCode.ALREADY_LOGGED_IN, 'already logged in on this link');
}

/** The room the session is in, and its member there. */
export function requireRoom(session: Session): { room: Room; member: Member } {
  const room = session.room;
  const member = session.member;
  if (!room || !member) throw new MeetingError(ErrorCode.NOT_IN_MEETING, 'join a meeting first');
  return { room, member };
}

export function requireNoRoom(session: Session): void {
  if (session.room)
    throw new MeetingError(ErrorCode.ALREADY_IN_MEETING, 'leave the current meeting first');
}

export function requireHost(room: Room, member: Member, what: string): void {
  if (room.host !== member) throw new MeetingError(ErrorCode.NOT_HOST, `only the host can ${what}`);
}
