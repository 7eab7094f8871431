/**
 * Media frames as small value classes (as in LiveKit's node SDK): raw PCM audio and raw BGR video,
 * the currency between capture, effects, codecs, the jitter buffer and the renderers; and the
 * `Picture` a renderer is handed, in the form the media layer chose.
 */
import { AUDIO_CHANNELS, AUDIO_SAMPLE_RATE } from '../../common/constants';

/** Bytes per pixel of a `VideoFrame` (BGR, 8 bits per channel). */
export const VIDEO_BYTES_PER_PIXEL = 3;

/** Interleaved signed 16-bit PCM audio. */
export class AudioFrame {
  /** Interleaved samples (`samplesPerChannel * channels` values). */
  readonly data: Int16Array;
  /** Samples per second of each channel. */
  readonly sampleRate: number;
  /** Interleaved channels in `data`. */
  readonly channels: number;
  /** Samples of each channel (the frame lasts `samplesPerChannel / sampleRate` seconds). */
  readonly samplesPerChannel: number;
  /** Local capture time of the first sample (ms, `nowMs()` clock). */
  readonly timestamp: number;

  /** A frame over `data` (not copied); 48 kHz mono unless told otherwise. */
  constructor(
    data: Int16Array,
    sampleRate: number = AUDIO_SAMPLE_RATE,
    channels: number = AUDIO_CHANNELS,
    timestamp = 0,
  ) {
    if (!(data instanceof Int16Array)) throw new TypeError('AudioFrame data must be an Int16Array');
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
      throw new TypeError(`AudioFrame sampleRate must be a positive integer, got ${sampleRate}`);
    }
    if (!Number.isInteger(channels) || channels <= 0) {
      throw new TypeError(`AudioFrame channels must be a positive integer, got ${channels}`);
    }
    if (data.length % channels !== 0) {
      throw new TypeError(
        `AudioFrame data length ${data.length} is not a multiple of ${channels} channels`,
      );
    }
    this.data = data;
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.samplesPerChannel = data.length / channels;
    this.timestamp = timestamp;
  }

  /** Duration of the frame in ms. */
  get durationMs(): number {
    return (this.samplesPerChannel * 1000) / this.sampleRate;
  }
}

/** One raw video picture: BGR, 3 bytes per pixel, rows packed without padding. */
export class VideoFrame {
  /** Pixel layout, always packed 8-bit BGR (tells a `Picture` painter this is raw pixels). */
  readonly format = 'bgr24';
  /** Pixels, `width * height * 3` bytes, BGR order (OpenCV's). */
  readonly data: Buffer;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Local capture time (ms, `nowMs()` clock). */
  readonly timestamp: number;
  /** Number of the frame in its source, counting from 0. */
  readonly frameNumber: number;

  /** A frame over `data` (not copied), which must hold `width * height * 3` bytes. */
  constructor(data: Buffer, width: number, height: number, timestamp: number, frameNumber: number) {
    if (!Buffer.isBuffer(data)) throw new TypeError('VideoFrame data must be a Buffer');
    if (!Number.isInteger(width) || width <= 0)
      throw new TypeError(`VideoFrame width must be a positive integer, got ${width}`);
    if (!Number.isInteger(height) || height <= 0) {
      throw new TypeError(`VideoFrame height must be a positive integer, got ${height}`);
    }
    if (data.length !== width * height * VIDEO_BYTES_PER_PIXEL) {
      throw new TypeError(
        `VideoFrame data has ${data.length} bytes, expected ${width * height * VIDEO_BYTES_PER_PIXEL} for ${width}x${height} BGR`,
      );
    }
    this.data = data;
    this.width = width;
    this.height = height;
    this.timestamp = timestamp;
    this.frameNumber = frameNumber;
  }
}

/** An encoded picture that the painter decodes itself (Qt reads JPEG natively). */
export interface EncodedPicture {
  readonly format: 'jpeg';
  /** The encoded bytes. */
  readonly data: Buffer;
}

/**
 * What a renderer paints: raw BGR pixels (a `VideoFrame`) or an encoded picture. The media layer
 * decides which (see `codec/Jpeg.ts`); a renderer only paints what it is handed.
 */
export type Picture = VideoFrame | EncodedPicture;
