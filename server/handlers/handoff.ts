/**
 * Several nodes: the `handoff` that logs a redirected client in on the meeting's node with the
 * ticket of its `redirect` event (no password on the wire again). Without a cluster it is refused.
 */
import { ErrorCode, MeetingError } from '../../common/errors';
import { startSession } from './account';
import type { HandlerTable } from './context';
import { requireNoSession } from './guards';

export const handoffHandlers: HandlerTable<'handoff'> = {
  handoff: async (connection, { ticket }, ctx) => {
    requireNoSession(connection, ctx);
    const user = ctx.cluster ? await ctx.cluster.redeemTicket(ticket) : null;
    if (!user) throw new MeetingError(ErrorCode.BAD_TICKET, 'unknown, used or expired ticket');
    requireNoSession(connection, ctx);
    if (connection.closed) throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'link closed');
    return startSession(connection, user, ctx);
  },
};
