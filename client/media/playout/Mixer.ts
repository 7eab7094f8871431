/**
 * Sums the decoded frames of several speakers into one frame, saturating at the Int16 limits
 * (clipping instead of wrapping around, which would turn an overload into loud noise).
 */
import { AUDIO_FRAME_SAMPLES } from '../../../common/constants';

export class Mixer {
  readonly #sum: Int32Array;
  readonly #out: Int16Array;
  #clipped = 0;

  /** A mixer of frames of `frameSamples` samples (default 960). */
  constructor(frameSamples: number = AUDIO_FRAME_SAMPLES) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0)
      throw new TypeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    this.#sum = new Int32Array(frameSamples);
    this.#out = new Int16Array(frameSamples);
  }

  /** Samples per frame. */
  get frameSamples(): number {
    return this.#out.length;
  }

  /** Samples clipped at the Int16 limits so far. */
  get clippedSamples(): number {
    return this.#clipped;
  }

  /**
   * Mixes `frames` (each `frameSamples` long; shorter ones count as padded with silence) into the
   * mixer's output buffer and returns it. The buffer is reused by the next call: copy it to keep it.
   * `out` may be given to mix into a buffer of the caller's instead.
   */
  mix(frames: Iterable<Int16Array>, out: Int16Array = this.#out): Int16Array {
    const n = this.#sum.length;
    if (out.length !== n) throw new TypeError(`out must hold ${n} samples, got ${out.length}`);
    const sum = this.#sum;
    sum.fill(0);
    for (const frame of frames) {
      if (frame.length > n)
        throw new TypeError(`frame of ${frame.length} samples is longer than ${n}`);
      for (let i = 0; i < frame.length; i++) sum[i] += frame[i];
    }
    for (let i = 0; i < n; i++) {
      const v = sum[i];
      if (v > 32767) {
        out[i] = 32767;
        this.#clipped++;
      } else if (v < -32768) {
        out[i] = -32768;
        this.#clipped++;
      } else {
        out[i] = v;
      }
    }
    return out;
  }
}
