/**
 * Fixture for media tests: a real server, two registered clients in one meeting, a temp folder, and
 * MediaSessions that are stopped after each test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MeetingClient } from '../../client/MeetingClient';
import { MediaSession, type MediaSessionOptions } from '../../client/media/MediaSession';
import { startTestServer, type TestServer } from './server';

export interface MeetingPair {
  t: TestServer;
  tmp: string;
  a: MeetingClient;
  b: MeetingClient;
  /** A MediaSession for `client`, stopped in teardown. */
  session(client: MeetingClient, options: MediaSessionOptions): MediaSession;
}

/** Registers mocha hooks that give each test a fresh pair; read the fields inside tests only. */
export function useMeetingPair(names: [string, string]): MeetingPair {
  const pair = {} as MeetingPair;
  const sessions: MediaSession[] = [];
  beforeEach(async () => {
    pair.t = await startTestServer('sqlite');
    pair.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-media-'));
    pair.a = await pair.t.client();
    pair.b = await pair.t.client();
    await pair.a.register(names[0], 'password1');
    await pair.b.register(names[1], 'password1');
    const { meeting } = await pair.a.createMeeting('Media');
    await pair.b.joinMeeting(meeting.id);
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((s) => s.stop()));
    await pair.t.stop();
    fs.rmSync(pair.tmp, { recursive: true, force: true });
  });
  pair.session = (client, options) => {
    const s = new MediaSession(client, options);
    sessions.push(s);
    return s;
  };
  return pair;
}
