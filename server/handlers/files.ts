/** File sharing: offers, lists, downloads and cancels (the chunks travel on the files link). */
import { ErrorCode, MeetingError } from '../../common/errors';
import type { HandlerTable } from './context';
import { requireRoom, requireSession } from './guards';

export const fileHandlers: HandlerTable<'fileOffer' | 'fileList' | 'fileDownload' | 'fileCancel'> =
  {
    fileOffer: (connection, params, ctx) => {
      const session = requireSession(connection, ctx);
      const { room } = requireRoom(session);
      if (!ctx.limiters.fileOffers.take(String(session.userId)))
        throw new MeetingError(ErrorCode.RATE_LIMITED, 'too many file offers; wait a moment');
      return ctx.files.offer(session, room, params);
    },

    fileList: async (connection, _params, ctx) => {
      const session = requireSession(connection, ctx);
      const { room } = requireRoom(session);
      return { files: await ctx.files.list(session, room) };
    },

    fileDownload: async (connection, { fileId, offset }, ctx) => {
      const session = requireSession(connection, ctx);
      return { file: await ctx.files.download(session, fileId, offset) };
    },

    fileCancel: async (connection, { fileId }, ctx) => {
      await ctx.files.cancel(requireSession(connection, ctx), fileId);
      return {};
    },
  };
