/**
 * Media end to end: two members in a meeting see and hear each other through a real server.
 * Checks what arrives (pattern stamps in decoded video, the frequency of played audio), not only that
 * bytes moved.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { MeetingClient } from '../../client/MeetingClient';
import type {
  MediaSession,
  MediaSessionOptions,
  RemoteVideoFrame,
} from '../../client/media/MediaSession';
import { decodeJpegBgr } from '../../client/media/codec/Jpeg';
import { readPatternStamp } from '../../client/media/capture/TestPattern';
import { readWavFile } from '../../client/media/wav';
import { dominantFrequency, rmsDbfs } from '../../client/media/analysis';
import { soxWav, useMeetingPair } from '../helpers/media';
import { sleep, waitFor } from '../helpers/server';

describe('media end to end', function () {
  this.timeout(60_000);
  const pair = useMeetingPair(['alice', 'bob']);
  const media = (client: MeetingClient, options: MediaSessionOptions): MediaSession =>
    pair.session(client, options);

  function collectVideo(s: MediaSession): RemoteVideoFrame[] {
    const frames: RemoteVideoFrame[] = [];
    s.on('video', (f) => frames.push({ ...f, jpeg: Buffer.from(f.jpeg) }));
    return frames;
  }

  it('a test-pattern camera at A arrives at B as decodable frames with increasing numbers', async () => {
    const sender = media(pair.a, { video: 'testpattern', fps: 15 });
    const receiver = media(pair.b, {});
    const frames = collectVideo(receiver);
    await receiver.start();
    await sender.start();
    await sleep(2000);
    assert.ok(frames.length >= 20, `received ${frames.length} frames in 2 s at 15 fps`);
    assert.ok(frames.every((f) => f.memberId === pair.a.session?.memberId));
    const stamps = frames.map((f) => {
      const img = decodeJpegBgr(f.jpeg);
      assert.deepEqual([img.width, img.height], [640, 480]);
      const stamp = readPatternStamp(img.data, img.width, img.height);
      assert.ok(stamp, 'the pattern stamp survives JPEG');
      return stamp;
    });
    for (let i = 1; i < stamps.length; i++)
      assert.ok(stamps[i]!.frameNumber > stamps[i - 1]!.frameNumber, 'frame numbers increase');
    const latency = receiver.stats().videoLatencyMs;
    assert.ok(latency !== null && latency >= 0 && latency < 100, `video latency ${latency} ms`);
    console.log(
      `      video: ${frames.length} frames in 2 s, median capture-to-arrival ${latency?.toFixed(1)} ms`,
    );
  });

  it('a source that cannot open fails start() and leaves nothing running', async () => {
    const receiver = media(pair.b, {});
    const frames = collectVideo(receiver);
    await receiver.start();
    // The camera opens first, then the microphone fails.
    const broken = media(pair.a, {
      video: 'testpattern',
      fps: 15,
      audio: path.join(pair.tmp, 'missing.wav'),
    });
    const isOpenFailed = (e: unknown): boolean =>
      (e as { code?: string }).code === 'ERR_MEDIA_OPEN_FAILED';
    await assert.rejects(broken.start(), isOpenFailed);
    await sleep(700);
    assert.equal(frames.length, 0, 'the camera that did open was stopped again');
    // And a second start tries again rather than pretending to run.
    await assert.rejects(broken.start(), isOpenFailed);
  });

  it('a 440 Hz tone from a WAV file at A plays at B as 440 Hz (files)', async () => {
    const input = path.join(pair.tmp, 'tone.wav');
    soxWav(input, 'synth 3 sine 440 vol 0.3');
    const output = path.join(pair.tmp, 'heard.wav');
    const receiver = media(pair.b, { speaker: output });
    const sender = media(pair.a, { audio: input });
    await receiver.start();
    await sender.start();
    await sleep(2500);
    await sender.stop();
    await receiver.stop();
    const heard = readWavFile(output);
    assert.ok(heard.samples.length > 48_000, `played ${heard.samples.length} samples`);
    const middle = heard.samples.subarray(12_000, heard.samples.length - 12_000);
    const f = dominantFrequency(middle, 48_000);
    assert.ok(Math.abs(f - 440) < 10, `dominant frequency ${f} Hz`);
    assert.ok(rmsDbfs(middle) > -20, 'the tone is loud enough');
    const latency = receiver.stats().audioLatencyMs;
    assert.ok(latency !== null && latency < 150, `audio latency ${latency} ms`);
    console.log(
      `      audio: ${f.toFixed(1)} Hz heard, median capture-to-playout ${latency?.toFixed(1)} ms`,
    );
  });

  it('silence sends (almost) no audio frames', async () => {
    const input = path.join(pair.tmp, 'silence.wav');
    soxWav(input, 'trim 0 2');
    const sender = media(pair.a, { audio: input });
    await sender.start();
    await sleep(1500);
    const s = sender.stats();
    assert.ok(s.silent >= 60, `${s.silent} silent frames detected`);
    assert.ok(s.sent.audio <= 2, `${s.sent.audio} audio frames sent for silence`);
  });

  it('mute and camera-off stop frames for real and are announced', async () => {
    const sender = media(pair.a, { video: 'testpattern', audio: 'tone' });
    const receiver = media(pair.b, {});
    await receiver.start();
    await sender.start();
    await sleep(800);
    assert.ok(receiver.stats().received.audio > 10 && receiver.stats().received.video > 5);
    const announced = waitFor(pair.b, 'mediaState');
    await sender.setMicrophone(false);
    await sender.setCamera(false);
    const [state] = (await announced) as [{ audio: boolean; video: boolean }];
    assert.equal(state.audio, false);
    await sleep(300);
    const before = receiver.stats().received;
    await sleep(1000);
    const after = receiver.stats().received;
    assert.equal(after.audio, before.audio, 'no audio after mute');
    assert.equal(after.video, before.video, 'no video after camera off');
    assert.deepEqual(pair.b.members.find((m) => m.username === 'alice')?.audio, false);
    await sender.setMicrophone(true);
    await sleep(500);
    assert.ok(receiver.stats().received.audio > after.audio, 'audio resumes after unmute');
  });

  it('drops audio that arrives stale after a stall instead of playing it late', async () => {
    const sender = media(pair.a, { audio: 'tone' });
    const receiver = media(pair.b, {});
    await receiver.start();
    await sender.start();
    await sleep(500);
    const link = pair.b.transport.linkForTests('audio');
    assert.ok(link);
    // The kernel buffers what the server writes while B does not read: a second of audio piles up.
    link.socket.pause();
    await sleep(1000);
    const droppedBefore = receiver.stats().audioDropped;
    link.socket.resume();
    await sleep(800);
    const s = receiver.stats();
    assert.ok(
      s.audioDropped - droppedBefore >= 20,
      `stale audio dropped: ${s.audioDropped - droppedBefore}`,
    );
    assert.ok(
      s.audioLatencyP99Ms !== null && s.audioLatencyP99Ms < 400,
      `played audio is never old: p99 ${s.audioLatencyP99Ms} ms`,
    );
  });

  it('drops video frames that arrive older than 200 ms and shows the newest', async () => {
    const sender = media(pair.a, { video: 'testpattern', fps: 15 });
    const receiver = media(pair.b, {});
    const frames = collectVideo(receiver);
    await receiver.start();
    await sender.start();
    await sleep(500);
    // Inject a delay: B stops reading its video link for 800 ms; what was queued arrives stale.
    const link = pair.b.transport.linkForTests('video');
    assert.ok(link);
    link.socket.pause();
    await sleep(800);
    const shownBefore = frames.length;
    link.socket.resume();
    await sleep(700);
    const s = receiver.stats();
    assert.ok(s.videoDropped > 0, `stale frames dropped: ${s.videoDropped}`);
    const shownAfter = frames.slice(shownBefore);
    assert.ok(shownAfter.length > 0, 'fresh frames are shown after the delay');
    assert.ok(
      shownAfter.every((f) => f.ageMs <= 200),
      'nothing older than 200 ms is shown',
    );
  });
});
