/**
 * Host controls, the waiting room, raised hands and reactions. The host and the co-hosts
 * ("moderators") mute, stop cameras and screen shares, remove, admit and deny; only the host sets
 * the password, ends the meeting and hands out roles. Every refusal has its stable code: ERR_NOT_HOST
 * for a member without the power, ERR_MEMBER_NOT_FOUND for a target not in the meeting (or not
 * waiting), ERR_BAD_TARGET for acting on oneself where that makes no sense.
 */
import { MEETING_BANS_MAX } from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { Member } from '../Member';
import type { Room } from '../Room';
import type { Session } from '../Session';
import type { HandlerTable, ServerContext } from './context';
import { requireHost, requireRoom, requireSession } from './guards';

/** The host or a co-host. */
function requireModerator(room: Room, member: Member, what: string): void {
  if (!room.isModerator(member))
    throw new MeetingError(ErrorCode.NOT_HOST, `only the host or a co-host can ${what}`);
}

/** The member `memberId` of the room, acted on by `actor` (a co-host cannot act on the host). */
function requireTarget(room: Room, actor: Member, memberId: number): Member {
  const target = room.member(memberId);
  if (!target || !room.announced(target))
    throw new MeetingError(ErrorCode.MEMBER_NOT_FOUND, `member ${memberId} is not in this meeting`);
  if (target !== actor && room.host === target && room.host !== actor)
    throw new MeetingError(ErrorCode.NOT_HOST, 'only the host can act on the host');
  return target;
}

function requireOther(actor: Member, target: Member, what: string): void {
  if (actor === target) throw new MeetingError(ErrorCode.BAD_TARGET, `you cannot ${what} yourself`);
}

/** The moderator's room, member, and the target member. */
function moderate(
  session: Session,
  memberId: number,
  what: string,
): { room: Room; member: Member; target: Member } {
  const { room, member } = requireRoom(session);
  requireModerator(room, member, what);
  return { room, member, target: requireTarget(room, member, memberId) };
}

/**
 * May `session` enter `room` now? Refuses a barred user (ERR_BARRED), anyone new while the meeting
 * is locked (ERR_MEETING_LOCKED), and puts anyone new in the waiting room while it is on
 * (ERR_WAITING_ROOM: the user is told 'admitted' or 'waitingDenied' later). "New": not let in
 * before, by the host or by having been a member (so a member whose link dropped gets back in).
 */
export async function checkAdmission(
  room: Room,
  session: Session,
  ctx: ServerContext,
): Promise<void> {
  if (await ctx.db.meetings.isBarred(room.id, session.userId))
    throw new MeetingError(ErrorCode.BARRED, 'the host removed you from this meeting');
  if (room.isAdmitted(session.userId) || room.size === 0) return;
  if (room.options.locked)
    throw new MeetingError(ErrorCode.MEETING_LOCKED, 'the host has locked this meeting');
  if (!room.options.waitingRoom || session.closed) return;
  const onClose = (): void => leave?.();
  const leave = room.waiting.add(session, Date.now(), () => session.off('@close', onClose));
  if (!leave)
    throw new MeetingError(ErrorCode.MEETING_FULL, 'the waiting room of this meeting is full');
  session.once('@close', onClose);
  throw new MeetingError(ErrorCode.WAITING_ROOM, 'waiting for the host to let you in');
}

/** Stores a host-muted member's media state with its session, so a restart keeps it muted. */
function keepMedia(target: Member, ctx: ServerContext): void {
  const { audioOn: audio, videoOn: video } = target.session;
  ctx.writes.track(ctx.db.sessions.setMedia(target.id, { audio, video }));
}

export const hostHandlers: HandlerTable<
  | 'muteMember'
  | 'askUnmute'
  | 'stopMemberVideo'
  | 'stopMemberScreen'
  | 'removeMember'
  | 'setMeetingPassword'
  | 'endMeeting'
  | 'setRole'
  | 'admitWaiting'
  | 'denyWaiting'
  | 'listWaiting'
  | 'raiseHand'
  | 'lowerHand'
  | 'react'
> = {
  muteMember: (connection, { memberId }, ctx) => {
    const { room, member, target } = moderate(requireSession(connection, ctx), memberId, 'mute');
    room.silence(target, 'audio', member);
    keepMedia(target, ctx);
    return {};
  },

  askUnmute: (connection, { memberId }, ctx) => {
    const { member, target } = moderate(requireSession(connection, ctx), memberId, 'ask to unmute');
    target.sendEvent('moderated', { action: 'ask-unmute', by: member.username });
    return {};
  },

  stopMemberVideo: (connection, { memberId }, ctx) => {
    const session = requireSession(connection, ctx);
    const { room, member, target } = moderate(session, memberId, "turn a member's camera off");
    room.silence(target, 'video', member);
    keepMedia(target, ctx);
    return {};
  },

  stopMemberScreen: (connection, { memberId }, ctx) => {
    const session = requireSession(connection, ctx);
    const { room, member, target } = moderate(session, memberId, "stop a member's screen share");
    if (room.relay.sharing(target.id)) {
      room.stopScreenShare(target);
      target.sendEvent('moderated', { action: 'stop-screen', by: member.username });
    }
    return {};
  },

  removeMember: async (connection, { memberId, bar }, ctx) => {
    const session = requireSession(connection, ctx);
    const { room, member, target } = moderate(session, memberId, 'remove members');
    requireOther(member, target, 'remove');
    if (bar) {
      // Stored before anyone is told, so a barred user cannot slip back in.
      const stored = await ctx.db.meetings.bar({
        meetingId: room.id,
        userId: target.userId,
        byUserId: member.userId,
        at: Date.now(),
        max: MEETING_BANS_MAX,
      });
      if (!stored)
        throw new MeetingError(
          ErrorCode.MEETING_FULL,
          `this meeting bars ${MEETING_BANS_MAX} users already, the most it can`,
        );
    }
    room.remove(target, member, bar === true);
    return {};
  },

  setMeetingPassword: async (connection, { password }, ctx) => {
    const session = requireSession(connection, ctx);
    const { room, member } = requireRoom(session);
    requireHost(room, member, 'change the meeting password');
    const hash =
      password === null ? null : await ctx.pool.hashPassword(password, session.abort.signal);
    await ctx.db.meetings.setPassword(room.id, hash);
    room.meeting.hasPassword = hash !== null;
    return { hasPassword: hash !== null };
  },

  endMeeting: (connection, _data, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    requireHost(room, member, 'end the meeting for everyone');
    room.end(member);
    return {};
  },

  setRole: (connection, { memberId, role }, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    requireHost(room, member, 'change roles');
    const target = requireTarget(room, member, memberId);
    requireOther(member, target, 'change the role of');
    room.setRole(target, role);
    return {};
  },

  admitWaiting: (connection, { userId }, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    requireModerator(room, member, 'let people in');
    const ids = userId === 'all' ? room.waiting.userIds() : [userId];
    if (userId !== 'all' && !room.waiting.has(userId))
      throw new MeetingError(ErrorCode.MEMBER_NOT_FOUND, `user ${userId} is not waiting`);
    for (const id of ids) {
      room.admit(id);
      room.waiting.admit(id);
    }
    return { admitted: ids.length };
  },

  denyWaiting: (connection, { userId }, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    requireModerator(room, member, 'turn people away');
    if (!room.waiting.deny(userId))
      throw new MeetingError(ErrorCode.MEMBER_NOT_FOUND, `user ${userId} is not waiting`);
    return {};
  },

  listWaiting: (connection, _data, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    requireModerator(room, member, 'see the waiting room');
    return { waiting: room.waiting.list() };
  },

  raiseHand: (connection, { raised }, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    if (!ctx.limiters.reactions.take(String(member.id)))
      throw new MeetingError(ErrorCode.RATE_LIMITED, 'too many hands and reactions; slow down');
    room.setHand(member, raised, Date.now());
    return {};
  },

  lowerHand: (connection, { memberId }, ctx) => {
    const session = requireSession(connection, ctx);
    const { room, member, target } = moderate(session, memberId, "lower a member's hand");
    if (room.hands().some((h) => h.memberId === target.id)) {
      room.setHand(target, false, Date.now());
      if (target !== member)
        target.sendEvent('moderated', { action: 'lower-hand', by: member.username });
    }
    return {};
  },

  react: (connection, { reaction }, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    if (!ctx.limiters.reactions.take(String(member.id)))
      throw new MeetingError(ErrorCode.RATE_LIMITED, 'too many hands and reactions; slow down');
    room.broadcast('reaction', { memberId: member.id, reaction });
    return {};
  },
};
