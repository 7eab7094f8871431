/**
 * Audio through real PortAudio devices, end to end: a tone played into a virtual microphone at bot A
 * (a `meeting bot` process with `--audio default`) comes out of bot B's virtual speaker
 * (`--speaker default`) at the same frequency. The devices are PulseAudio null sinks reached by
 * PortAudio through ALSA's pulse plugin.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { readWavFile } from '../../client/media/wav';
import { dominantFrequency, rmsDbfs } from '../../client/media/analysis';
import { startPulseServer, type PulseServer } from '../unit/media/pulse';
import { knownServersFile, startTestServer, type TestServer } from '../helpers/server';
import { soxWav } from '../helpers/media';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'meeting.js');

/** Resolves with the first JSON line of a bot's stdout that has `event`. */
function nextEvent(
  child: ChildProcess,
  event: string,
  ms = 15_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error(`bot printed no '${event}' within ${ms} ms`)),
      ms,
    );
    rl.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed.event === 'error') {
        clearTimeout(timer);
        reject(new Error(`bot error: ${line}`));
      }
      if (parsed.event !== event) return;
      clearTimeout(timer);
      rl.close();
      resolve(parsed);
    });
  });
}

describe('audio through real PortAudio devices', function () {
  this.timeout(90_000);
  let pulse: PulseServer;
  let t: TestServer;
  let tmp: string;
  const children: ChildProcess[] = [];

  before(async () => {
    pulse = await startPulseServer({ sinks: ['spk', 'micsrc'] });
    t = await startTestServer('sqlite');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-devices-'));
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await t?.stop();
    await pulse?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a 660 Hz tone into A’s microphone plays at 660 Hz on B’s speaker', async () => {
    const server = `127.0.0.1:${t.port}`;
    const botA = pulse.spawn(
      process.execPath,
      [
        BIN,
        'bot',
        '--server',
        server,
        '--user',
        'mic-a',
        '--password',
        'password1',
        '--register',
        '--create',
        'Devices',
        '--audio',
        'default',
        '--duration',
        '30',
        '--json',
      ],
      { PULSE_SOURCE: 'micsrc.monitor', MEETING_KNOWN_SERVERS: knownServersFile() },
    );
    children.push(botA);
    const joined = await nextEvent(botA, 'joined');
    const botB = pulse.spawn(
      process.execPath,
      [
        BIN,
        'bot',
        '--server',
        server,
        '--user',
        'spk-b',
        '--password',
        'password1',
        '--register',
        '--join',
        String(joined.meetingId),
        '--speaker',
        'default',
        '--duration',
        '30',
        '--json',
      ],
      { PULSE_SINK: 'spk', MEETING_KNOWN_SERVERS: knownServersFile() },
    );
    children.push(botB);
    await nextEvent(botB, 'joined');
    await new Promise((r) => setTimeout(r, 1000));

    const recording = path.join(tmp, 'speaker.wav');
    const recorder = pulse.spawn('parecord', [
      '--device=spk.monitor',
      '--rate=48000',
      '--channels=1',
      '--format=s16le',
      '--file-format=wav',
      '--latency-msec=20',
      recording,
    ]);
    children.push(recorder);
    const tone = path.join(tmp, 'tone.wav');
    soxWav(tone, 'synth 3 sine 660 vol 0.4');
    await pulse.run('paplay', ['--device=micsrc', tone], {}, 15_000);
    await new Promise((r) => setTimeout(r, 1500));
    recorder.kill('SIGINT');
    await new Promise((r) => recorder.once('exit', r));

    const heard = readWavFile(recording);
    // Find the loud part: PortAudio/ALSA start-up and the tone's edges are quiet or partial.
    const frame = 4800;
    const loud: Int16Array[] = [];
    for (let i = 0; i + frame <= heard.samples.length; i += frame) {
      const block = heard.samples.subarray(i, i + frame);
      if (rmsDbfs(block) > -35) loud.push(block);
    }
    assert.ok(
      loud.length >= 10,
      `at least 1 s of the tone reached B's speaker (got ${loud.length * 100} ms)`,
    );
    const joinedLoud = new Int16Array(loud.length * frame);
    loud.forEach((b, i) => joinedLoud.set(b, i * frame));
    const f = dominantFrequency(joinedLoud, 48_000);
    assert.ok(Math.abs(f - 660) < 15, `dominant frequency at B's speaker: ${f} Hz`);
    console.log(
      `      ${(loud.length * 0.1).toFixed(1)} s of tone at ${f.toFixed(1)} Hz through PortAudio devices`,
    );
  });
});
