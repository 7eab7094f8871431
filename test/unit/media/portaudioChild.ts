/**
 * Runs AudioSource/AudioSink on a real PortAudio device in a child process, so the PulseAudio
 * environment (PULSE_SERVER, PULSE_SOURCE, PULSE_SINK) is in place before PortAudio initialises.
 * Used by portaudio.test.ts:
 *
 *   node portaudioChild.js capture <out.wav> <ms>   records the default input for <ms> ms
 *   node portaudioChild.js play <frequency> <ms>     plays a tone on the default output
 *
 * PortAudio and ALSA print to stdout and stderr, so the result is the last line starting "RESULT ".
 */
import { execFileSync } from 'node:child_process';
import { AudioSink } from '../../../client/media/playout/AudioSink';
import { AudioSource } from '../../../client/media/capture/AudioSource';
import { WavWriter } from '../../../client/media/playout/WavWriter';
import { AUDIO_SAMPLE_RATE } from '../../../common/constants';

/** Streams the PulseAudio server has open of a kind ('source-outputs' or 'sink-inputs'). */
function pulseStreams(kind: 'source-outputs' | 'sink-inputs'): number {
  const out = execFileSync('pactl', ['list', 'short', kind], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.trim()).length;
}

async function capture(file: string, ms: number): Promise<object> {
  const source = AudioSource.open(-1);
  const wav = new WavWriter(file, AUDIO_SAMPLE_RATE, 1);
  const times: number[] = [];
  source.on('frame', (frame) => {
    times.push(performance.now());
    wav.write(frame.data);
  });
  let error: string | null = null;
  source.on('error', (e) => (error = e.message));
  const streamsBefore = pulseStreams('source-outputs');
  const t0 = performance.now();
  source.start();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const streamsWhileRunning = pulseStreams('source-outputs');
  await source.stop();
  const afterStop = source.framesDelivered;
  const streamsAfterStop = pulseStreams('source-outputs');
  await new Promise((resolve) => setTimeout(resolve, 200));
  wav.close();
  return {
    frames: source.framesDelivered,
    framesAfterStop: source.framesDelivered - afterStop,
    firstFrameMs: times.length ? times[0] - t0 : null,
    // time from the first to the last frame, to compare with the number of frames delivered
    spanMs: times.length > 1 ? times[times.length - 1] - times[0] : 0,
    streamsBefore,
    streamsWhileRunning,
    streamsAfterStop,
    error,
  };
}

async function play(frequency: number, ms: number): Promise<object> {
  const streamsBefore = pulseStreams('sink-inputs');
  const sink = AudioSink.open(-1);
  const source = AudioSource.open('tone', { frequency, levelDbfs: -12 });
  source.on('frame', (frame) => sink.write(frame));
  source.start();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const streamsWhileRunning = pulseStreams('sink-inputs');
  await source.stop();
  await sink.close();
  const streamsAfterClose = pulseStreams('sink-inputs');
  return {
    written: sink.framesWritten,
    dropped: sink.framesDropped,
    streamsBefore,
    streamsWhileRunning,
    streamsAfterClose,
  };
}

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  const result =
    mode === 'capture'
      ? await capture(a, Number(b))
      : mode === 'play'
        ? await play(Number(a), Number(b))
        : null;
  if (!result) throw new Error(`unknown mode ${mode}`);
  process.stdout.write(`\nRESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stdout.write(
    `\nRESULT ${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`,
  );
  process.exit(1);
});
