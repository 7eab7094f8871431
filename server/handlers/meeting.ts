/** Meetings: create, join, leave, recent meetings, and the host's room options. */
import { randomInt } from 'node:crypto';
import { CHAT_HISTORY_ON_JOIN } from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { JoinResult } from '../../common/protocol';
import { DuplicateError, type Meeting } from '../../db';
import { toMeetingInfo } from '../Rooms';
import type { Session } from '../Session';
import { toChatMessages } from './chat';
import { AfterSent, type HandlerTable, type ServerContext } from './context';
import { requireHost, requireNoRoom, requireRoom, requireSession } from './guards';

/**
 * Enters the meeting's room. The others are told (and the attendance row written) only once the
 * joiner's reply is on its way; a reply that cannot be delivered rolls the join back unseen.
 */
async function enter(
  session: Session,
  meeting: Meeting,
  ctx: ServerContext,
): Promise<AfterSent<JoinResult>> {
  const room = await ctx.rooms.open(meeting);
  const stored = await ctx.db.messages.historyFor(meeting.id, session.userId, CHAT_HISTORY_ON_JOIN);
  const history = await toChatMessages(stored, ctx);
  if (session.closed) throw new MeetingError(ErrorCode.NOT_LOGGED_IN, 'session ended');
  requireNoRoom(session);
  if (room.closed) throw new MeetingError(ErrorCode.INTERNAL, 'the meeting closed meanwhile');
  const member = session.enter(room, Date.now());
  const result: JoinResult = {
    meeting: room.meeting,
    you: member.id,
    members: room.memberInfos(),
    history,
    options: { ...room.options },
  };
  return new AfterSent(result, {
    sent: () => {
      if (member.closed) return;
      room.announce(member);
      ctx.rooms.recordJoin(room, member, session);
    },
    failed: () => member.close('left'),
  });
}

export const meetingHandlers: HandlerTable<
  'createMeeting' | 'joinMeeting' | 'leaveMeeting' | 'recentMeetings' | 'setRoomOptions'
> = {
  createMeeting: async (connection, { name, password }, ctx) => {
    const session = requireSession(connection, ctx);
    requireNoRoom(session);
    const passwordHash = password
      ? await ctx.pool.hashPassword(password, session.abort.signal)
      : null;
    for (let attempt = 0; ; attempt++) {
      const id = [0, 0, 0].map(() => String(randomInt(100, 1000))).join('-');
      try {
        const meeting = await ctx.db.meetings.create({
          id,
          name,
          passwordHash,
          hostUserId: session.userId,
          createdByUserId: session.userId,
          createdAt: Date.now(),
        });
        return await enter(session, meeting, ctx);
      } catch (error) {
        if (!(error instanceof DuplicateError) || attempt >= 5) throw error;
      }
    }
  },

  joinMeeting: async (connection, { meetingId, password }, ctx) => {
    const session = requireSession(connection, ctx);
    requireNoRoom(session);
    const id = meetingId.replace(/\s+/g, '');
    const meeting = await ctx.db.meetings.findById(id);
    if (!meeting) throw new MeetingError(ErrorCode.MEETING_NOT_FOUND, `no meeting with id '${id}'`);
    if (meeting.passwordHash !== null) {
      const ok =
        password !== undefined &&
        (await ctx.pool.verifyPassword(password, meeting.passwordHash, session.abort.signal));
      if (!ok)
        throw new MeetingError(ErrorCode.MEETING_PASSWORD, 'wrong or missing meeting password');
    }
    return enter(session, meeting, ctx);
  },

  leaveMeeting: (connection, _data, ctx) => {
    const session = requireSession(connection, ctx);
    requireRoom(session);
    session.leave('left');
    return {};
  },

  recentMeetings: async (connection, _data, ctx) => {
    const session = requireSession(connection, ctx);
    const rows = await ctx.db.meetings.recentForUser(session.userId, 20);
    return { meetings: rows.map((m) => ({ ...toMeetingInfo(m), lastJoinedAt: m.lastJoinedAt })) };
  },

  setRoomOptions: (connection, { allowMultipleScreens }, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    requireHost(room, member, 'change room options');
    room.options.allowMultipleScreens = allowMultipleScreens;
    room.broadcast('roomOptions', { ...room.options });
    return { ...room.options };
  },
};
