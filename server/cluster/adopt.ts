/**
 * Several nodes: a client whose node died resumes on a surviving one. Its session is a row of the
 * shared database (found by its resume token's hash) that names the node it lived on; a node
 * adopts it only when that node is dead (its node key in Redis ran out) or is this very node (a
 * restart under the same id), and only where the session's meeting lives now: its lease is this
 * node's (taken over from the dead node if need be), else the client is redirected there. The
 * meeting's other sessions from the dead node are adopted with it, detached, so that the room
 * reopens with all of them (same member ids, host, options, mute state) and the members who resume
 * after the first find each other without leaving and joining again.
 */
import { SESSION_TOKEN_TTL_MS } from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { StoredSession } from '../../db';
import type { Connection } from '../Connection';
import type { ServerContext } from '../handlers/context';
import type { Session } from '../Session';
import { hashToken } from '../SessionRegistry';
import type { Cluster, Placement } from './Cluster';

const failed = (): MeetingError =>
  new MeetingError(
    ErrorCode.RESUME_FAILED,
    'the session cannot be resumed (unknown or expired); log in again',
  );

/** Sends the client to the node at `placement` to resume there (ERR_REDIRECT, no ticket). */
function redirect(
  connection: Connection,
  placement: Placement,
  meetingId: string | null,
): MeetingError {
  if (placement.local) return failed();
  connection.sendEvent('redirect', {
    host: placement.host,
    port: placement.port,
    fingerprint: placement.fingerprint,
    meetingId: meetingId ?? '',
    ticket: '',
  });
  return new MeetingError(ErrorCode.REDIRECT, `the session is on node ${placement.nodeId}`);
}

/**
 * Makes the session of `resumeToken` (unknown on this node) resumable here, or throws: ERR_REDIRECT
 * (after a `redirect` event) when it lives on a live node or its meeting on another one,
 * ERR_RESUME_FAILED when no session has that token.
 */
export function adoptSession(
  connection: Connection,
  resumeToken: string,
  cluster: Cluster,
  ctx: ServerContext,
): Promise<void> {
  // One adoption at a time per node: the members of one meeting resuming at once must not claim
  // each other's rows half-way (the second would find its session neither here nor elsewhere).
  const run = (adoptions.get(cluster) ?? Promise.resolve()).then(() =>
    adopt(connection, resumeToken, cluster, ctx),
  );
  adoptions.set(
    cluster,
    run.then(
      () => undefined,
      () => undefined,
    ),
  );
  return run;
}

/** The adoption running or queued last on each node. */
const adoptions = new WeakMap<Cluster, Promise<void>>();

async function adopt(
  connection: Connection,
  resumeToken: string,
  cluster: Cluster,
  ctx: ServerContext,
): Promise<void> {
  if (connection.closed) throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'link closed');
  const { db } = ctx;
  const now = Date.now();
  const hash = hashToken(resumeToken);
  // Adopted meanwhile (with another member of its meeting): resume it as any session here.
  if (ctx.sessions.holdsToken(hash)) return;
  const row = await db.sessions.findByResumeHash(hash);
  if (!row || row.nodeId === null || row.seenAt < now - SESSION_TOKEN_TTL_MS) throw failed();
  const from = row.nodeId;
  const home = await cluster.nodeAt(from);
  if (home && !home.local) throw redirect(connection, home, row.meetingId);
  if (row.meetingId !== null) {
    const placement = await cluster.place(row.meetingId);
    if (!placement.local) throw redirect(connection, placement, row.meetingId);
  }
  // Its node is dead (or was this node before a restart): take its meeting's sessions from there.
  const rows =
    row.meetingId === null
      ? [row]
      : (await db.sessions.inMeeting(row.meetingId, now - SESSION_TOKEN_TTL_MS)).filter(
          (r) => r.nodeId === from,
        );
  const adopted: Array<{ session: Session; joinedAt: number; screen: boolean }> = [];
  for (const r of rows) {
    if (ctx.sessions.holds(r.userId, r.resumeHash)) continue;
    if (!(await db.sessions.claim(r.id, r.resumeHash, from, cluster.nodeId, now))) continue;
    const user = await db.users.findById(r.userId);
    if (!user) {
      await db.sessions.delete(r.id);
      continue;
    }
    const session = ctx.sessions.restore(r, user, r.resumeHash);
    adopted.push({ session, joinedAt: r.joinedAt ?? now, screen: r.screen });
  }
  if (row.meetingId !== null && adopted.length > 0) await enterMeeting(row, adopted, ctx);
}

/** Puts the adopted sessions back in their meeting's room, reopened here if need be. */
async function enterMeeting(
  row: StoredSession,
  adopted: Array<{ session: Session; joinedAt: number; screen: boolean }>,
  ctx: ServerContext,
): Promise<void> {
  const meetingId = row.meetingId as string;
  const meeting = await ctx.db.meetings.findById(meetingId);
  if (!meeting || meeting.endedAt !== null) {
    for (const { session } of adopted) await ctx.db.sessions.setMeeting(session.id, null, null);
    return;
  }
  const open = ctx.rooms.get(meetingId);
  if (!open) {
    await ctx.rooms.restore(meeting, adopted);
    return;
  }
  // A join opened the room here first: the adopted members come in as if they joined.
  for (const { session, joinedAt } of adopted) {
    if (session.room || open.closed) continue;
    const member = session.enter(open, joinedAt);
    open.announce(member);
    ctx.rooms.recordJoin(open, member, session);
  }
}
