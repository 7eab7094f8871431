/**
 * RIFF/WAVE PCM16 reading and writing. The parser walks the chunks with every read bounds-checked,
 * accepts plain PCM (format 1) and WAVE_FORMAT_EXTENSIBLE with the PCM sub-format, and takes only
 * 16-bit samples; a data chunk whose size runs past the end of the file (streaming writers leave
 * 0xFFFFFFFF there) is cut to the bytes present.
 */
import fs from 'node:fs';
import { MediaError, MediaErrorCode } from './errors';

/** Bytes of the canonical header written by `wavHeader` (RIFF + fmt + data chunk headers). */
export const WAV_HEADER_BYTES = 44;
const FORMAT_PCM = 1;
const FORMAT_EXTENSIBLE = 0xfffe;
/** The largest WAV file `readWavFile` loads (about 23 minutes of 48 kHz mono). */
const MAX_WAV_FILE_BYTES = 128 * 1024 * 1024;

/** Decoded contents of a WAV file. */
export interface WavData {
  sampleRate: number;
  channels: number;
  /** Interleaved samples, `frames * channels` values. */
  samples: Int16Array;
}

function bad(message: string): MediaError {
  return new MediaError(MediaErrorCode.BAD_WAV, `invalid WAV: ${message}`);
}

/** Parses a RIFF/WAVE PCM16 file held in memory. */
export function parseWav(buf: Buffer): WavData {
  if (buf.length < 12) throw bad(`${buf.length} bytes is too short for a RIFF header`);
  if (buf.toString('latin1', 0, 4) !== 'RIFF' || buf.toString('latin1', 8, 12) !== 'WAVE') {
    throw bad('missing RIFF/WAVE signature');
  }
  let fmt:
    | { format: number; channels: number; sampleRate: number; blockAlign: number; bits: number }
    | undefined;
  let offset = 12;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('latin1', offset, offset + 4);
    const declared = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    const available = buf.length - body;
    if (id === 'fmt ') {
      if (declared < 16 || declared > available)
        throw bad(`fmt chunk of ${declared} bytes (${available} present)`);
      let format = buf.readUInt16LE(body);
      if (format === FORMAT_EXTENSIBLE) {
        // cbSize(2) validBits(2) channelMask(4) then the sub-format GUID, whose first 2 bytes are the format
        if (declared < 40) throw bad('WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes');
        format = buf.readUInt16LE(body + 24);
      }
      fmt = {
        format,
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        blockAlign: buf.readUInt16LE(body + 12),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw bad('data chunk before the fmt chunk');
      if (fmt.format !== FORMAT_PCM) throw bad(`format ${fmt.format} is not PCM`);
      if (fmt.bits !== 16) throw bad(`${fmt.bits}-bit samples (only 16-bit PCM is supported)`);
      if (fmt.channels < 1 || fmt.channels > 8) throw bad(`${fmt.channels} channels`);
      if (fmt.sampleRate < 1000 || fmt.sampleRate > 384_000)
        throw bad(`sample rate ${fmt.sampleRate}`);
      if (fmt.blockAlign !== fmt.channels * 2)
        throw bad(`block align ${fmt.blockAlign} for ${fmt.channels} channels`);
      const bytes = Math.min(declared, available);
      const count = Math.floor(bytes / fmt.blockAlign) * fmt.channels;
      const samples = new Int16Array(count);
      // copy through a byte view: the data chunk may start at an odd offset, and WAV is little-endian
      // like every platform Node supports for this project (x64, arm64)
      Buffer.from(samples.buffer).set(buf.subarray(body, body + count * 2));
      return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples };
    }
    if (declared > available) break;
    offset = body + declared + (declared & 1); // chunks are padded to an even size
  }
  throw bad(fmt ? 'no data chunk' : 'no fmt chunk');
}

/** The canonical 44-byte header of a PCM16 WAV file holding `dataBytes` bytes of samples. */
export function wavHeader(dataBytes: number, sampleRate: number, channels: number): Buffer {
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > 0xffffffff - 36) {
    throw new RangeError(`WAV dataBytes out of range: ${dataBytes}`);
  }
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(FORMAT_PCM, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A little-endian byte view of `samples` (no copy). */
export function pcmBytes(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** A whole PCM16 WAV file in memory. */
export function encodeWav(samples: Int16Array, sampleRate: number, channels = 1): Buffer {
  return Buffer.concat([wavHeader(samples.byteLength, sampleRate, channels), pcmBytes(samples)]);
}

/** Reads and parses a PCM16 WAV file. */
export function readWavFile(path: string): WavData {
  let size: number;
  try {
    size = fs.statSync(path).size;
  } catch (error) {
    throw new MediaError(
      MediaErrorCode.OPEN_FAILED,
      `cannot open WAV file ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (size > MAX_WAV_FILE_BYTES)
    throw bad(`${path} is ${size} bytes (limit ${MAX_WAV_FILE_BYTES})`);
  return parseWav(fs.readFileSync(path));
}

/** Writes a PCM16 WAV file. */
export function writeWavFile(
  path: string,
  samples: Int16Array,
  sampleRate: number,
  channels = 1,
): void {
  fs.writeFileSync(path, encodeWav(samples, sampleRate, channels));
}
