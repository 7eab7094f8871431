/**
 * Several nodes: the redirect of a create or join whose meeting lives on another node (the
 * `handoff` that follows it is in handoff.ts). Without a cluster every meeting is local.
 */
import { ErrorCode, MeetingError } from '../../common/errors';
import type { Session } from '../Session';
import type { ServerContext } from './context';

/**
 * Throws ERR_REDIRECT (after the `redirect` event with the node's address and a handoff ticket)
 * when `meetingId` lives on another node; returns when it lives here (its lease is now this node's).
 */
export async function redirectIfElsewhere(
  session: Session,
  meetingId: string,
  ctx: ServerContext,
): Promise<void> {
  const cluster = ctx.cluster;
  if (!cluster) return;
  const placement = await cluster.place(meetingId);
  if (placement.local) return;
  const ticket = await cluster.issueTicket({
    id: session.userId,
    username: session.username,
    faceEffect: session.effect,
  });
  session.sendEvent('redirect', {
    host: placement.host,
    port: placement.port,
    fingerprint: placement.fingerprint,
    meetingId,
    ticket,
  });
  throw new MeetingError(ErrorCode.REDIRECT, `the meeting is on node ${placement.nodeId}`);
}
