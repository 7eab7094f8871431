/** Meetings: create, join, leave, recent meetings, and the host's room options. */
import {
  CHAT_HISTORY_PAGE_BYTES,
  MAX_FRAME_SIZE,
  MEETING_MAX_MEMBERS,
} from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { ChatHistoryPage, JoinResult } from '../../common/protocol';
import { DuplicateError, type Meeting } from '../../db';
import { newMeetingId, normalizeMeetingId } from '../meetingIds';
import { toMeetingInfo } from '../Rooms';
import type { Room } from '../Room';
import type { Session } from '../Session';
import { historyPage } from './chat';
import { checkAdmission } from './host';
import { redirectIfElsewhere } from './cluster';

/** Bytes of a join reply kept for everything but the members and the history (ids, one member more). */
const JOIN_REPLY_RESERVE = 2048;
import { AfterSent, type HandlerTable, type ServerContext } from './context';
import { requireNoRoom, requireRoom, requireSession } from './guards';

/**
 * Enters the meeting's room. The others are told (and the attendance row written) only once the
 * joiner's reply is on its way; a reply that cannot be delivered rolls the join back unseen.
 */
async function enter(
  session: Session,
  meeting: Meeting,
  ctx: ServerContext,
  created = false,
): Promise<AfterSent<JoinResult>> {
  // With several nodes the meeting lives on one of them: elsewhere, the client is sent there.
  await redirectIfElsewhere(session, meeting.id, ctx);
  // The last member may leave (closing the room) while this join reads the history: open again.
  for (let attempt = 0; ; attempt++) {
    const room = await ctx.rooms.open(meeting, attempt > 0);
    try {
      const joined = await enterRoom(session, room, ctx, created);
      if (joined) return joined;
      if (attempt >= 2) throw new MeetingError(ErrorCode.INTERNAL, 'the meeting keeps closing');
    } catch (error) {
      // A room opened for this join alone must not stay open empty.
      if (room.size === 0) room.close();
      throw error;
    }
  }
}

/** The history page budget of a join (or resume) reply: what the members leave of one frame. */
function historyBudget(room: Room): number {
  return Math.min(
    CHAT_HISTORY_PAGE_BYTES,
    MAX_FRAME_SIZE.control -
      JOIN_REPLY_RESERVE -
      Buffer.byteLength(JSON.stringify(room.memberInfos())),
  );
}

/** The newest page of the room's chat that `session` may see, sized to fit a join reply. */
function newestPage(session: Session, room: Room, ctx: ServerContext): Promise<ChatHistoryPage> {
  // The history page fills what the rest of the reply leaves of one control frame.
  return historyPage(room.id, session.userId, undefined, historyBudget(room), false, ctx);
}

/** A join (or resume) reply: the room as the member finds it. */
function joinResult(
  room: Room,
  memberId: number,
  page: ChatHistoryPage,
  extra: Partial<JoinResult> = {},
): JoinResult {
  return {
    meeting: room.meeting,
    you: memberId,
    members: room.memberInfos(),
    history: page.messages,
    historyMore: page.more,
    options: { ...room.options },
    hands: room.hands(),
    ...extra,
  };
}

/** The room as a resuming member finds it: members, options, the newest page of its chat. */
export async function meetingSnapshot(
  session: Session,
  room: Room,
  ctx: ServerContext,
): Promise<JoinResult> {
  return joinResult(room, session.id, await newestPage(session, room, ctx), {
    // A host or co-host coming back needs the waiting list it may have missed.
    ...(session.member && room.isModerator(session.member) ? { waiting: room.waiting.list() } : {}),
    recording: ctx.recordings.status(room.id),
  });
}

/** Enters an open room; null when the room closed meanwhile. */
async function enterRoom(
  session: Session,
  room: Room,
  ctx: ServerContext,
  created: boolean,
): Promise<AfterSent<JoinResult> | null> {
  if (room.size >= MEETING_MAX_MEMBERS)
    throw new MeetingError(
      ErrorCode.MEETING_FULL,
      `the meeting has ${room.size} members, the most it can hold`,
    );
  // A meeting this session just created bars nobody and is neither locked nor waiting.
  if (!created) await checkAdmission(room, session, ctx);
  const page = await newestPage(session, room, ctx);
  if (session.closed) throw new MeetingError(ErrorCode.NOT_LOGGED_IN, 'session ended');
  requireNoRoom(session);
  if (room.closed) return null;
  const member = session.enter(room, Date.now());
  const result: JoinResult = {
    ...joinResult(room, member.id, page),
    recording: ctx.recordings.status(room.id),
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
      const id = newMeetingId();
      try {
        const meeting = await ctx.db.meetings.create({
          id,
          name,
          passwordHash,
          hostUserId: session.userId,
          createdByUserId: session.userId,
          createdAt: Date.now(),
        });
        return await enter(session, meeting, ctx, true);
      } catch (error) {
        if (!(error instanceof DuplicateError) || attempt >= 5) throw error;
      }
    }
  },

  joinMeeting: async (connection, { meetingId, password }, ctx) => {
    const session = requireSession(connection, ctx);
    requireNoRoom(session);
    if (
      !(await ctx.limiters.joinPerAccount.take(String(session.userId))) ||
      !(await ctx.limiters.joinPerAddress.take(connection.ip))
    )
      throw new MeetingError(ErrorCode.RATE_LIMITED, 'too many attempts to join; wait a minute');
    const meeting = await ctx.db.meetings.findById(normalizeMeetingId(meetingId));
    // "No such meeting" and "wrong password" get one answer in the same time: an unknown id costs
    // a password verification too, so neither ids nor passwords can be probed.
    const hash = meeting ? meeting.passwordHash : null;
    const ok =
      (meeting !== undefined && hash === null) ||
      (password !== undefined &&
        (await ctx.pool.verifyPassword(password, hash, session.abort.signal)) &&
        meeting !== undefined);
    if (!meeting || !ok)
      throw new MeetingError(
        ErrorCode.MEETING_PASSWORD,
        'no meeting with that id, or a wrong or missing meeting password',
      );
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

  setRoomOptions: (connection, { allowMultipleScreens, locked, waitingRoom }, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    if (!room.isModerator(member))
      throw new MeetingError(
        ErrorCode.NOT_HOST,
        'only the host or a co-host can change room options',
      );
    if (allowMultipleScreens !== undefined)
      room.options.allowMultipleScreens = allowMultipleScreens;
    if (locked !== undefined) room.options.locked = locked;
    if (waitingRoom !== undefined) room.options.waitingRoom = waitingRoom;
    // Turning the waiting room off lets everyone waiting in.
    if (waitingRoom === false)
      for (const id of room.waiting.userIds()) {
        room.admit(id);
        room.waiting.admit(id);
      }
    ctx.writes.track(ctx.db.meetings.setRoomOptions(room.id, room.options));
    room.broadcast('roomOptions', { ...room.options });
    return { ...room.options };
  },
};
