/**
 * A microphone for the client: 20 ms frames of 48 kHz mono Int16 PCM (960 samples) from a test
 * tone, a WAV file, or a PortAudio input device.
 *
 * Tone and file frames are paced in real time by a drift-corrected timer (overdue frames are
 * delivered back to back, up to 200 ms, so a briefly blocked event loop loses no audio). Device
 * frames are paced by the device: its stream is read one frame's bytes at a time (reading through
 * naudiodon's default 16 KB reads would add 170 ms of latency) and re-chunked into exact 960-sample
 * frames whatever sizes arrive. Every frame is a new array, so consumers may keep it.
 */
import type { IoStreamRead } from 'naudiodon';
import { TypedEmitter } from '../../../common/TypedEmitter';
import { nowMs } from '../../../common/clock';
import {
  AUDIO_CHANNELS,
  AUDIO_FRAME_MS,
  AUDIO_FRAME_SAMPLES,
  AUDIO_SAMPLE_RATE,
} from '../../../common/constants';
import { MediaError, MediaErrorCode, describeThrown } from '../errors';
import { FrameQueue } from './FrameQueue';
import { AudioFrame } from '../frames';
import { Pacer } from './Pacer';
import { PcmChunker } from './PcmChunker';
import { portAudio } from '../native/portaudio';
import { ToneGenerator, type ToneOptions } from './ToneGenerator';
import { readWavFile } from '../wav';

/** `'tone'`, a WAV file path, or a PortAudio device id (-1: the default input device). */
export type AudioSourceSpec = 'tone' | string | number;

/** Options of an `AudioSource` (tone options apply to `'tone'`). */
export interface AudioSourceOptions extends ToneOptions {
  /** WAV files: start again at the end (default true); otherwise emit 'end' and stop. */
  loop?: boolean;
  /** Devices: blocks of 20 ms that PortAudio may queue before JavaScript reads them (default 16). */
  maxQueue?: number;
}

/** Events of an `AudioSource`. */
export type AudioSourceEvents = {
  /** A 20 ms frame. */
  frame: [frame: AudioFrame];
  /** A WAV file without `loop` ran out (the source stops itself). */
  end: [];
  /** Capture failed; the source stops itself. */
  error: [error: Error];
};

/** Overdue tone/file frames delivered in one timer wake-up before skipping (200 ms). */
const MAX_CATCH_UP_FRAMES = 10;
const FRAME_BYTES = AUDIO_FRAME_SAMPLES * 2;

type Generator = (out: Int16Array) => boolean;
type DeviceStream = IoStreamRead;

export class AudioSource extends TypedEmitter<AudioSourceEvents> {
  readonly #kind: 'tone' | 'file' | 'device';
  readonly #description: string;
  readonly #generate: Generator | null;
  readonly #pacer: Pacer | null;
  readonly #deviceId: number;
  readonly #maxQueue: number;
  #stream: DeviceStream | null = null;
  /** Device bytes arrive in any sizes; this cuts them into exact 960-sample frames. */
  readonly #chunker = new PcmChunker(AUDIO_FRAME_SAMPLES, (frame) => {
    // the frame's first sample was captured about one frame ago
    this.#deliver(frame, nowMs() - AUDIO_FRAME_MS);
  });
  #started = false;
  #stopping: Promise<void> | null = null;
  #frames = 0;

  private constructor(
    kind: 'tone' | 'file' | 'device',
    description: string,
    generate: Generator | null,
    deviceId: number,
    maxQueue: number,
  ) {
    super();
    this.#kind = kind;
    this.#description = description;
    this.#generate = generate;
    this.#deviceId = deviceId;
    this.#maxQueue = maxQueue;
    this.#pacer = generate
      ? new Pacer(AUDIO_FRAME_MS, this.#tick, { maxCatchUp: MAX_CATCH_UP_FRAMES })
      : null;
  }

  /**
   * Opens a source: `'tone'`, a WAV path (48 kHz mono PCM16, read whole), or a PortAudio input device
   * id (-1 for the default). A device is checked here and opened by `start()`.
   */
  static open(spec: AudioSourceSpec, options: AudioSourceOptions = {}): AudioSource {
    const maxQueue = options.maxQueue ?? 16;
    if (!Number.isInteger(maxQueue) || maxQueue < 2)
      throw new TypeError(`maxQueue must be an integer >= 2, got ${maxQueue}`);
    if (spec === 'tone') {
      const tone = new ToneGenerator({ ...options, sampleRate: AUDIO_SAMPLE_RATE });
      return new AudioSource(
        'tone',
        `tone ${options.frequency ?? 440} Hz`,
        (out) => (tone.fill(out), true),
        -1,
        maxQueue,
      );
    }
    if (typeof spec === 'string')
      return AudioSource.#openFile(spec, options.loop ?? true, maxQueue);
    if (typeof spec === 'number' && Number.isInteger(spec) && spec >= -1) {
      if (spec >= 0) {
        const device = portAudio()
          .getDevices()
          .find((d) => d.id === spec);
        if (!device || device.maxInputChannels < 1) {
          throw new MediaError(
            MediaErrorCode.OPEN_FAILED,
            `audio input device ${spec} does not exist or has no input channels`,
          );
        }
      }
      return new AudioSource(
        'device',
        spec === -1 ? 'default input device' : `input device ${spec}`,
        null,
        spec,
        maxQueue,
      );
    }
    throw new TypeError(
      `AudioSource spec must be 'tone', a WAV file path or a device id >= -1, got ${String(spec)}`,
    );
  }

  static #openFile(path: string, loop: boolean, maxQueue: number): AudioSource {
    const wav = readWavFile(path);
    if (wav.sampleRate !== AUDIO_SAMPLE_RATE || wav.channels !== AUDIO_CHANNELS) {
      throw new MediaError(
        MediaErrorCode.BAD_WAV,
        `${path} is ${wav.sampleRate} Hz with ${wav.channels} channel(s); the microphone takes ${AUDIO_SAMPLE_RATE} Hz mono ` +
          `(convert it: sox ${path} -r ${AUDIO_SAMPLE_RATE} -c 1 -b 16 out.wav)`,
      );
    }
    if (wav.samples.length === 0)
      throw new MediaError(MediaErrorCode.BAD_WAV, `${path} holds no samples`);
    const samples = wav.samples;
    let position = 0;
    const generate: Generator = (out) => {
      let filled = 0;
      while (filled < out.length) {
        if (position >= samples.length) {
          if (!loop) break;
          position = 0;
        }
        const n = Math.min(out.length - filled, samples.length - position);
        out.set(samples.subarray(position, position + n), filled);
        filled += n;
        position += n;
      }
      if (filled === 0) return false;
      out.fill(0, filled); // the last frame of a file that does not loop is padded with silence
      return true;
    };
    return new AudioSource('file', path, generate, -1, maxQueue);
  }

  /** What the source reads from. */
  get kind(): 'tone' | 'file' | 'device' {
    return this.#kind;
  }

  /** Human-readable name of the source. */
  get description(): string {
    return this.#description;
  }

  /** Frames delivered so far. */
  get framesDelivered(): number {
    return this.#frames;
  }

  /** True between `start()` and `stop()`. */
  get running(): boolean {
    return this.#started && !this.#stopping;
  }

  /** Starts delivering 'frame' events; a device is opened here (throws MediaError when it cannot be). */
  start(): void {
    if (this.#stopping)
      throw new MediaError(MediaErrorCode.CLOSED, `audio source ${this.#description} was stopped`);
    if (this.#started) return;
    this.#started = true;
    if (this.#pacer) {
      this.#pacer.start();
      return;
    }
    this.#openDevice();
  }

  /** Stops capture for real (the device stream is quit and closed); idempotent. */
  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#pacer?.stop();
    const stream = this.#stream;
    this.#stream = null;
    this.#stopping = stream ? quitStream(stream) : Promise.resolve();
    return this.#stopping;
  }

  /** Frames as an async iterator (starts the source); the oldest frames are dropped beyond `capacity`. */
  frames(capacity = 8): AsyncIterableIterator<AudioFrame> {
    const onFrame = (frame: AudioFrame): void => queue.push(frame);
    const onEnd = (): void => queue.end();
    const queue = new FrameQueue<AudioFrame>(capacity, () => {
      this.off('frame', onFrame);
      this.off('end', onEnd);
      this.off('error', onEnd);
    });
    this.on('frame', onFrame);
    this.on('end', onEnd);
    this.on('error', onEnd);
    if (this.#stopping) queue.end();
    else this.start();
    return queue;
  }

  readonly #tick = (dueMs: number): void => {
    const out = new Int16Array(AUDIO_FRAME_SAMPLES);
    if (!this.#generate?.(out)) {
      void this.stop();
      this.safeEmit('end');
      return;
    }
    this.#deliver(out, dueMs);
  };

  #deliver(samples: Int16Array, timestamp: number): void {
    this.#frames++;
    this.safeEmit('frame', new AudioFrame(samples, AUDIO_SAMPLE_RATE, AUDIO_CHANNELS, timestamp));
  }

  #openDevice(): void {
    let stream: DeviceStream;
    try {
      stream = portAudio().AudioIO({
        inOptions: {
          channelCount: AUDIO_CHANNELS,
          sampleFormat: 16,
          sampleRate: AUDIO_SAMPLE_RATE,
          deviceId: this.#deviceId,
          closeOnError: false,
          framesPerBuffer: AUDIO_FRAME_SAMPLES,
          maxQueue: this.#maxQueue,
          highwaterMark: FRAME_BYTES,
        },
      });
      stream.start();
    } catch (error) {
      this.#stopping = Promise.resolve();
      throw new MediaError(
        MediaErrorCode.OPEN_FAILED,
        `cannot open ${this.#description}: ${describeThrown(error)}`,
        {
          cause: error,
        },
      );
    }
    this.#stream = stream;
    stream.on('readable', () => {
      let chunk: Buffer | string | null;
      while (this.#stream === stream && (chunk = stream.read()) !== null) {
        if (typeof chunk !== 'string') this.#chunker.push(chunk);
      }
    });
    stream.on('error', (error: Error) => {
      if (this.#stream !== stream) return;
      void this.stop();
      this.safeEmit(
        'error',
        new MediaError(MediaErrorCode.CAPTURE_FAILED, `${this.#description}: ${error.message}`, {
          cause: error,
        }),
      );
    });
  }
}

/** Quits a naudiodon input stream (stops and closes the PortAudio stream) and waits for it. */
function quitStream(stream: DeviceStream): Promise<void> {
  return new Promise<void>((resolve) => {
    stream.removeAllListeners('readable');
    stream.quit(() => resolve());
  }).then(() => {
    // drain what the stream still holds so it can end and be collected
    stream.resume();
  });
}
