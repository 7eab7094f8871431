import assert from 'node:assert/strict';
import { dominantFrequency, rmsDbfs } from '../../../client/media/analysis';
import { MediaError } from '../../../client/media/errors';
import { OpusCodec } from '../../../client/media/codec/Opus';
import { ToneGenerator } from '../../../client/media/capture/ToneGenerator';
import { concat } from './helpers';

const FRAME = 960;

describe('OpusCodec', function () {
  it('encode -> decode keeps a 440 Hz tone within 10 Hz and its level within 2 dB', function () {
    const codec = new OpusCodec();
    const tone = new ToneGenerator({ frequency: 440, levelDbfs: -20 });
    const decoded: Int16Array[] = [];
    for (let i = 0; i < 50; i++) {
      const packet = codec.encode(tone.next(FRAME));
      assert.ok(packet.length > 0 && packet.length < 400, `packet of ${packet.length} bytes`);
      const pcm = codec.decode(packet);
      assert.equal(pcm.length, FRAME);
      decoded.push(pcm);
    }
    const steady = concat(decoded.slice(5)); // past the codec's start-up
    const f = dominantFrequency(steady, 48_000);
    assert.ok(Math.abs(f - 440) <= 10, `dominant ${f} Hz`);
    assert.ok(Math.abs(rmsDbfs(steady) - -23.01) < 2, `level ${rmsDbfs(steady)}`);
  });

  it('20 ms of silence encodes to a few bytes', function () {
    const codec = new OpusCodec();
    for (let i = 0; i < 5; i++) codec.encode(new Int16Array(FRAME));
    assert.ok(codec.encode(new Int16Array(FRAME)).length <= 3);
  });

  it('conceal() continues a lost tone with the codec PLC, fading over repeated losses', function () {
    const codec = new OpusCodec();
    const tone = new ToneGenerator({ frequency: 440, levelDbfs: -20 });
    for (let i = 0; i < 25; i++) codec.decode(codec.encode(tone.next(FRAME)));
    const first = codec.conceal();
    assert.equal(first.length, FRAME);
    // PLC extrapolates the tone: same pitch, near the same level (a repeat-free zero frame would fail)
    assert.ok(
      Math.abs(dominantFrequency(first, 48_000) - 440) < 15,
      `PLC pitch ${dominantFrequency(first, 48_000)}`,
    );
    assert.ok(rmsDbfs(first) > -30, `PLC level ${rmsDbfs(first)}`);
    const later: Int16Array[] = [];
    for (let i = 0; i < 10; i++) later.push(codec.conceal());
    assert.ok(later.every((f) => f.length === FRAME));
    assert.ok(rmsDbfs(later[9]) < rmsDbfs(first) - 10, 'long losses fade out');
    // the decoder is still in step: real packets decode normally afterwards
    let out: Int16Array = new Int16Array(0);
    for (let i = 0; i < 10; i++) out = codec.decode(codec.encode(tone.next(FRAME)));
    assert.equal(out.length, FRAME);
    assert.ok(Math.abs(dominantFrequency(out, 48_000) - 440) < 15);
  });

  it('conceal() before any packet is silence of the right length', function () {
    const pcm = new OpusCodec().conceal();
    assert.equal(pcm.length, FRAME);
    assert.ok(pcm.every((v) => v === 0));
  });

  it('rejects bad input with clear errors', function () {
    const codec = new OpusCodec();
    assert.throws(() => codec.encode(new Int16Array(480)), TypeError);
    assert.throws(() => codec.decode(Buffer.alloc(0)), { code: 'ERR_MEDIA_BAD_OPUS' });
    // TOC code 3 (arbitrary frame count) with a frame count of 0 is an invalid packet
    assert.throws(
      () => codec.decode(Buffer.from([0xfb, 0x00])),
      (error: unknown) => error instanceof MediaError && error.code === 'ERR_MEDIA_BAD_OPUS',
    );
    assert.throws(() => new OpusCodec({ bitrate: 100 }), TypeError);
  });

  it('honours a bitrate setting', function () {
    const low = new OpusCodec({ bitrate: 16_000 });
    const high = new OpusCodec({ bitrate: 96_000 });
    const tone = new ToneGenerator({ frequency: 440 });
    let lowBytes = 0;
    let highBytes = 0;
    for (let i = 0; i < 20; i++) {
      const pcm = tone.next(FRAME);
      lowBytes += low.encode(pcm).length;
      highBytes += high.encode(pcm).length;
    }
    assert.ok(lowBytes < highBytes, `${lowBytes} vs ${highBytes}`);
    assert.ok(lowBytes / 20 < 60, `16 kbit/s is 40 bytes per frame, got ${lowBytes / 20}`);
  });

  it('measures encode/decode cost', function () {
    const codec = new OpusCodec();
    const tone = new ToneGenerator({ frequency: 440 });
    const frames = Array.from({ length: 500 }, () => tone.next(FRAME));
    const packets: Buffer[] = [];
    let t = process.hrtime.bigint();
    for (const f of frames) packets.push(codec.encode(f));
    const encodeUs = Number(process.hrtime.bigint() - t) / 1000 / frames.length;
    t = process.hrtime.bigint();
    for (const p of packets) codec.decode(p);
    const decodeUs = Number(process.hrtime.bigint() - t) / 1000 / packets.length;
    console.log(
      `      opus: encode ${encodeUs.toFixed(0)} µs/frame, decode ${decodeUs.toFixed(0)} µs/frame`,
    );
    // a frame lasts 20 000 µs; a codec at a tenth of that would starve the mixer
    assert.ok(encodeUs < 2000 && decodeUs < 2000);
  });
});
