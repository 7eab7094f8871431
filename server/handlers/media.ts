/** Media state of a member: microphone and camera on/off, face effect, screen share. */
import { ErrorCode, MeetingError } from '../../common/errors';
import type { HandlerTable } from './context';
import { requireRoom, requireSession } from './guards';

export const mediaHandlers: HandlerTable<
  'setMediaState' | 'setEffect' | 'startScreenShare' | 'stopScreenShare'
> = {
  setMediaState: (connection, { audio, video }, ctx) => {
    const session = requireSession(connection, ctx);
    session.setMediaState(audio, video);
    ctx.writes.track(ctx.db.sessions.setMedia(session.id, { audio, video }));
    const member = session.member;
    // Turning a source on is the member's own choice: a host's mute of it ends here.
    member?.mediaStateSet(audio, video);
    if (member)
      session.room?.broadcast('mediaState', { memberId: member.id, audio, video }, member);
    return {};
  },

  setEffect: async (connection, { effect }, ctx) => {
    const session = requireSession(connection, ctx);
    session.effect = effect;
    const member = session.member;
    if (member) session.room?.broadcast('effectChanged', { memberId: member.id, effect }, member);
    await ctx.db.users.setFaceEffect(session.userId, effect);
    return {};
  },

  startScreenShare: (connection, _data, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    if (!room.startScreenShare(member)) {
      throw new MeetingError(
        ErrorCode.SCREEN_SHARE_BUSY,
        `${room.firstSharer()?.username ?? 'someone'} is sharing their screen`,
      );
    }
    ctx.writes.track(ctx.db.sessions.setScreen(member.id, true));
    return {};
  },

  stopScreenShare: (connection, _data, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    room.stopScreenShare(member);
    ctx.writes.track(ctx.db.sessions.setScreen(member.id, false));
    return {};
  },
};
