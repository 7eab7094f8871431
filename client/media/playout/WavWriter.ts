/**
 * Streams PCM16 samples into a WAV file: a placeholder header first, samples appended as they come,
 * and the RIFF and data sizes patched in on `close()` so the file is valid even for unknown lengths.
 */
import fs from 'node:fs';
import { WAV_HEADER_BYTES, pcmBytes, wavHeader } from '../wav';
import { MediaError, MediaErrorCode } from '../errors';

export class WavWriter {
  readonly #path: string;
  readonly #sampleRate: number;
  readonly #channels: number;
  #fd: number | null;
  #dataBytes = 0;

  /** Creates (or truncates) `path` and writes a placeholder header. */
  constructor(path: string, sampleRate: number, channels = 1) {
    if (!Number.isInteger(sampleRate) || sampleRate <= 0)
      throw new TypeError(`sampleRate must be a positive integer, got ${sampleRate}`);
    if (!Number.isInteger(channels) || channels <= 0)
      throw new TypeError(`channels must be a positive integer, got ${channels}`);
    this.#path = path;
    this.#sampleRate = sampleRate;
    this.#channels = channels;
    this.#fd = fs.openSync(path, 'w');
    fs.writeSync(this.#fd, wavHeader(0, sampleRate, channels));
  }

  /** Path of the file being written. */
  get path(): string {
    return this.#path;
  }

  /** Samples (per channel) written so far. */
  get frames(): number {
    return this.#dataBytes / 2 / this.#channels;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#fd === null;
  }

  /** Appends interleaved samples. */
  write(samples: Int16Array): void {
    if (this.#fd === null)
      throw new MediaError(MediaErrorCode.CLOSED, `WavWriter for ${this.#path} is closed`);
    if (samples.length % this.#channels !== 0) {
      throw new TypeError(
        `samples length ${samples.length} is not a multiple of ${this.#channels} channels`,
      );
    }
    const bytes = pcmBytes(samples);
    let written = 0;
    while (written < bytes.length)
      written += fs.writeSync(this.#fd, bytes, written, bytes.length - written);
    this.#dataBytes += bytes.length;
  }

  /** Writes the final sizes into the header and closes the file; idempotent. */
  close(): void {
    if (this.#fd === null) return;
    const fd = this.#fd;
    this.#fd = null;
    try {
      fs.writeSync(
        fd,
        wavHeader(this.#dataBytes, this.#sampleRate, this.#channels),
        0,
        WAV_HEADER_BYTES,
        0,
      );
    } finally {
      fs.closeSync(fd);
    }
  }
}
