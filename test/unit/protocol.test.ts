import assert from 'node:assert/strict';
import { FrameType, MAX_FRAME_SIZE, MediaFlag, MediaKind } from '../../common/constants';
import { rest, state, uint32, uint64, uint8, type CodecState } from '../../common/codec';
import { DecodeError, EncodeError, ErrorCode, MeetingError } from '../../common/errors';
import { FrameDecoder, encodeFrame, framePayload, frameType } from '../../common/framing';
import { decodeMediaFrame, encodeMediaFrame, mediaKindOf, stampSender } from '../../common/media';
import {
  RequestSchemas,
  decodeControlFrame,
  encodeControl,
  parseServerMessage,
} from '../../common/protocol';

const frame = (type: number, text: string): Buffer => encodeFrame(type, Buffer.from(text), 1024);

describe('framing', () => {
  it('decodes a frame delivered whole', () => {
    const d = new FrameDecoder(1024);
    const frames = d.push(frame(FrameType.CONTROL, 'hello'));
    assert.equal(frames.length, 1);
    assert.equal(frameType(frames[0]!), FrameType.CONTROL);
    assert.equal(framePayload(frames[0]!).toString(), 'hello');
  });

  it('reassembles a frame split byte by byte', () => {
    const d = new FrameDecoder(1024);
    const bytes = frame(FrameType.CONTROL, 'split across many chunks');
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...d.push(bytes.subarray(i, i + 1)));
    assert.equal(out.length, 1);
    assert.equal(framePayload(out[0]!).toString(), 'split across many chunks');
    assert.equal(d.buffered, 0);
  });

  it('splits coalesced frames and keeps a trailing partial frame', () => {
    const d = new FrameDecoder(1024);
    const a = frame(FrameType.CONTROL, 'one');
    const b = frame(FrameType.MEDIA, 'two');
    const c = frame(FrameType.CONTROL, 'three');
    const all = Buffer.concat([a, b, c]);
    const first = d.push(all.subarray(0, a.length + b.length + 3));
    assert.deepEqual(
      first.map((f) => framePayload(f).toString()),
      ['one', 'two'],
    );
    assert.equal(d.buffered, 3);
    const second = d.push(all.subarray(a.length + b.length + 3));
    assert.deepEqual(
      second.map((f) => framePayload(f).toString()),
      ['three'],
    );
  });

  it('returns whole frames including the prefix so a relay can forward them unchanged', () => {
    const d = new FrameDecoder(1024);
    const bytes = frame(FrameType.MEDIA, 'payload');
    assert.deepEqual(d.push(bytes)[0], bytes);
  });

  it('rejects an oversized frame as soon as its prefix arrives', () => {
    const d = new FrameDecoder(100);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(101);
    assert.throws(
      () => d.push(prefix),
      (e: unknown) => e instanceof DecodeError && e.code === ErrorCode.FRAME_TOO_LARGE,
    );
    assert.throws(() => d.push(Buffer.from([1])), DecodeError, 'a failed decoder stays failed');
  });

  it('rejects an empty frame', () => {
    const d = new FrameDecoder(100);
    assert.throws(
      () => d.push(Buffer.alloc(4)),
      (e: unknown) => e instanceof DecodeError && e.code === ErrorCode.BAD_FRAME,
    );
  });

  it('enforces the limit on send', () => {
    assert.throws(
      () => encodeFrame(FrameType.CONTROL, Buffer.alloc(100), 100),
      (e: unknown) => e instanceof EncodeError && e.code === ErrorCode.FRAME_TOO_LARGE,
    );
    assert.equal(encodeFrame(FrameType.CONTROL, Buffer.alloc(99), 100).length, 104);
  });

  it('rejects garbage that announces a huge frame', () => {
    const d = new FrameDecoder(MAX_FRAME_SIZE.control);
    assert.throws(() => d.push(Buffer.from('GET / HTTP/1.1\r\n\r\n')), DecodeError);
  });
});

describe('codec', () => {
  it('round-trips integers and checks bounds', () => {
    const buf = Buffer.alloc(13);
    const s = state(buf);
    uint8.encode(s, 7);
    uint32.encode(s, 0xdeadbeef);
    uint64.encode(s, 2 ** 52 + 3);
    const r = state(buf);
    assert.equal(uint8.decode(r), 7);
    assert.equal(uint32.decode(r), 0xdeadbeef);
    assert.equal(uint64.decode(r), 2 ** 52 + 3);
    assert.throws(() => uint8.decode(r), /Out of bounds/);
    assert.throws(() => uint32.decode(state(Buffer.alloc(3))), /Out of bounds/);
  });

  it('reports a write past the end as an EncodeError, never a DecodeError', () => {
    const short = (): CodecState => state(Buffer.alloc(3));
    for (const write of [
      () => uint8.encode(state(Buffer.alloc(0)), 1),
      () => uint32.encode(short(), 1),
      () => uint64.encode(short(), 1),
      () => rest(8).encode(short(), Buffer.alloc(4)),
      () => rest(2).encode(state(Buffer.alloc(8)), Buffer.alloc(4)),
    ]) {
      assert.throws(write, (e: unknown) => e instanceof EncodeError && !(e instanceof DecodeError));
    }
  });

  it('caps the rest of a buffer', () => {
    assert.throws(() => rest(4).decode(state(Buffer.alloc(5))), DecodeError);
    assert.equal(rest(5).decode(state(Buffer.alloc(5))).length, 5);
  });
});

describe('media frames', () => {
  const header = {
    kind: MediaKind.VIDEO,
    source: 1,
    flags: MediaFlag.KEYFRAME,
    sender: 0,
    sequence: 42,
    timestamp: 1_700_000_000_123_456,
  };

  it('round-trips header and payload', () => {
    const bytes = encodeMediaFrame(header, Buffer.from('jpeg bytes'), MAX_FRAME_SIZE.video);
    const decoded = decodeMediaFrame(new FrameDecoder(MAX_FRAME_SIZE.video).push(bytes)[0]!, 1000);
    assert.deepEqual(decoded.header, header);
    assert.equal(decoded.payload.toString(), 'jpeg bytes');
    assert.equal(mediaKindOf(bytes), MediaKind.VIDEO);
  });

  it('stamps the sender in place', () => {
    const bytes = encodeMediaFrame(header, Buffer.from('x'), 1000);
    stampSender(bytes, 77);
    assert.equal(decodeMediaFrame(bytes, 1000).header.sender, 77);
  });

  it('rejects truncated frames, unknown kinds and oversized payloads', () => {
    const bytes = encodeMediaFrame(header, Buffer.from('abcdef'), 1000);
    assert.throws(() => decodeMediaFrame(bytes.subarray(0, 20), 1000), DecodeError);
    const badKind = Buffer.from(bytes);
    badKind[5] = 9;
    assert.throws(() => decodeMediaFrame(badKind, 1000), /unknown media kind/);
    assert.throws(() => decodeMediaFrame(bytes, 3), DecodeError);
    assert.throws(() => encodeMediaFrame(header, Buffer.alloc(2000), 1000), EncodeError);
    // The relay's peek sees no kind in a frame too short for a whole header.
    assert.equal(mediaKindOf(bytes.subarray(0, 24)), 0);
    assert.equal(mediaKindOf(bytes.subarray(0, 25)), MediaKind.VIDEO);
  });
});

describe('control messages', () => {
  it('round-trips JSON and rejects bad JSON with ERR_BAD_JSON', () => {
    const bytes = encodeControl({ id: 1, type: 'ping', data: {} }, 1000);
    assert.deepEqual(decodeControlFrame(bytes), { id: 1, type: 'ping', data: {} });
    assert.throws(
      () => decodeControlFrame(frame(FrameType.CONTROL, '{nope')),
      (e: unknown) => e instanceof MeetingError && e.code === ErrorCode.BAD_JSON,
    );
    assert.throws(
      () => decodeControlFrame(frame(FrameType.MEDIA, '{}')),
      (e: unknown) => e instanceof MeetingError && e.code === ErrorCode.UNEXPECTED_FRAME,
    );
  });

  it('validates request parameters', () => {
    assert.equal(RequestSchemas.chat.safeParse({ text: '' }).success, false);
    assert.equal(RequestSchemas.chat.safeParse({ text: 'hi', extra: 1 }).success, false);
    assert.equal(RequestSchemas.createMeeting.safeParse({ name: 'x'.repeat(101) }).success, false);
    assert.equal(RequestSchemas.joinMeeting.safeParse({ meetingId: '123-456-789' }).success, true);
  });

  it('validates server messages on the client', () => {
    assert.doesNotThrow(() => parseServerMessage({ id: 1, ok: true, data: {} }));
    assert.doesNotThrow(() => parseServerMessage({ event: 'chat', data: {} }));
    assert.throws(() => parseServerMessage({ id: 'x' }), DecodeError);
  });
});
