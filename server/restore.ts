/**
 * A restarted server takes back what the last one left open: every session row still fresh becomes
 * a detached session (its client has the grace period to resume it), and every meeting that had
 * members reopens with them, its host and its options. Meetings left open with nobody to come back
 * are ended, with their members' stays.
 */
import { SESSION_TOKEN_TTL_MS } from '../common/constants';

import type { ServerContext } from './handlers/context';
import type { Session } from './Session';

export interface RestoreReport {
  sessions: number;
  rooms: number;
  ended: number;
}

export async function restoreState(ctx: ServerContext): Promise<RestoreReport> {
  const { db, sessions } = ctx;
  const now = Date.now();
  const rows = await db.sessions.live(now - SESSION_TOKEN_TTL_MS);
  const byMeeting = new Map<
    string,
    Array<{ session: Session; joinedAt: number; screen: boolean }>
  >();
  let restored = 0;
  for (const row of rows) {
    const user = await db.users.findById(row.userId);
    if (!user) {
      await db.sessions.delete(row.id);
      continue;
    }
    const session = sessions.restore(row, user, row.resumeHash);
    restored++;
    if (row.meetingId !== null) {
      const list = byMeeting.get(row.meetingId) ?? [];
      list.push({ session, joinedAt: row.joinedAt ?? now, screen: row.screen });
      byMeeting.set(row.meetingId, list);
    }
  }
  let opened = 0;
  let ended = 0;
  for (const meeting of await db.meetings.unended()) {
    const members = byMeeting.get(meeting.id) ?? [];
    if ((await ctx.rooms.restore(meeting, members)) !== null) opened++;
    else {
      await db.meetings.end(meeting.id, now);
      await db.meetings.closeStays(meeting.id, now);
      await db.meetings.setRoomOptions(meeting.id, null);
      ended++;
    }
    byMeeting.delete(meeting.id);
  }
  // Sessions whose meeting ended meanwhile are restored outside any meeting.
  for (const list of byMeeting.values())
    for (const { session } of list) await db.sessions.setMeeting(session.id, null, null);
  return { sessions: restored, rooms: opened, ended };
}
