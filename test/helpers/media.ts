/**
 * Fixture for media tests: a real server, two registered clients in one meeting, a temp folder, and
 * MediaSessions that are stopped after each test.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MeetingClient } from '../../client/MeetingClient';
import { MediaSession, type MediaSessionOptions } from '../../client/media/MediaSession';
import { cv } from '../../client/media/native/opencv';
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

/** Writes a 16-bit WAV with sox: `effects` follow the output file (e.g. `synth 3 sine 440 vol 0.3`). */
export function soxWav(file: string, effects: string, rate = 48_000, channels = 1): string {
  execFileSync('sox', [
    '-V1',
    '-n',
    '-r',
    String(rate),
    '-c',
    String(channels),
    '-b',
    '16',
    file,
    ...effects.split(' '),
  ]);
  return file;
}

const MESSI = '/usr/share/doc/opencv-doc/examples/data/messi5.jpg';

/**
 * A still video of a real face in `dir`: the part of messi5.jpg around his face, scaled to 640x480
 * (the whole picture would leave the face below the tracker's smallest size), as an MJPG clip of
 * `frames` frames at 15 fps. Make it longer than the test: the clip's first frame decodes slightly
 * differently from the rest.
 */
export function writeFaceClip(dir: string, frames = 150): string {
  const file = path.join(dir, 'face.avi');
  const image = cv
    .imread(MESSI)
    .getRegion(new cv.Rect(134, 0, 300, 225))
    .resize(480, 640);
  const writer = new cv.VideoWriter(
    file,
    cv.VideoWriter.fourcc('MJPG'),
    15,
    new cv.Size(640, 480),
    true,
  );
  for (let i = 0; i < frames; i++) writer.write(image);
  writer.release();
  return file;
}
