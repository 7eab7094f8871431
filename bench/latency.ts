/**
 * Capture-to-playback latency on loopback, p50/p99 (run by hand: `node dist/bench/latency.js [--seconds 10]`).
 *   audio: capture time of a 20 ms frame → the tick at which the receiver's jitter buffer plays it
 *          (before the sound card's own output latency, which depends on the device)
 *   video: capture time of a frame → the receiver has it decoded to RGB
 * A real server (SQLite in a temp folder), two clients, a test-pattern camera and a tone microphone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nowMs } from '../common/clock';
import { MeetingClient } from '../client/MeetingClient';
import { MediaSession } from '../client/media/MediaSession';
import { decodeJpeg } from '../client/media/codec/Jpeg';
import { MeetingServer } from '../server/MeetingServer';
import { createLogger } from '../server/logger';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 10;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-latency-'));
  const server = new MeetingServer({ dataDir, logger: createLogger('silent'), plain: true });
  const { port } = await server.listen(0);
  const a = new MeetingClient({ host: '127.0.0.1', port }, { plain: true });
  const b = new MeetingClient({ host: '127.0.0.1', port }, { plain: true });
  await Promise.all([a.connect(), b.connect()]);
  await a.register('bench-a', 'password1');
  await b.register('bench-b', 'password1');
  const { meeting } = await a.createMeeting('latency');
  await b.joinMeeting(meeting.id);
  const sender = new MediaSession(a, { video: 'testpattern', audio: 'tone', fps: 15 });
  const receiver = new MediaSession(b, {});
  const video: number[] = [];
  receiver.on('video', (f) => {
    decodeJpeg(f.jpeg);
    video.push(nowMs() - f.capturedAt);
  });
  await receiver.start();
  await sender.start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const s = receiver.stats();
  await sender.stop();
  await receiver.stop();
  console.log(
    `latency on loopback over ${seconds} s (clock offset ${b.clock.offset.toFixed(2)} ms, rtt ${b.clock.rtt.toFixed(2)} ms)`,
  );
  console.log(
    `  video capture→decoded : p50 ${percentile(video, 50).toFixed(1)} ms  p99 ${percentile(video, 99).toFixed(1)} ms  (${video.length} frames, ${s.videoDropped} dropped)`,
  );
  console.log(
    `  audio capture→playout : p50 ${s.audioLatencyMs?.toFixed(1)} ms  p99 ${s.audioLatencyP99Ms?.toFixed(1)} ms  (jitter buffer ${s.jitterDepthMs} ms, ${s.concealed} concealed)`,
  );
  await Promise.all([a.close(), b.close()]);
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

void main();
