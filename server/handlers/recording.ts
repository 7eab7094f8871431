/**
 * Recording (issue 13): the host starts and stops it (the room is told, and a chat notice says
 * who), members of a meeting list and download its recordings chunk by chunk, the host deletes.
 */
import { RECORDING_CHUNK_BYTES } from '../../common/constants';
import type { ChatMessage } from '../../common/protocol';
import type { Member } from '../Member';
import type { Room } from '../Room';
import { normalizeMeetingId } from '../meetingIds';
import type { HandlerTable, ServerContext } from './context';
import { requireHost, requireRoom, requireSession } from './guards';

/** Stores a chat notice from `member` and shows it to everyone in the room, `member` included. */
async function notice(room: Room, member: Member, text: string, ctx: ServerContext): Promise<void> {
  const stored = await ctx.db.messages.insert({
    meetingId: room.id,
    senderUserId: member.userId,
    senderName: member.username,
    recipientUserId: null,
    mentions: null,
    text,
    createdAt: Date.now(),
  });
  const message: ChatMessage = {
    id: stored.id,
    meetingId: room.id,
    from: { userId: member.userId, username: member.username },
    to: null,
    mentions: null,
    text,
    at: stored.createdAt,
  };
  room.broadcast('chat', message);
}

export const recordingHandlers: HandlerTable<
  'startRecording' | 'stopRecording' | 'listRecordings' | 'deleteRecording' | 'readRecording'
> = {
  startRecording: async (connection, _data, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    requireHost(room, member, 'start recording');
    const status = await ctx.recordings.start(room, member);
    room.broadcast('recording', status);
    await notice(room, member, `● ${member.username} started recording the meeting`, ctx);
    return status;
  },

  stopRecording: async (connection, _data, ctx) => {
    const { room, member } = requireRoom(requireSession(connection, ctx));
    requireHost(room, member, 'stop recording');
    // Everyone sees the indicator go off at once; the reply waits for the last file.
    const info = await ctx.recordings.stop(room);
    await notice(room, member, `■ ${member.username} stopped recording the meeting`, ctx);
    return info;
  },

  listRecordings: async (connection, { meetingId }, ctx) => {
    const session = requireSession(connection, ctx);
    const recordings = await ctx.recordings.list(normalizeMeetingId(meetingId), session.userId);
    return { recordings };
  },

  deleteRecording: async (connection, { recordingId }, ctx) => {
    const session = requireSession(connection, ctx);
    await ctx.recordings.delete(recordingId, session.userId);
    return {};
  },

  readRecording: async (connection, { recordingId, segment, offset, length }, ctx) => {
    const session = requireSession(connection, ctx);
    const { data, size } = await ctx.recordings.read(
      recordingId,
      segment,
      offset,
      length ?? RECORDING_CHUNK_BYTES,
      session.userId,
    );
    return {
      offset,
      data: data.toString('base64'),
      size,
      eof: offset + data.length >= size,
    };
  },
};
