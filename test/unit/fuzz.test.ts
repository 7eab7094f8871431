/**
 * Property-based fuzzing of every decoder alone (issue "Hostile clients", point 2): the framing
 * layer under any bytes and any chunking, the media header, the binary codecs, and the control path
 * (JSON, the request envelope, each request type's schema, the bounded error description). Each
 * decoder may refuse its input only with the error it documents. MEETING_FUZZ_SEED replays a run.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ERROR_EXCERPT_MAX,
  ERROR_MESSAGE_MAX,
  FRAME_PREFIX_BYTES,
  FrameType,
  MEDIA_HEADER_BYTES,
  MediaKind,
  type MediaKindValue,
} from '../../common/constants';
import { rest, state, uint32, uint64, uint8, type Codec } from '../../common/codec';
import { DecodeError, EncodeError, ErrorCode } from '../../common/errors';
import { FrameDecoder, FramingError, encodeFrame, frameType } from '../../common/framing';
import { LINK_SPECS } from '../../common/links';
import {
  decodeMediaFrame,
  encodeMediaFrame,
  mediaKindOf,
  mediaSourceOf,
  type MediaHeader,
} from '../../common/media';
import {
  RequestEnvelope,
  RequestSchemas,
  decodeControlFrame,
  describeIssues,
  excerpt,
} from '../../common/protocol';
import {
  ODD_NUMBERS,
  ODD_STRINGS,
  REQUEST_TYPES,
  Rng,
  controlCase,
  mediaCase,
  randomJson,
  type FuzzContext,
} from '../helpers/fuzzCases';

const SEED = Number(process.env.MEETING_FUZZ_SEED ?? 20_240_601);
const params = (numRuns: number): fc.Parameters<unknown> => ({ numRuns, seed: SEED });

/** Runs `f`; an error other than DecodeError fails the property. Returns the DecodeError if any. */
function onlyDecodeError(f: () => unknown): DecodeError | null {
  try {
    f();
    return null;
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
}

const prefix = (n: number): Buffer => {
  const b = Buffer.alloc(FRAME_PREFIX_BYTES);
  b.writeUInt32BE(n >>> 0);
  return b;
};

// ---- arbitraries -----------------------------------------------------------------------------------

/** A byte stream: whole frames, stray bytes, and empty or oversized prefixes, in any order. */
function streamOf(max: number): fc.Arbitrary<Buffer> {
  const piece = fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: Math.min(max, 300) }))
        .map(([type, body]) =>
          Buffer.concat([prefix(body.length + 1), Buffer.from([type]), Buffer.from(body)]),
        ),
    },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(0, max + 1, 0xffff_ffff, 0x8000_0000).map((n) => prefix(n)),
    },
  );
  return fc.array(piece, { maxLength: 16 }).map((pieces) => Buffer.concat(pieces));
}

/** Chunk sizes, reused in turn until the stream is consumed. */
const chunking = fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 12 });

function chunks(stream: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const n = sizes[i % sizes.length] as number;
    out.push(stream.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** What the framing layer should make of `stream`: its whole frames and the first framing error. */
function reference(
  stream: Buffer,
  max: number,
): { frames: Buffer[]; error: string | null; consumed: number } {
  const frames: Buffer[] = [];
  let at = 0;
  while (stream.length - at >= FRAME_PREFIX_BYTES) {
    const n = stream.readUInt32BE(at);
    if (n === 0) return { frames, error: ErrorCode.BAD_FRAME, consumed: at };
    if (n > max) return { frames, error: ErrorCode.FRAME_TOO_LARGE, consumed: at };
    if (stream.length - at < FRAME_PREFIX_BYTES + n) break;
    frames.push(stream.subarray(at, at + FRAME_PREFIX_BYTES + n));
    at += FRAME_PREFIX_BYTES + n;
  }
  return { frames, error: null, consumed: at };
}

/** Pushes `pieces` in turn; the frames delivered, and the error that stopped it (if any). */
function decodeAll(
  max: number,
  pieces: Buffer[],
): { frames: Buffer[]; error: DecodeError | null; d: FrameDecoder } {
  const d = new FrameDecoder(max);
  const frames: Buffer[] = [];
  for (const piece of pieces) {
    const error = onlyDecodeError(() => frames.push(...d.push(piece)));
    // A framing error carries the whole frames decoded before it in the same chunk.
    if (error)
      return {
        frames: [...frames, ...(error instanceof FramingError ? error.frames : [])],
        error,
        d,
      };
  }
  return { frames, error: null, d };
}

/** Single units that break naive string handling: lone surrogates, bidi controls, NUL, a BOM. */
const oddUnit = fc.constantFrom(
  '\ud800',
  '\udfff',
  '\u202e',
  '\u200f',
  '\u0000',
  '\u001b',
  '\ufeff',
  '\u0301',
  '\u2028',
  '\uffff',
  '\u0085',
  'a',
);
const oddString = fc.oneof(
  fc.constantFrom(...ODD_STRINGS),
  fc.string({ unit: oddUnit, maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({
    unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
    maxLength: 80,
  }),
);
/** One string of 1,000 to 60,000 units. */
const hugeString = fc
  .tuple(
    fc.integer({ min: 1000, max: 60_000 }),
    fc.constantFrom('k', '\u0000', '\ud800', '\u202e', '\ud83d\ude00', '"'),
  )
  .map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));
const oddNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(
    1e308,
    -1e308,
    -0,
    NaN,
    Infinity,
    -Infinity,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    Number.MIN_VALUE,
    2 ** 32,
    -1,
    0.5,
  ),
  fc.constantFrom(...ODD_NUMBERS),
);
/** 1,000 to 20,000 levels of nested arrays or objects. */
const deepValue = fc
  .tuple(fc.integer({ min: 1000, max: 20_000 }), fc.boolean())
  .map(([levels, arrays]) => {
    let v: unknown = null;
    for (let i = 0; i < levels; i++) v = arrays ? [v] : { a: v };
    return v;
  });
const hugeKeys = fc
  .tuple(hugeString, fc.array(oddString, { maxLength: 5 }), fc.array(hugeString, { maxLength: 3 }))
  .map(([key, odd, more]) => Object.fromEntries([key, ...odd, ...more].map((k, i) => [k, i])));
const manyKeys = fc
  .integer({ min: 100, max: 5000 })
  .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));
const leaf = fc.oneof(
  oddString,
  oddNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...ODD_STRINGS),
);
/** A hostile value for a request's parameters or the envelope itself. */
const hostile = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: oddUnit }) },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 3 }) },
  { weight: 2, arbitrary: leaf },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: hugeKeys },
  { weight: 1, arbitrary: manyKeys },
  { weight: 1, arbitrary: hugeString },
);

/** Parameters shaped like `type`'s: each field absent, hostile or huge, plus hostile extra keys. */
function paramsOf(type: keyof typeof RequestSchemas): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.keys(RequestSchemas[type].shape);
  const value = fc.oneof(leaf, hostile, hugeString);
  return fc
    .tuple(
      fc.record(Object.fromEntries(fields.map((f) => [f, value])), { requiredKeys: [] }),
      fc.dictionary(fc.oneof(oddString, hugeString), value, { maxKeys: 5 }),
    )
    .map(([known, extra]) => ({ ...extra, ...known }));
}

/** The one-line error description must be bounded and free of control characters. */
function checkDescription(text: string): void {
  assert.ok(text.length <= ERROR_MESSAGE_MAX, `${text.length} characters: ${text.slice(0, 80)}`);
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f]/);
}

// ---- properties ------------------------------------------------------------------------------------

describe('fuzzing the decoders', function () {
  this.timeout(30_000);

  describe('FrameDecoder', () => {
    it('any bytes in any chunks: only DecodeError, and no frame over the limit', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 400 }),
          fc.uint8Array({ maxLength: 600 }),
          chunking,
          (max, bytes, sizes) => {
            const { frames, error, d } = decodeAll(max, chunks(Buffer.from(bytes), sizes));
            for (const f of frames) {
              assert.ok(f.length > FRAME_PREFIX_BYTES && f.length <= FRAME_PREFIX_BYTES + max);
              assert.equal(f.readUInt32BE(0), f.length - FRAME_PREFIX_BYTES);
            }
            if (error)
              assert.ok(
                onlyDecodeError(() => d.push(Buffer.from([0]))),
                'a failed decoder stays failed',
              );
            else assert.ok(d.buffered < FRAME_PREFIX_BYTES + max);
          },
        ),
        params(1500),
      );
    });

    it('split and coalesced chunks give the same frames as the reference', () => {
      const cases = fc
        .integer({ min: 1, max: 400 })
        .chain((max) => fc.tuple(fc.constant(max), streamOf(max), chunking));
      fc.assert(
        fc.property(cases, ([max, stream, sizes]) => {
          const want = reference(stream, max);
          const split = decodeAll(max, chunks(stream, sizes));
          const whole = decodeAll(max, [stream]);
          const bytewise = decodeAll(max, chunks(stream, [1]));
          for (const got of [split, whole, bytewise]) {
            if (want.error === null) {
              assert.equal(got.error, null);
              assert.deepEqual(got.frames, want.frames);
              assert.equal(got.d.buffered, stream.length - want.consumed);
            } else {
              assert.equal(got.error?.code, want.error);
              // Frames read in the same push as the error are dropped with it (see below).
              assert.deepEqual(got.frames, want.frames.slice(0, got.frames.length));
            }
          }
          // Byte by byte, every frame before the error has been delivered.
          assert.deepEqual(bytewise.frames, want.frames);
        }),
        params(1500),
      );
    });

    // Found by this fuzzer: a chunk holding whole frames and then an empty or oversized prefix
    // used to throw without those frames, so what the server handled before a framing error
    // depended on how TCP cut the stream. FramingError now carries them.
    it('frames before a framing error are delivered however the stream is cut', () => {
      const stream = Buffer.concat([
        encodeFrame(FrameType.CONTROL, Buffer.from('{}'), 100),
        prefix(0),
      ]);
      const split = decodeAll(100, [stream.subarray(0, 7), stream.subarray(7)]);
      const whole = decodeAll(100, [stream]);
      assert.equal(split.frames.length, 1);
      assert.deepEqual(whole.frames, split.frames);
    });

    it('refuses an oversized frame from its prefix alone, however large the limit', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2 ** 31 }),
          fc.integer({ min: 1, max: 2 ** 31 }),
          (max, extra) => {
            const size = Math.min(0xffff_ffff, max + extra);
            const error = onlyDecodeError(() => new FrameDecoder(max).push(prefix(size)));
            assert.equal(error?.code, ErrorCode.FRAME_TOO_LARGE);
          },
        ),
        params(500),
      );
    });
  });

  describe('media frames', () => {
    const KINDS = new Set<number>(Object.values(MediaKind));
    const header: fc.Arbitrary<MediaHeader> = fc.record({
      kind: fc.constantFrom(...(Object.values(MediaKind) as MediaKindValue[])),
      source: fc.integer({ min: 0, max: 255 }),
      flags: fc.integer({ min: 0, max: 255 }),
      sender: fc.integer({ min: 0, max: 0xffff_ffff }),
      sequence: fc.integer({ min: 0, max: 0xffff_ffff }),
      timestamp: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    });

    it('decodeMediaFrame on any bytes: a bounded frame or DecodeError', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 200 }),
          fc.integer({ min: 0, max: 300 }),
          fc.boolean(),
          (bytes, maxPayload, typed) => {
            const frame = Buffer.from(bytes);
            if (typed && frame.length > FRAME_PREFIX_BYTES)
              frame[FRAME_PREFIX_BYTES] = FrameType.MEDIA;
            const kind = mediaKindOf(frame);
            const source = mediaSourceOf(frame);
            if (frame.length < FRAME_PREFIX_BYTES + 1 + MEDIA_HEADER_BYTES)
              assert.deepEqual([kind, source], [0, 0]);
            let decoded: ReturnType<typeof decodeMediaFrame> | undefined;
            onlyDecodeError(() => (decoded = decodeMediaFrame(frame, maxPayload)));
            if (!decoded) return;
            assert.ok(KINDS.has(decoded.header.kind));
            assert.equal(decoded.header.kind, kind);
            assert.equal(decoded.header.source, source);
            assert.ok(decoded.payload.length <= maxPayload);
            assert.ok(
              Number.isSafeInteger(decoded.header.timestamp) && decoded.header.timestamp >= 0,
            );
          },
        ),
        params(3000),
      );
    });

    it('encode then decode gives the header and payload back', () => {
      fc.assert(
        fc.property(header, fc.uint8Array({ maxLength: 500 }), (h, payload) => {
          const frame = encodeMediaFrame(h, payload, LINK_SPECS.video.maxFrameSize);
          assert.equal(frameType(frame), FrameType.MEDIA);
          const [decoded] = new FrameDecoder(LINK_SPECS.video.maxFrameSize).push(frame);
          const out = decodeMediaFrame(decoded as Buffer, 500);
          assert.deepEqual(out.header, { ...h });
          assert.deepEqual(out.payload, Buffer.from(payload));
        }),
        params(1000),
      );
    });

    it('a valid frame with mutated bytes: only DecodeError, never a wrong kind', () => {
      fc.assert(
        fc.property(
          header,
          fc.uint8Array({ maxLength: 64 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 6,
          }),
          fc.nat(),
          (h, payload, flips, cut) => {
            const frame = encodeMediaFrame(h, payload, LINK_SPECS.audio.maxFrameSize);
            for (const [at, byte] of flips) frame[at % frame.length] = byte;
            const mutated = frame.subarray(0, frame.length - (cut % (frame.length + 1)));
            let decoded: ReturnType<typeof decodeMediaFrame> | undefined;
            onlyDecodeError(() => (decoded = decodeMediaFrame(mutated, 64)));
            if (decoded) assert.ok(KINDS.has(decoded.header.kind));
          },
        ),
        params(3000),
      );
    });

    it('an oversized payload is refused on encode with ERR_FRAME_TOO_LARGE', () => {
      fc.assert(
        fc.property(header, fc.integer({ min: 0, max: 100 }), (h, over) => {
          const max = LINK_SPECS.audio.maxFrameSize;
          const payload = Buffer.alloc(max - MEDIA_HEADER_BYTES + over);
          assert.throws(
            () => encodeMediaFrame(h, payload, max),
            (e: unknown) => e instanceof EncodeError && e.code === ErrorCode.FRAME_TOO_LARGE,
          );
        }),
        params(100),
      );
    });

    it('the fuzzers media cases decode or fail with DecodeError', () => {
      fc.assert(
        fc.property(
          fc.integer(),
          fc.constantFrom('audio', 'video') as fc.Arbitrary<'audio' | 'video'>,
          (seed, link) => {
            const c = mediaCase(new Rng(seed), link);
            const frames: Buffer[] = [];
            const error = onlyDecodeError(() =>
              frames.push(...new FrameDecoder(LINK_SPECS[link].maxFrameSize).push(c.bytes)),
            );
            assert.equal(error, null, c.gen);
            for (const f of frames)
              onlyDecodeError(() => decodeMediaFrame(f, LINK_SPECS[link].maxFrameSize));
          },
        ),
        params(500),
      );
    });
  });

  describe('codecs', () => {
    const codecs: Array<[string, Codec<number> | Codec<Buffer>, number | null]> = [
      ['uint8', uint8, 1],
      ['uint32', uint32, 4],
      ['uint64', uint64, 8],
      ['rest(16)', rest(16), null],
    ];
    for (const [name, codec, width] of codecs) {
      it(`${name} decodes any state or throws DecodeError, never reading past its end`, () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), fc.nat(), (bytes, a, b) => {
            const buffer = Buffer.from(bytes);
            const end = buffer.length ? b % (buffer.length + 1) : 0;
            const start = end ? a % (end + 1) : 0;
            const s = state(buffer, start, end);
            const error = onlyDecodeError(() => codec.decode(s));
            if (error) {
              assert.equal(s.start, start, 'a refused read does not move');
              return;
            }
            assert.ok(s.start <= end);
            assert.equal(s.start, width === null ? end : start + width);
          }),
          params(1000),
        );
      });
    }

    it('round trips: uint8, uint32, uint64 up to 2^53, and rest up to its cap', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 255 }),
          fc.integer({ min: 0, max: 0xffff_ffff }),
          fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          fc.uint8Array({ maxLength: 32 }),
          (a, b, c, d) => {
            const buffer = Buffer.alloc(13 + d.length);
            const w = state(buffer);
            uint8.encode(w, a);
            uint32.encode(w, b);
            uint64.encode(w, c);
            rest(32).encode(w, Buffer.from(d));
            assert.equal(w.start, buffer.length);
            const r = state(buffer);
            assert.deepEqual(
              [uint8.decode(r), uint32.decode(r), uint64.decode(r), rest(32).decode(r)],
              [a, b, c, Buffer.from(d)],
            );
          },
        ),
        params(1000),
      );
    });

    it('uint64 refuses values past 2^53 and rest refuses more than its cap', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0x20_0000, max: 0xffff_ffff }),
          fc.integer({ min: 17, max: 64 }),
          (hi, n) => {
            const b = Buffer.alloc(8);
            b.writeUInt32BE(hi, 0);
            assert.ok(onlyDecodeError(() => uint64.decode(state(b))));
            assert.ok(onlyDecodeError(() => rest(16).decode(state(Buffer.alloc(n)))));
          },
        ),
        params(300),
      );
    });
  });

  describe('control frames and request schemas', () => {
    it('decodeControlFrame on any body: a value, or DecodeError with ERR_BAD_JSON or ERR_UNEXPECTED_FRAME', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 255 }),
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
            fc.string({ unit: 'binary' }).map((s) => Buffer.from(s)),
            fc.integer().map((seed) => randomJson(new Rng(seed), 5, 4096)),
          ),
          (type, payload) => {
            const frame = encodeFrame(type, payload, Number.MAX_SAFE_INTEGER);
            const error = onlyDecodeError(() => decodeControlFrame(frame));
            if (error)
              assert.ok(
                error.code === ErrorCode.BAD_JSON || error.code === ErrorCode.UNEXPECTED_FRAME,
                error.code,
              );
            else assert.equal(type, FrameType.CONTROL);
          },
        ),
        params(2000),
      );
    });

    it('the envelope never throws and describes any failure in at most 300 characters', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            hostile,
            fc.record(
              {
                id: fc.oneof(oddNumber, leaf),
                type: fc.oneof(oddString, hugeString, leaf),
                data: hostile,
              },
              { requiredKeys: [] },
            ),
            fc
              .tuple(hugeKeys, fc.record({ id: oddNumber, type: oddString }))
              .map(([a, b]) => ({ ...a, ...b })),
          ),
          (value) => {
            const parsed = RequestEnvelope.safeParse(value);
            if (!parsed.success) checkDescription(describeIssues(parsed.error));
            else assert.ok(Number.isSafeInteger(parsed.data.id) && parsed.data.type.length <= 64);
          },
        ),
        params(1500),
      );
    });

    for (const type of REQUEST_TYPES) {
      it(`${type}: hostile parameters never throw and fail in at most 300 characters`, () => {
        fc.assert(
          fc.property(
            fc.oneof({ weight: 3, arbitrary: paramsOf(type) }, { weight: 1, arbitrary: hostile }),
            (value) => {
              const parsed = RequestSchemas[type].safeParse(value);
              if (parsed.success) {
                const keys = Object.keys(RequestSchemas[type].shape);
                assert.ok(Object.keys(parsed.data).every((k) => keys.includes(k)));
                JSON.stringify(parsed.data);
              } else checkDescription(describeIssues(parsed.error));
            },
          ),
          params(250),
        );
      });
    }

    it('the server decoding path over the fuzzer control cases: only the documented errors', () => {
      const ctx: FuzzContext = {
        meetingIds: ['k3tq-8zrm-c1x5'],
        usernames: ['alice'],
        tokens: ['x'],
      };
      const options = { types: REQUEST_TYPES, terminalTypes: [] };
      fc.assert(
        fc.property(fc.integer(), (seed) => {
          const c = controlCase(new Rng(seed), ctx, 1, options);
          const frames = new FrameDecoder(Number.MAX_SAFE_INTEGER).push(c.bytes);
          assert.equal(frames.length, 1, c.gen);
          let message: unknown;
          if (onlyDecodeError(() => (message = decodeControlFrame(frames[0] as Buffer)))) return;
          const envelope = RequestEnvelope.safeParse(message);
          if (!envelope.success) return checkDescription(describeIssues(envelope.error));
          const { type, data } = envelope.data;
          if (!Object.hasOwn(RequestSchemas, type)) return;
          const parsed = RequestSchemas[type as keyof typeof RequestSchemas].safeParse(data ?? {});
          if (!parsed.success) checkDescription(describeIssues(parsed.error));
        }),
        params(1500),
      );
    });

    it('excerpt stays within its bound and drops control characters', () => {
      fc.assert(
        fc.property(
          fc.oneof(oddString, hugeString),
          fc.integer({ min: 1, max: 300 }),
          (text, max) => {
            const e = excerpt(text, max);
            assert.ok(e.length <= max, `${e.length} > ${max}`);
            // eslint-disable-next-line no-control-regex
            assert.doesNotMatch(e, /[\u0000-\u001f\u007f-\u009f]/);
            assert.ok(excerpt(text).length <= ERROR_EXCERPT_MAX);
          },
        ),
        params(1000),
      );
    });
  });
});
