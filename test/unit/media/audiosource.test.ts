import assert from 'node:assert/strict';
import path from 'node:path';
import { AudioSource } from '../../../client/media/capture/AudioSource';
import { dominantFrequency, rmsDbfs } from '../../../client/media/analysis';
import type { AudioFrame } from '../../../client/media/frames';
import { writeWavFile } from '../../../client/media/wav';
import { concat, makeTempDir, sine, sleep } from './helpers';
import { soxWav } from '../../helpers/media';

function collect(source: AudioSource): AudioFrame[] {
  const frames: AudioFrame[] = [];
  source.on('frame', (f) => frames.push(f));
  return frames;
}

describe('AudioSource', function () {
  let tmp: ReturnType<typeof makeTempDir>;
  let sources: AudioSource[] = [];
  beforeEach(function () {
    tmp = makeTempDir('audiosrc');
  });
  afterEach(async function () {
    await Promise.all(sources.map((s) => s.stop()));
    sources = [];
    tmp.cleanup();
  });
  const open = (...args: Parameters<typeof AudioSource.open>): AudioSource => {
    const s = AudioSource.open(...args);
    sources.push(s);
    return s;
  };

  it("'tone' delivers 20 ms frames of 960 samples at 50 frames/s in real time", async function () {
    const source = open('tone', { frequency: 440, levelDbfs: -20 });
    const frames = collect(source);
    const t0 = performance.now();
    source.start();
    await sleep(1000);
    const elapsed = performance.now() - t0;
    await source.stop();
    const expected = (elapsed / 20) | 0;
    assert.ok(
      Math.abs(frames.length - expected) <= 2,
      `${frames.length} frames in ${elapsed.toFixed(0)} ms`,
    );
    assert.ok(
      frames.every(
        (f) => f.samplesPerChannel === 960 && f.sampleRate === 48_000 && f.channels === 1,
      ),
    );
    // timestamps are the ideal capture times: exactly 20 ms apart
    for (let i = 1; i < frames.length; i++)
      assert.ok(Math.abs(frames[i].timestamp - frames[i - 1].timestamp - 20) < 1e-6);
    const all = concat(frames.map((f) => f.data));
    assert.ok(Math.abs(dominantFrequency(all, 48_000) - 440) < 1);
    assert.ok(Math.abs(rmsDbfs(all) - -23.01) < 0.1);
    // phase-continuous across frames: no jump bigger than one sine step at the frame boundaries
    const maxStep = 32767 * 0.1 * 2 * Math.PI * (440 / 48_000) + 2;
    for (let i = 1; i < all.length; i++) assert.ok(Math.abs(all[i] - all[i - 1]) <= maxStep);
  });

  it('stop() stops delivery for good', async function () {
    const source = open('tone');
    const frames = collect(source);
    source.start();
    await sleep(200);
    await source.stop();
    const n = frames.length;
    assert.ok(n >= 8);
    await sleep(200);
    assert.equal(frames.length, n);
    assert.equal(source.running, false);
    assert.throws(() => source.start(), { code: 'ERR_MEDIA_CLOSED' });
  });

  it("'tone' with gaps alternates tone and silence", async function () {
    const source = open('tone', { toneMs: 100, gapMs: 100 });
    const levels: number[] = [];
    for await (const frame of source.frames()) {
      levels.push(rmsDbfs(frame.data));
      if (levels.length === 20) break;
    }
    await source.stop();
    const loud = levels.map((l) => l > -40);
    assert.deepEqual(
      loud,
      [...Array(20)].map((_, i) => Math.floor(i / 5) % 2 === 0),
    );
  });

  it('plays a WAV made by sox at 440 Hz', async function () {
    const file = path.join(tmp.dir, 'x.wav');
    soxWav(file, 'synth 1 sine 440');
    const source = open(file, { loop: false });
    const frames: AudioFrame[] = [];
    let ended = false;
    source.on('end', () => (ended = true));
    for await (const frame of source.frames(100)) frames.push(frame);
    assert.equal(ended, true);
    assert.equal(frames.length, 50, '1 s of audio is 50 frames');
    const f = dominantFrequency(concat(frames.map((fr) => fr.data)), 48_000);
    assert.ok(Math.abs(f - 440) < 1, `dominant ${f} Hz`);
    assert.equal(source.running, false);
  });

  it('loops a WAV file by default, padding nothing', async function () {
    const file = path.join(tmp.dir, 'short.wav');
    const samples = sine(1000, 1500); // 31.25 ms: not a whole number of frames
    writeWavFile(file, samples, 48_000);
    const source = open(file);
    const frames: AudioFrame[] = [];
    for await (const frame of source.frames()) {
      frames.push(frame);
      if (frames.length === 4) break;
    }
    const all = concat(frames.map((f) => f.data));
    for (let i = 0; i < all.length; i++) assert.equal(all[i], samples[i % samples.length]);
  });

  it('pads the last frame of a non-looping file with silence', async function () {
    const file = path.join(tmp.dir, 'pad.wav');
    writeWavFile(file, sine(1000, 1000), 48_000);
    const source = open(file, { loop: false });
    const frames: AudioFrame[] = [];
    for await (const frame of source.frames()) frames.push(frame);
    assert.equal(frames.length, 2);
    assert.ok(frames[1].data.subarray(40).every((v) => v === 0));
  });

  it('refuses WAV files that are not 48 kHz mono, naming the conversion', function () {
    const file = path.join(tmp.dir, 'cd.wav');
    soxWav(file, 'synth 0.1 sine 440', 44_100, 2);
    assert.throws(
      () => AudioSource.open(file),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_MEDIA_BAD_WAV');
        assert.match(error.message, /44100 Hz with 2 channel\(s\).*sox/);
        return true;
      },
    );
    assert.throws(() => AudioSource.open(path.join(tmp.dir, 'missing.wav')), {
      code: 'ERR_MEDIA_OPEN_FAILED',
    });
    assert.throws(() => AudioSource.open(-2), TypeError);
  });
});
