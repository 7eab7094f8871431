// Real PortAudio devices on a private PulseAudio server: the microphone path (a tone played into a
// null sink, captured from its monitor by AudioSource) and the speaker path (AudioSink playing into
// a null sink, recorded from its monitor by parecord). Each side runs in a child process so that
// PULSE_SOURCE/PULSE_SINK are set before PortAudio initialises.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { dominantFrequency, rmsDbfs } from '../../../client/media/analysis';
import { readWavFile, writeWavFile } from '../../../client/media/wav';
import { concat, makeTempDir, sine, sleep } from './helpers';
import { startPulseServer, type PulseServer } from './pulse';

const CHILD = path.join(__dirname, 'portaudioChild.js');

/** The parsed RESULT line of a child run. */
function result(stdout: string): Record<string, unknown> {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('RESULT '));
  assert.ok(line, `no RESULT line in the child's output:\n${stdout.slice(-2000)}`);
  return JSON.parse(line.slice(7)) as Record<string, unknown>;
}

/** The loud part of a recording, frame by frame (20 ms frames above -40 dBFS). */
function loudPart(samples: Int16Array): Int16Array {
  const frames: Int16Array[] = [];
  for (let i = 0; i + 960 <= samples.length; i += 960) {
    const frame = samples.subarray(i, i + 960);
    if (rmsDbfs(frame) > -40) frames.push(frame);
  }
  return concat(frames);
}

describe('PortAudio devices (private PulseAudio server)', function () {
  this.timeout(60_000);
  let pulse: PulseServer;
  let tmp: ReturnType<typeof makeTempDir>;

  before(async function () {
    // no skip: a machine that cannot run these tests must say why
    pulse = await startPulseServer({ sinks: ['spk', 'micsrc'] });
    tmp = makeTempDir('portaudio');
  });

  after(async function () {
    await pulse?.stop();
    tmp?.cleanup();
  });

  it('pulse.ts started a server with the two null sinks', async function () {
    const { stdout } = await pulse.run('pactl', ['list', 'short', 'sources']);
    assert.match(stdout, /spk\.monitor/);
    assert.match(stdout, /micsrc\.monitor/);
  });

  it('AudioSource captures a 440 Hz tone from the default PortAudio input, with no bytes lost', async function () {
    const tone = path.join(tmp.dir, 'tone440.wav');
    writeWavFile(tone, sine(440, 48_000 * 10, -12), 48_000);
    const player = pulse.spawn('paplay', ['--device=micsrc', tone]);
    try {
      await sleep(300);
      const out = path.join(tmp.dir, 'captured.wav');
      const { stdout } = await pulse.run(
        'node',
        [CHILD, 'capture', out, '2500'],
        { PULSE_SOURCE: 'micsrc.monitor' },
        30_000,
      );
      const r = result(stdout);
      assert.equal(r.error, null);
      const frames = r.frames as number;
      const spanMs = r.spanMs as number;
      console.log(
        `      capture: ${frames} frames, first after ${Math.round(r.firstFrameMs as number)} ms, span ${Math.round(spanMs)} ms`,
      );
      assert.ok(frames >= 50, `only ${frames} frames captured`);
      // every 20 ms of device time became one frame: frames match the time they span
      const expected = spanMs / 20 + 1;
      assert.ok(
        Math.abs(frames - expected) <= Math.max(5, expected * 0.05),
        `${frames} frames over ${spanMs.toFixed(0)} ms (expected ${expected.toFixed(0)})`,
      );
      assert.equal(r.framesAfterStop, 0, 'stop() ended capture');
      // record streams on the server (paplay's playback is a sink input, not counted here)
      const before = r.streamsBefore as number;
      assert.equal(r.streamsWhileRunning, before + 1, 'PortAudio had a record stream open');
      assert.equal(r.streamsAfterStop, before, 'stop() closed the record stream for real');
      // with the sinks running in 10 ms blocks (pulse.ts), the first frame comes at once
      assert.ok((r.firstFrameMs as number) < 500, `first frame after ${String(r.firstFrameMs)} ms`);
      const wav = readWavFile(out);
      assert.equal(wav.samples.length, frames * 960, 'frames are exactly 960 samples');
      const loud = loudPart(wav.samples);
      assert.ok(loud.length >= 960 * 25, `only ${loud.length / 960} loud frames in the capture`);
      const f = dominantFrequency(loud, 48_000);
      assert.ok(Math.abs(f - 440) < 5, `captured tone at ${f.toFixed(1)} Hz`);
    } finally {
      if (player.exitCode === null && player.pid) process.kill(player.pid, 'SIGTERM');
    }
  });

  it('AudioSink plays a 660 Hz tone on the default PortAudio output', async function () {
    const recording = path.join(tmp.dir, 'recorded.wav');
    const recorder = pulse.spawn('parecord', [
      '--device=spk.monitor',
      '--rate=48000',
      '--channels=1',
      '--format=s16le',
      '--file-format=wav',
      recording,
    ]);
    try {
      await sleep(300);
      const { stdout } = await pulse.run(
        'node',
        [CHILD, 'play', '660', '1500'],
        { PULSE_SINK: 'spk' },
        30_000,
      );
      const r = result(stdout);
      assert.equal(r.error, undefined);
      console.log(
        `      playback: ${String(r.written)} frames written, ${String(r.dropped)} dropped`,
      );
      assert.ok((r.written as number) >= 70, `wrote ${String(r.written)} frames`);
      // playback streams on the server (parecord's is a source output, not counted here)
      const before = r.streamsBefore as number;
      assert.equal(r.streamsWhileRunning, before + 1, 'PortAudio had a playback stream open');
      assert.equal(r.streamsAfterClose, before, 'close() closed the playback stream');
      assert.ok(
        (r.dropped as number) <= 2,
        `${String(r.dropped)} frames dropped: the device did not keep up`,
      );
      await sleep(300);
    } finally {
      const exited = new Promise((resolve) => recorder.once('exit', resolve));
      if (recorder.exitCode === null && recorder.pid) process.kill(recorder.pid, 'SIGINT');
      await exited;
    }
    assert.ok(fs.existsSync(recording));
    const wav = readWavFile(recording);
    const loud = loudPart(wav.samples);
    assert.ok(loud.length >= 960 * 25, `only ${loud.length / 960} loud frames recorded`);
    const f = dominantFrequency(loud, 48_000);
    assert.ok(Math.abs(f - 660) < 5, `recorded tone at ${f.toFixed(1)} Hz`);
  });
});
