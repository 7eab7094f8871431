/**
 * A speaker for the client: plays 48 kHz mono Int16 frames on a PortAudio output device, or writes
 * them to a WAV file (for tests and recordings).
 *
 * Device playback is real-time: frames are written as they come and the device consumes them at its
 * own clock. Queued audio is capped (`maxQueueMs`): a frame arriving while more than that is waiting
 * is dropped and counted, so latency cannot grow without bound when the writer runs fast.
 */
import type { Writable } from 'node:stream';
import type { IoStreamWrite } from 'naudiodon';
import { TypedEmitter } from '../../../common/TypedEmitter';
import {
  AUDIO_CHANNELS,
  AUDIO_FRAME_MS,
  AUDIO_FRAME_SAMPLES,
  AUDIO_PLAYBACK_MAX_QUEUE_MS,
  AUDIO_SAMPLE_RATE,
} from '../../../common/constants';
import { MediaError, MediaErrorCode, describeThrown } from '../errors';
import { AudioFrame } from '../frames';
import { portAudio } from '../native/portaudio';
import { WavWriter } from './WavWriter';

/** A PortAudio output device id (-1: the default output device), or a WAV file path. */
export type AudioSinkSpec = number | string;

/** Options of an `AudioSink`. */
export interface AudioSinkOptions {
  /** Devices: audio allowed to wait for the device before frames are dropped (ms, default 200). */
  maxQueueMs?: number;
  /** Devices: how long `close()` waits for queued audio to play out before giving up (ms, default 3000). */
  drainTimeoutMs?: number;
}

/** Events of an `AudioSink`. */
export type AudioSinkEvents = {
  /** Playback failed; the sink closes itself. */
  error: [error: Error];
};

/** 20 ms blocks naudiodon queues natively; the rest waits in the Writable (and counts toward maxQueueMs). */
const NATIVE_QUEUE_BLOCKS = 4;
const BYTES_PER_MS = (AUDIO_SAMPLE_RATE * AUDIO_CHANNELS * 2) / 1000;

export class AudioSink extends TypedEmitter<AudioSinkEvents> {
  readonly #description: string;
  readonly #wav: WavWriter | null;
  readonly #maxQueueBytes: number;
  readonly #drainTimeoutMs: number;
  #stream: IoStreamWrite | null;
  #closing: Promise<void> | null = null;
  #written = 0;
  #dropped = 0;

  private constructor(
    description: string,
    wav: WavWriter | null,
    stream: IoStreamWrite | null,
    options: AudioSinkOptions,
  ) {
    super();
    this.#description = description;
    this.#wav = wav;
    this.#stream = stream;
    const maxQueueMs = options.maxQueueMs ?? AUDIO_PLAYBACK_MAX_QUEUE_MS;
    if (!(maxQueueMs >= AUDIO_FRAME_MS))
      throw new TypeError(`maxQueueMs must be >= ${AUDIO_FRAME_MS}, got ${maxQueueMs}`);
    this.#maxQueueBytes =
      Math.max(0, maxQueueMs - NATIVE_QUEUE_BLOCKS * AUDIO_FRAME_MS) * BYTES_PER_MS;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 3000;
    stream?.on('error', (error: Error) => {
      if (this.#closing) return;
      void this.close();
      this.safeEmit(
        'error',
        new MediaError(MediaErrorCode.PLAYBACK_FAILED, `${description}: ${error.message}`, {
          cause: error,
        }),
      );
    });
  }

  /** Opens a PortAudio output device (id, -1 for the default) and starts it, or creates a WAV file. */
  static open(spec: AudioSinkSpec, options: AudioSinkOptions = {}): AudioSink {
    if (typeof spec === 'string') {
      let wav: WavWriter;
      try {
        wav = new WavWriter(spec, AUDIO_SAMPLE_RATE, AUDIO_CHANNELS);
      } catch (error) {
        throw new MediaError(
          MediaErrorCode.OPEN_FAILED,
          `cannot create ${spec}: ${describeThrown(error)}`,
          { cause: error },
        );
      }
      return new AudioSink(spec, wav, null, options);
    }
    if (typeof spec !== 'number' || !Number.isInteger(spec) || spec < -1) {
      throw new TypeError(
        `AudioSink spec must be a device id >= -1 or a WAV file path, got ${String(spec)}`,
      );
    }
    const description = spec === -1 ? 'default output device' : `output device ${spec}`;
    const pa = portAudio();
    if (spec >= 0) {
      const device = pa.getDevices().find((d) => d.id === spec);
      if (!device || device.maxOutputChannels < 1) {
        throw new MediaError(
          MediaErrorCode.OPEN_FAILED,
          `audio output device ${spec} does not exist or has no output channels`,
        );
      }
    }
    let stream: IoStreamWrite;
    try {
      stream = pa.AudioIO({
        outOptions: {
          channelCount: AUDIO_CHANNELS,
          sampleFormat: 16,
          sampleRate: AUDIO_SAMPLE_RATE,
          deviceId: spec,
          closeOnError: false,
          framesPerBuffer: AUDIO_FRAME_SAMPLES,
          maxQueue: NATIVE_QUEUE_BLOCKS,
        },
      });
      stream.start();
    } catch (error) {
      throw new MediaError(
        MediaErrorCode.OPEN_FAILED,
        `cannot open ${description}: ${describeThrown(error)}`,
        { cause: error },
      );
    }
    return new AudioSink(description, null, stream, options);
  }

  /** Where the audio goes. */
  get description(): string {
    return this.#description;
  }

  /** Frames accepted so far. */
  get framesWritten(): number {
    return this.#written;
  }

  /** Frames dropped because the device queue was full. */
  get framesDropped(): number {
    return this.#dropped;
  }

  /** Queues one frame (960 mono samples, or any whole number of samples); false when it was dropped. */
  write(frame: Int16Array | AudioFrame): boolean {
    if (this.#closing)
      throw new MediaError(MediaErrorCode.CLOSED, `audio sink ${this.#description} is closed`);
    const samples = frame instanceof AudioFrame ? frame.data : frame;
    if (
      frame instanceof AudioFrame &&
      (frame.sampleRate !== AUDIO_SAMPLE_RATE || frame.channels !== AUDIO_CHANNELS)
    ) {
      throw new TypeError(
        `AudioSink takes ${AUDIO_SAMPLE_RATE} Hz mono frames, got ${frame.sampleRate} Hz x${frame.channels}`,
      );
    }
    if (!(samples instanceof Int16Array))
      throw new TypeError('AudioSink write takes an Int16Array or an AudioFrame');
    if (this.#wav) {
      this.#wav.write(samples);
      this.#written++;
      return true;
    }
    const stream = this.#stream;
    if (!stream) return false;
    if ((stream as unknown as Writable).writableLength > this.#maxQueueBytes) {
      this.#dropped++;
      return false;
    }
    // copied: the caller (a mixer) reuses its buffer while the device still holds this one
    stream.write(copy(samples));
    this.#written++;
    return true;
  }

  /** Plays out what is queued (or finalises the WAV header) and releases the device; idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#wav) {
      this.#wav.close();
      this.#closing = Promise.resolve();
      return this.#closing;
    }
    const stream = this.#stream;
    this.#stream = null;
    this.#closing = stream ? endStream(stream, this.#drainTimeoutMs) : Promise.resolve();
    return this.#closing;
  }
}

function copy(samples: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(samples.byteLength);
  out.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  return out;
}

/**
 * Ends a naudiodon output stream: on 'finish' naudiodon quits the PortAudio stream once the queued
 * audio has played, then emits 'finished'.
 */
function endStream(stream: IoStreamWrite, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
    stream.once('finished', done);
    stream.once('error', done);
    stream.end();
  });
}
