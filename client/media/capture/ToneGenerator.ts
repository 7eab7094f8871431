/**
 * A phase-continuous sine generator for test audio: a tone at a given frequency and peak level,
 * optionally cut by periodic silence gaps (so talk-spurt handling can be exercised).
 */
import { AUDIO_SAMPLE_RATE } from '../../../common/constants';

/** Options of a `ToneGenerator`. */
export interface ToneOptions {
  /** Frequency (Hz, default 440). */
  frequency?: number;
  /** Peak level (dBFS, default -20: a sine of amplitude 0.1 full scale). */
  levelDbfs?: number;
  /** Sample rate (default AUDIO_SAMPLE_RATE). */
  sampleRate?: number;
  /** Tone on this long, then silent for `gapMs` (ms; no gaps when unset). */
  toneMs?: number;
  /** Silence between tone bursts (ms, with `toneMs`). */
  gapMs?: number;
}

export class ToneGenerator {
  readonly #step: number;
  readonly #amplitude: number;
  readonly #onSamples: number;
  readonly #periodSamples: number;
  #phase = 0;
  #position = 0;

  /** A generator starting at phase 0. */
  constructor(options: ToneOptions = {}) {
    const frequency = options.frequency ?? 440;
    const sampleRate = options.sampleRate ?? AUDIO_SAMPLE_RATE;
    const levelDbfs = options.levelDbfs ?? -20;
    if (!(frequency > 0 && frequency < sampleRate / 2))
      throw new TypeError(`tone frequency must be in (0, ${sampleRate / 2}), got ${frequency}`);
    if (!(levelDbfs <= 0)) throw new TypeError(`tone levelDbfs must be <= 0, got ${levelDbfs}`);
    this.#step = (2 * Math.PI * frequency) / sampleRate;
    this.#amplitude = 32767 * 10 ** (levelDbfs / 20);
    if (options.toneMs !== undefined && options.gapMs !== undefined && options.gapMs > 0) {
      if (!(options.toneMs > 0))
        throw new TypeError(`toneMs must be positive, got ${options.toneMs}`);
      this.#onSamples = Math.round((options.toneMs * sampleRate) / 1000);
      this.#periodSamples = this.#onSamples + Math.round((options.gapMs * sampleRate) / 1000);
    } else {
      this.#onSamples = Number.POSITIVE_INFINITY;
      this.#periodSamples = Number.POSITIVE_INFINITY;
    }
  }

  /** Fills `out` with the next samples and returns it. */
  fill(out: Int16Array): Int16Array {
    for (let i = 0; i < out.length; i++) {
      const on =
        this.#periodSamples === Number.POSITIVE_INFINITY ||
        this.#position % this.#periodSamples < this.#onSamples;
      out[i] = on ? Math.round(this.#amplitude * Math.sin(this.#phase)) : 0;
      this.#phase += this.#step;
      if (this.#phase > 2 * Math.PI) this.#phase -= 2 * Math.PI;
      this.#position++;
    }
    return out;
  }

  /** The next `count` samples in a new array. */
  next(count: number): Int16Array {
    return this.fill(new Int16Array(count));
  }
}
