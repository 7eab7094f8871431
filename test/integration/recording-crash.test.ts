/**
 * Recording and the command line (issue 13): a server run as its own process records in 3-second
 * segments and is killed with SIGKILL during the third; the two closed segments play, and the
 * server started again marks the recording interrupted and keeps what it can. Then
 * `meeting bot --start-recording` records a meeting and `meeting recordings list|download|play`
 * read it back.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeetingClient } from '../../client/MeetingClient';
import { readPatternStamp } from '../../client/media/capture/TestPattern';
import { dominantFrequency } from '../../client/media/analysis';
import { readWavFile } from '../../client/media/wav';
import { openDatabase } from '../../db';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { SyncBot, ffprobe } from '../helpers/recording';
import { sleep } from '../helpers/server';
import { cv } from '../../client/media/native/opencv';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'meeting.js');

/** Starts `meeting server` as a child process; resolves once it listens. */
function startServer(
  db: TestDatabase,
  dataDir: string,
  extra: string[],
): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, 'server', '--plain', '--port', '0', '--db', db.url, '--data', dataDir, ...extra],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, MEETING_LOG_LEVEL: 'warn' } },
    );
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /listening on [\d.]+:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

/** Runs `meeting …` to its end; resolves with its exit status and stdout. */
function run(args: string[], ms = 60_000): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`meeting ${args[0]} did not exit; printed:\n${out}`));
    }, ms);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

async function client(port: number, name: string): Promise<MeetingClient> {
  const c = new MeetingClient({ host: '127.0.0.1', port }, { plain: true });
  await c.connect();
  await c.register(name, 'password1');
  await c.syncClock(5);
  return c;
}

for (const kind of ['sqlite', 'mysql'] as const) {
  describe(`recording survives a server crash; the CLI (${kind})`, function () {
    this.timeout(120_000);
    let db: TestDatabase;
    let dataDir: string;
    let server: ChildProcess | null = null;
    const clients: MeetingClient[] = [];

    beforeEach(async () => {
      db = await createTestDatabase(kind);
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-rec-'));
    });
    afterEach(async () => {
      await Promise.allSettled(clients.splice(0).map((c) => c.close()));
      server?.kill('SIGKILL');
      server = null;
      await db.cleanup();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('SIGKILL during the third segment leaves the first two playable', async () => {
      const started = await startServer(db, dataDir, ['--record-segment-minutes', '0.05']);
      server = started.child;
      const host = await client(started.port, 'crash-host');
      clients.push(host);
      const meetingId = (await host.createMeeting('Crash')).meeting.id;
      const bot = new SyncBot(host);
      bot.start();
      const rec = await host.request('startRecording', {});
      // 3-second segments: once the server's rows say the first two are closed and the third is
      // open (about 7 s in, later on a busy host), the server is killed.
      const rows = await openDatabase({ url: db.url });
      let states: string[] = [];
      try {
        for (let i = 0; i < 150; i++) {
          const segs = await rows.recordings.segments([rec.recordingId as number]);
          states = segs.map((x) => x.state);
          if (states.join() === 'complete,complete,open') break;
          await sleep(100);
        }
      } finally {
        await rows.close();
      }
      assert.equal(states.join(), 'complete,complete,open', 'killed during the third segment');
      server.kill('SIGKILL');
      server = null;
      bot.stop();
      const dir = path.join(dataDir, 'recordings', meetingId, String(rec.recordingId));
      for (const name of ['segment-0000.mkv', 'segment-0001.mkv']) {
        const probe = await ffprobe(path.join(dir, name));
        assert.ok(
          probe.streams.some((s) => s.codec_type === 'video'),
          name,
        );
        assert.ok(
          probe.streams.some((s) => s.codec_type === 'audio'),
          name,
        );
        assert.ok(Math.abs(probe.durationMs - 3000) < 300, `${name}: ${probe.durationMs} ms`);
      }
      // Started again, the server repairs the rows: interrupted, the closed segments complete.
      const again = await startServer(db, dataDir, ['--record-segment-minutes', '0.05']);
      server = again.child;
      const viewer = new MeetingClient({ host: '127.0.0.1', port: again.port }, { plain: true });
      clients.push(viewer);
      await viewer.connect();
      await viewer.login('crash-host', 'password1');
      const { recordings } = await viewer.request('listRecordings', { meetingId });
      assert.equal(recordings.length, 1);
      const [info] = recordings;
      assert.equal(info?.state, 'interrupted');
      assert.deepEqual(
        info?.segments.slice(0, 2).map((s) => s.state),
        ['complete', 'complete'],
      );
      // The third was finished by the compositor once the server was gone, or cut: never "open".
      assert.ok(
        ['partial', 'failed'].includes(info?.segments[2]?.state ?? ''),
        JSON.stringify(info),
      );
    });

    it('bot --start-recording records until it leaves; recordings list, download and play', async () => {
      const started = await startServer(db, dataDir, ['--record-segment-minutes', '0.1']);
      server = started.child;
      const address = `127.0.0.1:${started.port}`;
      // The host is the CLI bot: it creates the meeting, sends a pattern and a tone, records 8 s.
      const host = run([
        'bot',
        '--json',
        '--plain',
        '--server',
        address,
        '--user',
        'cli-host',
        '--password',
        'password1',
        '--register',
        '--create',
        'CLI recording',
        '--video',
        'testpattern',
        '--audio',
        'tone',
        '--start-recording',
        '--duration',
        '8',
      ]);
      const { status, out } = await host;
      assert.equal(status, 0, out);
      const events = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(
        events.some((e) => e.event === 'recording' && e.active === true),
        out,
      );
      assert.ok(
        events.some((e) => e.event === 'recording-stopped'),
        out,
      );
      const joined = events.find((e) => e.event === 'joined') as { meetingId: string };
      const common = [
        '--server',
        address,
        '--user',
        'cli-host',
        '--password',
        'password1',
        '--meeting',
        joined.meetingId,
        '--plain',
      ];

      // Listed once its files are finished (on a busy host the stop may reply before).
      type Listed = { id: number; state: string; durationMs: number; segments: unknown[] };
      let rec: Listed | undefined;
      for (let i = 0; i < 30; i++) {
        const listed = await run(['recordings', 'list', ...common, '--json']);
        assert.equal(listed.status, 0, listed.out);
        [rec] = JSON.parse(listed.out) as Listed[];
        if (rec?.state !== 'recording') break;
        await sleep(1000);
      }
      assert.ok(rec);
      assert.equal(rec?.state, 'complete');
      assert.ok(rec.durationMs > 6000 && rec.durationMs < 9000, `${rec.durationMs} ms`);
      assert.equal(rec.segments.length, 2);

      const out1 = path.join(dataDir, 'dl');
      const downloaded = await run([
        'recordings',
        'download',
        ...common,
        '--recording',
        String(rec.id),
        '--out',
        out1,
        '--json',
      ]);
      assert.equal(downloaded.status, 0, downloaded.out);
      const { files } = JSON.parse(downloaded.out) as { files: string[] };
      assert.equal(files.length, 2);
      for (const f of files) assert.ok((await ffprobe(f)).durationMs > 0);

      const frames = path.join(dataDir, 'frames');
      const wav = path.join(dataDir, 'play.wav');
      const played = await run([
        'recordings',
        'play',
        ...common,
        '--recording',
        String(rec.id),
        '--record-video',
        frames,
        '--record-audio',
        wav,
      ]);
      assert.equal(played.status, 0, played.out);
      const jpegs = fs.readdirSync(frames).sort();
      assert.ok(
        Math.abs(jpegs.length - (rec.durationMs / 1000) * 15) <= 15,
        `${jpegs.length} frames`,
      );
      // Alone in the meeting, the host's pattern fills the frame's height (960×720 in the middle):
      // scaled back to 640×480, its stamps read, and their frame numbers rise.
      const numbers = jpegs
        .filter((_, i) => i % 15 === 5)
        .map((name) => {
          const img = cv
            .imread(path.join(frames, name))
            .getRegion(new cv.Rect(160, 0, 960, 720))
            .resize(480, 640);
          return readPatternStamp(img.copy().getData(), 640, 480)?.frameNumber ?? null;
        })
        .filter((n): n is number => n !== null);
      assert.ok(numbers.length >= 4, `stamps read: ${numbers.join(',')}`);
      for (let i = 1; i < numbers.length; i++)
        assert.ok(numbers[i]! > numbers[i - 1]!, numbers.join(','));
      const audio = readWavFile(wav);
      const pitch = dominantFrequency(audio.samples, audio.sampleRate);
      assert.ok(Math.abs(pitch - 440) < 5, `${pitch} Hz`);
    });
  });
}
