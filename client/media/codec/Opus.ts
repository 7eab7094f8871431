/**
 * Opus voice codec at the project's audio settings (48 kHz mono, 20 ms frames of 960 samples), on
 * `@discordjs/opus` (bundled libopus).
 *
 * Packet-loss concealment uses libopus's own PLC. The binding exposes no way to pass a NULL packet
 * (and an empty buffer makes libopus conceal its whole 120 ms output buffer at once), so `conceal()`
 * decodes a 1-byte packet holding only the TOC byte of the last good packet: libopus treats a frame of
 * 0 bytes as lost and conceals exactly one frame of the duration and mode that TOC names (the DTX path
 * of `opus_decode_frame`), keeping its state in step for the next real packet.
 */
import { OpusEncoder } from '@discordjs/opus';
import { AUDIO_CHANNELS, AUDIO_FRAME_SAMPLES, AUDIO_SAMPLE_RATE } from '../../../common/constants';
import { MediaError, MediaErrorCode, describeThrown } from '../errors';
import { pcmBytes } from '../wav';

/** TOC byte of a 20 ms CELT fullband mono frame (config 31, code 0), used before any packet arrived. */
const DEFAULT_TOC = 0xf8;

/** Options of an `OpusCodec`. */
export interface OpusCodecOptions {
  /** Target bitrate in bits/s (libopus's default, about 64 kbit/s for 48 kHz mono, when unset). */
  bitrate?: number;
}

export class OpusCodec {
  readonly #opus: OpusEncoder;
  /** The 1-byte "lost frame" packet, its TOC refreshed from each good packet. */
  readonly #plcPacket = Buffer.from([DEFAULT_TOC]);
  #decodedAny = false;

  /** An encoder and decoder pair at 48 kHz mono. */
  constructor(options: OpusCodecOptions = {}) {
    this.#opus = new OpusEncoder(AUDIO_SAMPLE_RATE, AUDIO_CHANNELS);
    if (options.bitrate !== undefined) {
      if (
        !Number.isInteger(options.bitrate) ||
        options.bitrate < 6000 ||
        options.bitrate > 510_000
      ) {
        throw new TypeError(`bitrate must be an integer in 6000..510000, got ${options.bitrate}`);
      }
      this.#opus.setBitrate(options.bitrate);
    }
  }

  /** Samples per frame (960: 20 ms at 48 kHz). */
  get frameSamples(): number {
    return AUDIO_FRAME_SAMPLES;
  }

  /** Encodes one frame of exactly 960 samples to an Opus packet. */
  encode(pcm: Int16Array): Buffer {
    if (!(pcm instanceof Int16Array) || pcm.length !== AUDIO_FRAME_SAMPLES) {
      throw new TypeError(
        `Opus encode takes an Int16Array of ${AUDIO_FRAME_SAMPLES} samples, got ${pcm?.length}`,
      );
    }
    return this.#opus.encode(pcmBytes(pcm));
  }

  /** Decodes one packet to PCM (960 samples for the packets `encode` makes). */
  decode(packet: Buffer): Int16Array {
    if (!Buffer.isBuffer(packet) || packet.length === 0) {
      throw new MediaError(
        MediaErrorCode.BAD_OPUS,
        'empty Opus packet (call conceal() for a lost frame)',
      );
    }
    let out: Buffer;
    try {
      out = this.#opus.decode(packet);
    } catch (error) {
      throw new MediaError(
        MediaErrorCode.BAD_OPUS,
        `Opus decode failed: ${describeThrown(error)}`,
        { cause: error },
      );
    }
    // keep the TOC's configuration and stereo bits, frame-count code 0 (one frame)
    this.#plcPacket[0] = packet[0] & 0xfc;
    this.#decodedAny = true;
    return toInt16(out);
  }

  /**
   * A frame standing in for a lost packet, from libopus's PLC (see the file comment); silence
   * before the first packet was decoded.
   */
  conceal(): Int16Array {
    if (!this.#decodedAny) return new Int16Array(AUDIO_FRAME_SAMPLES);
    return toInt16(this.#opus.decode(this.#plcPacket));
  }
}

/** An Int16Array over a decoded buffer, copied only when the buffer is not 2-byte aligned. */
function toInt16(buf: Buffer): Int16Array {
  if (buf.byteOffset % 2 === 0) return new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1);
  const copy = new Int16Array(buf.length >> 1);
  Buffer.from(copy.buffer).set(buf.subarray(0, copy.length * 2));
  return copy;
}
