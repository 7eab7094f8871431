/**
 * Cuts a byte stream of little-endian Int16 PCM, arriving in chunks of any size (odd sizes
 * included: a sample may straddle two chunks), into frames of exactly `frameSamples` samples.
 * Each frame is a new array handed to `onFrame`, so the receiver may keep it.
 */
export class PcmChunker {
  readonly #frameSamples: number;
  readonly #onFrame: (frame: Int16Array) => void;
  #pending: Int16Array;
  #fill = 0;
  /** The low byte of a sample whose high byte is in the next chunk, or -1. */
  #carry = -1;

  /** A chunker calling `onFrame` with each complete frame of `frameSamples` samples. */
  constructor(frameSamples: number, onFrame: (frame: Int16Array) => void) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
      throw new TypeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    }
    this.#frameSamples = frameSamples;
    this.#onFrame = onFrame;
    this.#pending = new Int16Array(frameSamples);
  }

  /** Samples waiting for the rest of their frame. */
  get pendingSamples(): number {
    return this.#fill;
  }

  /** Takes the next bytes of the stream; calls `onFrame` for every frame they complete. */
  push(chunk: Uint8Array): void {
    let i = 0;
    if (this.#carry >= 0 && chunk.length > 0) {
      this.#add(((this.#carry | (chunk[0] << 8)) << 16) >> 16);
      this.#carry = -1;
      i = 1;
    }
    const end = i + ((chunk.length - i) & ~1);
    for (; i < end; i += 2) this.#add(((chunk[i] | (chunk[i + 1] << 8)) << 16) >> 16);
    if (i < chunk.length) this.#carry = chunk[i];
  }

  /** Drops a partial frame and any carried byte. */
  reset(): void {
    this.#fill = 0;
    this.#carry = -1;
  }

  #add(sample: number): void {
    this.#pending[this.#fill++] = sample;
    if (this.#fill === this.#frameSamples) {
      const frame = this.#pending;
      this.#pending = new Int16Array(this.#frameSamples);
      this.#fill = 0;
      this.#onFrame(frame);
    }
  }
}
