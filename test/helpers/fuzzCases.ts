/**
 * Seeded generators of hostile input for the server's links, shared by the fuzz tests and
 * bench/fuzz.ts: random bytes, valid frames with mutated fields, huge keys, deep nesting, odd
 * Unicode, out-of-range numbers and every request type with random parameters. Each case is the
 * exact bytes to write, so a finding can be replayed from its hex.
 *
 * A case is "in step" when the server's framing stays aligned after it and the link stays open (a
 * whole frame that gets an error reply, or a media frame the relay drops); a "terminal" case may
 * close the link or leave the framing mid-frame, so a batch holds at most one, last.
 */
import {
  FACE_EFFECTS,
  FRAME_PREFIX_BYTES,
  FrameType,
  MEDIA_HEADER_BYTES,
  MediaKind,
  MediaSource,
} from '../../common/constants';
import { encodeFrame } from '../../common/framing';
import { LINK_SPECS, MEDIA_LINK_KINDS, type MediaLinkKind } from '../../common/links';
import { encodeMediaFrame } from '../../common/media';
import { RequestSchemas, type RequestType } from '../../common/protocol';

/** The four kinds of link under test: control before and after login, and the media links. */
export const FUZZ_LINKS = ['anon', 'session', 'audio', 'video'] as const;
export type FuzzLink = (typeof FUZZ_LINKS)[number];

/** The request types of the protocol, from the schema table (a new type is fuzzed unasked). */
export const REQUEST_TYPES = Object.keys(RequestSchemas) as RequestType[];

export interface FuzzCase {
  /** Name of the generator (for statistics and reports). */
  gen: string;
  /** Exact bytes written to the link. */
  bytes: Buffer;
  /** The request id it carries when the generator chose a plain one (to match its reply). */
  id: number | null;
  /** May close the link or leave its framing mid-frame. */
  terminal: boolean;
}

/** What the generators may use of the server's state: real ids make some requests succeed. */
export interface FuzzContext {
  meetingIds: string[];
  usernames: string[];
  tokens: string[];
}

// ---- randomness ----------------------------------------------------------------------------------

/** A small seeded generator (mulberry32): the same seed gives the same cases. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** 32 random bits. */
  u32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** A length up to `max`, mostly small: a quarter each up to 16, 256, 4,096 and `max`. */
  size(max: number): number {
    const caps = [16, 256, 4096, max];
    return this.int(Math.min(max, caps[this.int(4)] as number) + 1);
  }

  /** `n` random bytes (a copy from a seeded pool, so large payloads stay cheap). */
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let at = 0; at < n;) {
      const from = this.int(POOL_BYTES);
      const take = Math.min(n - at, POOL_BYTES - from);
      POOL.copy(out, at, from, from + take);
      at += take;
    }
    if (n > 0) out[this.int(n)] = this.int(256); // no two copies quite alike
    return out;
  }
}

const POOL_BYTES = 1 << 20;
const POOL = ((): Buffer => {
  const rng = new Rng(0x5eed);
  const b = Buffer.allocUnsafe(POOL_BYTES);
  for (let i = 0; i < POOL_BYTES; i += 4) b.writeUInt32LE(rng.u32(), i);
  return b;
})();

// ---- hostile values ------------------------------------------------------------------------------

/**
 * Strings that break naive code: lone surrogates, bidi overrides, NUL and other controls, a BOM,
 * combining marks, emoji sequences, line separators, prototype names, strings that look like other
 * types, and format-string and markup fragments.
 */
export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\udc00\ud800',
  '\u202eevil\u202c',
  '\u200f\u200e\u2066\u2069',
  '\ufeff',
  '\u200b\u200d',
  'e\u0301\u0301\u0301\u0301',
  'Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357',
  '\ud83d\ude00',
  '\ud83d\udc69\u200d\ud83d\udc69\u200d\ud83d\udc67',
  '\uffff\ufffe',
  '\ufffd',
  '\u2028\u2029',
  '\u0085\u009f',
  '\u001b[31mred',
  '\r\n\t\b\f\v',
  '\\',
  '"',
  "'",
  '`${x}`',
  '%s%n%x',
  '</script><script>',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'NaN',
  'Infinity',
  '-Infinity',
  'null',
  'undefined',
  'true',
  '0',
  '-0',
  '1e308',
  '0x10',
  ' 1',
  'İı',
  'ß',
  '\ufdfa',
  'Ǆǅǆ',
  '\u0130\u0131\u017f',
  'ａｄｍｉｎ',
  '..',
  '../../etc/passwd',
  'a'.repeat(65),
];

/** Number tokens as JSON text, several of them not JSON at all. */
export const ODD_NUMBERS: readonly string[] = [
  '0',
  '-0',
  '1',
  '-1',
  '0.5',
  '1.5',
  '-1.5',
  '1e308',
  '-1e308',
  '1.7976931348623157e308',
  '1e309',
  '-1e309',
  '1e-400',
  '5e-324',
  '2.2250738585072011e-308',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '-9007199254740993',
  '4294967295',
  '4294967296',
  '18446744073709551616',
  '1E+2',
  '1e+00000000000000000001',
  '0.0000000000000000000000000001',
  '123456789012345678901234567890',
  '1' + '0'.repeat(400),
  '0.' + '9'.repeat(400),
  // Not JSON: must be refused as bad JSON.
  '00',
  '01',
  '.5',
  '1.',
  '+1',
  '-',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1e',
  '1_000',
];

/** Raw byte sequences that are not UTF-8: a lone continuation, an overlong NUL, a CESU surrogate. */
const BAD_UTF8: readonly Buffer[] = [
  Buffer.from([0xff]),
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0x80]),
  Buffer.from([0xc3]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0xe2, 0x82]),
];

/** Opening bytes of other protocols a misdirected client might send. */
const GREETINGS: readonly Buffer[] = [
  Buffer.from('GET / HTTP/1.1\r\nHost: meeting\r\n\r\n'),
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  Buffer.from('SSH-2.0-OpenSSH_9.2\r\n'),
  Buffer.from('16030100a5010000a10303', 'hex'),
  Buffer.from('\u0000\u0000\u0000\u0001\u0001'),
  Buffer.from('{"id":1,"type":"ping","data":{}}\n'),
];

// ---- JSON text -----------------------------------------------------------------------------------

type Part = string | Buffer;

/** JSON text built from parts, so raw bytes that no JS string holds can be part of it. */
class Text {
  readonly parts: Part[] = [];
  length = 0;

  add(part: Part): this {
    this.parts.push(part);
    this.length += typeof part === 'string' ? part.length : part.length;
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  }
}

/** A string of random UTF-16 code units: lone surrogates and controls included. */
function randomUnits(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const range = rng.int(4);
    s += String.fromCharCode(
      range === 0 ? rng.int(0x80) : range === 1 ? 0xd800 + rng.int(0x800) : rng.int(0x10000),
    );
  }
  return s;
}

/** A random ASCII string of letters and digits. */
function word(rng: Rng, n: number): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789_';
  let s = '';
  for (let i = 0; i < n; i++) s += chars[rng.int(chars.length)];
  return s;
}

/** A hostile string as a JSON token: odd, random code units, raw bad UTF-8, or raw controls. */
function oddStringToken(rng: Rng): Part {
  switch (rng.int(6)) {
    case 0:
    case 1:
      return JSON.stringify(rng.pick(ODD_STRINGS));
    case 2:
      return JSON.stringify(randomUnits(rng, rng.size(64)));
    case 3:
      // Escapes written by hand: \u escapes of surrogates, NUL and bidi controls.
      return `"${Array.from({ length: rng.between(1, 6) }, () =>
        rng.pick(['\\ud800', '\\udc00', '\\u0000', '\\u202e', '\\ufeff', '\\/', '\\\\', 'x']),
      ).join('')}"`;
    case 4:
      return Buffer.concat([Buffer.from('"a'), rng.pick(BAD_UTF8), Buffer.from('b"')]);
    default:
      // A raw control character inside a string is not JSON.
      return `"a${String.fromCharCode(rng.int(0x20))}b"`;
  }
}

function numberToken(rng: Rng): string {
  switch (rng.int(3)) {
    case 0:
      return rng.pick(ODD_NUMBERS);
    case 1:
      return String(rng.u32() - 0x8000_0000);
    default:
      return String((rng.u32() / 0x1_0000) * (rng.chance(0.5) ? -1 : 1) * 10 ** rng.int(20));
  }
}

/** Writes a random JSON value (within `budget` characters, roughly) of at most `depth` levels. */
function writeValue(rng: Rng, t: Text, depth: number, budget: number): void {
  const pick = rng.int(depth > 0 ? 7 : 4);
  if (pick === 0) t.add(numberToken(rng));
  else if (pick === 1) t.add(oddStringToken(rng));
  else if (pick === 2) t.add(rng.pick(['true', 'false', 'null']));
  else if (pick === 3) t.add(JSON.stringify(word(rng, rng.size(20))));
  else if (pick === 4) {
    t.add('[');
    const n = rng.size(8);
    for (let i = 0; i < n && t.length < budget; i++) {
      if (i) t.add(',');
      writeValue(rng, t, depth - 1, budget);
    }
    t.add(']');
  } else {
    t.add('{');
    const n = rng.size(8);
    for (let i = 0; i < n && t.length < budget; i++) {
      if (i) t.add(',');
      t.add(rng.chance(0.5) ? JSON.stringify(word(rng, rng.size(12))) : oddStringToken(rng));
      t.add(':');
      writeValue(rng, t, depth - 1, budget);
    }
    t.add('}');
  }
}

/** A random JSON value as text. */
export function randomJson(rng: Rng, depth = 4, budget = 4096): Buffer {
  const t = new Text();
  writeValue(rng, t, depth, budget);
  return t.toBuffer();
}

/** `n` levels of nested arrays or objects, with `inner` at the bottom. */
function deep(rng: Rng, n: number, inner = 'null'): string {
  switch (rng.int(3)) {
    case 0:
      return '['.repeat(n) + inner + ']'.repeat(n);
    case 1:
      return '{"a":'.repeat(n) + inner + '}'.repeat(n);
    default:
      return '[{"":'.repeat(n) + inner + '}]'.repeat(n);
  }
}

/** A key of `n` units: ASCII, raw 0xFF bytes (three bytes each once decoded), or odd Unicode. */
function hugeKey(rng: Rng, n: number): Part {
  switch (rng.int(3)) {
    case 0:
      return JSON.stringify('k'.repeat(n));
    case 1:
      return Buffer.concat([Buffer.from('"'), Buffer.alloc(n, 0xff), Buffer.from('"')]);
    default:
      return JSON.stringify(
        rng
          .pick(ODD_STRINGS.filter((s) => s))
          .repeat(n)
          .slice(0, n),
      );
  }
}

// ---- request parameters --------------------------------------------------------------------------

/** A value for parameter `field` that the schema accepts (most of the time: random data). */
function validParam(rng: Rng, ctx: FuzzContext, field: string): unknown {
  switch (field) {
    case 'username':
    case 'to':
      return ctx.usernames.length && rng.chance(0.5)
        ? rng.pick(ctx.usernames)
        : `fz_${word(rng, rng.between(3, 20))}`;
    case 'password':
      return rng.chance(0.8) ? 'password1' : word(rng, rng.size(128));
    case 'name':
      return `Fuzz ${word(rng, rng.size(40))}`;
    case 'meetingId':
      return ctx.meetingIds.length && rng.chance(0.6)
        ? rng.pick(ctx.meetingIds)
        : `${word(rng, 4)}-${word(rng, 4)}-${word(rng, 4)}`;
    case 'text':
      return rng.chance(0.9) ? `fuzz ${word(rng, rng.size(50))}` : 'x'.repeat(4000);
    case 'before':
      return rng.between(1, 1000);
    case 'clientTime':
      return rng.u32() * 1000;
    case 'effect':
      return rng.pick(FACE_EFFECTS);
    case 'token':
      return ctx.tokens.length && rng.chance(0.5) ? rng.pick(ctx.tokens) : word(rng, 32);
    case 'link':
      return rng.pick(MEDIA_LINK_KINDS);
    default:
      return rng.chance(0.5);
  }
}

/** A value for parameter `field` at or just past its schema's bounds, or of the wrong type. */
function badParam(rng: Rng, field: string): Part {
  const lengths: Record<string, number> = {
    username: 64,
    to: 64,
    password: 128,
    name: 100,
    meetingId: 32,
    text: 4000,
    token: 128,
  };
  const max = lengths[field];
  switch (rng.int(5)) {
    case 0:
      if (max !== undefined) return JSON.stringify('m'.repeat(max + rng.between(0, 1)));
      return numberToken(rng);
    case 1:
      return numberToken(rng);
    case 2:
      return oddStringToken(rng);
    case 3:
      return rng.pick(['null', 'true', '[]', '{}', '""', '" "', '"   "', '[""]', '{"":""}']);
    default:
      return randomJson(rng, 2, 256);
  }
}

/** The parameter names of a request type (from its schema). */
function fieldsOf(type: RequestType): string[] {
  return Object.keys(RequestSchemas[type].shape);
}

/** Writes a `data` object for `type`: valid, bounded or wrong values, missing and extra keys. */
function writeParams(rng: Rng, t: Text, ctx: FuzzContext, type: RequestType, bad: number): void {
  const entries: Array<[Part, Part]> = [];
  for (const field of fieldsOf(type)) {
    if (rng.chance(0.1)) continue;
    const value = rng.chance(bad)
      ? badParam(rng, field)
      : JSON.stringify(validParam(rng, ctx, field));
    entries.push([JSON.stringify(field), value]);
  }
  const extra = rng.chance(bad / 2) ? rng.between(1, 4) : 0;
  for (let i = 0; i < extra; i++) {
    const key = rng.chance(0.5) ? oddStringToken(rng) : JSON.stringify(word(rng, rng.size(200)));
    entries.push([key, randomJson(rng, 2, 256)]);
  }
  if (rng.chance(bad / 4) && entries.length) entries.push(rng.pick(entries)); // a duplicate key
  t.add('{');
  entries.forEach(([k, v], i) => {
    if (i) t.add(',');
    t.add(k).add(':').add(v);
  });
  t.add('}');
}

// ---- control frames ------------------------------------------------------------------------------

export interface RequestShape {
  id: number;
  type: RequestType;
  /** Probability of each parameter being out of bounds or of the wrong type. */
  bad: number;
}

/** The JSON text of one request: `{ id, type, data }`, keys sometimes reordered. */
function requestText(rng: Rng, ctx: FuzzContext, shape: RequestShape): Text {
  const t = new Text();
  const data = new Text();
  writeParams(rng, data, ctx, shape.type, shape.bad);
  const entries: Array<[string, Part[]]> = [
    ['"id"', [String(shape.id)]],
    ['"type"', [JSON.stringify(shape.type)]],
    ['"data"', data.parts],
  ];
  if (rng.chance(0.2)) entries.reverse();
  t.add('{');
  entries.forEach(([k, parts], i) => {
    if (i) t.add(',');
    t.add(k).add(':');
    for (const p of parts) t.add(p);
  });
  t.add('}');
  return t;
}

/** A whole CONTROL frame around `payload`. */
function control(payload: Buffer): Buffer {
  return encodeFrame(FrameType.CONTROL, payload, Number.MAX_SAFE_INTEGER);
}

/** A valid-looking request of `type` as a whole frame. */
export function requestFrame(rng: Rng, ctx: FuzzContext, shape: RequestShape): Buffer {
  return control(requestText(rng, ctx, shape).toBuffer());
}

/** Flips, replaces, inserts or deletes a few bytes of `body` (a copy). */
function mutate(rng: Rng, body: Buffer): Buffer {
  let b = Buffer.from(body);
  const n = rng.between(1, 4);
  for (let i = 0; i < n && b.length > 0; i++) {
    const at = rng.int(b.length);
    switch (rng.int(5)) {
      case 0:
        b[at] = (b[at] as number) ^ (1 << rng.int(8));
        break;
      case 1:
        b[at] = rng.pick([0x00, 0xff, 0x80, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x30]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from([rng.int(256)]), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        break;
      default:
        b = b.subarray(0, at);
    }
  }
  return b;
}

/** A frame whose body is `body` verbatim, type byte included (empty bodies are not framed). */
function rawFrame(body: Buffer): Buffer {
  const prefix = Buffer.allocUnsafe(FRAME_PREFIX_BYTES);
  prefix.writeUInt32BE(body.length);
  return Buffer.concat([prefix, body]);
}

/** The envelope made wrong: missing, extra, wrongly typed or odd fields, or no object at all. */
function badEnvelope(
  rng: Rng,
  ctx: FuzzContext,
  id: number,
  types: readonly RequestType[],
): { text: Buffer; id: number | null } {
  const type = JSON.stringify(rng.pick(types));
  const data = (): Buffer => {
    const t = new Text();
    writeParams(rng, t, ctx, rng.pick(types), 0.3);
    return t.toBuffer();
  };
  switch (rng.int(12)) {
    case 0:
      return { text: Buffer.from(`{"type":${type},"data":{}}`), id: null };
    case 1:
      return { text: Buffer.from(`{"id":${id},"data":{}}`), id: null };
    case 2:
      return { text: Buffer.from(`{"id":${numberToken(rng)},"type":${type},"data":{}}`), id: null };
    case 3:
      return {
        text: Buffer.concat([
          Buffer.from(`{"id":${id},"type":`),
          toBuf(oddStringToken(rng)),
          Buffer.from(',"data":{}}'),
        ]),
        id,
      };
    case 4:
      return {
        text: Buffer.from(
          `{"id":${id},"type":${JSON.stringify(rng.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x'.repeat(64), 'y'.repeat(65), 'PING', 'ping ', '']))},"data":{}}`,
        ),
        id,
      };
    case 5:
      return {
        text: Buffer.concat([
          Buffer.from(`{"id":${id},"type":${type},"data":`),
          randomJson(rng, 3, 512),
          Buffer.from('}'),
        ]),
        id,
      };
    case 6:
      return {
        text: Buffer.concat([
          Buffer.from(`{"id":${id},"type":${type},"data":`),
          data(),
          Buffer.from(','),
          toBuf(oddStringToken(rng)),
          Buffer.from(':1}'),
        ]),
        id: null,
      };
    case 7:
      return { text: randomJson(rng, 3, 1024), id: null };
    case 8:
      return {
        text: Buffer.from(
          rng.pick(['null', '[]', '{}', '""', '0', 'true', '"ping"', '[1,"ping",{}]']),
        ),
        id: null,
      };
    case 9:
      // A second request glued on, a duplicate id key, or a trailing comma.
      return {
        text: Buffer.from(
          rng.pick([
            `{"id":${id},"type":"ping","data":{}}{"id":${id},"type":"ping"}`,
            `{"id":${id},"id":"x","type":"ping","data":{}}`,
            `{"id":${id},"type":"ping","data":{},}`,
            `{"id":${id},"type":"ping","data":{}} `,
            ` \t\r\n{"id":${id},"type":"ping"}\n`,
          ]),
        ),
        id: null,
      };
    case 10:
      return {
        text: Buffer.from(
          `{"id":${id},"type":${type},"data":{"__proto__":{"admin":true},"constructor":{"prototype":{}}}}`,
        ),
        id,
      };
    default:
      return { text: Buffer.from(`{"id":${id},"type":${type},"data":${numberToken(rng)}}`), id };
  }
}

function toBuf(part: Part): Buffer {
  return typeof part === 'string' ? Buffer.from(part) : part;
}

/** The largest payload of a control frame (its body also holds the type byte). */
const CONTROL_PAYLOAD_MAX = LINK_SPECS.control.maxFrameSize - 1;

/** A request carrying one oversized structure, kept within the control link's frame limit. */
function bigRequest(
  rng: Rng,
  ctx: FuzzContext,
  id: number,
  types: readonly RequestType[],
): { gen: string; text: Buffer } {
  const type = rng.pick(types);
  const head = `{"id":${id},"type":${JSON.stringify(type)},"data":`;
  const room = CONTROL_PAYLOAD_MAX - head.length - 64;
  const field = JSON.stringify(rng.pick(fieldsOf(type).concat(['x'])));
  switch (rng.int(6)) {
    case 0: {
      // One huge key in the parameters, or several long ones at the envelope's root.
      const key = hugeKey(rng, rng.between(1000, Math.floor(room / (rng.chance(0.5) ? 1 : 3))));
      const text = Buffer.concat([
        Buffer.from(head),
        Buffer.from('{'),
        toBuf(key),
        Buffer.from(':1}}'),
      ]);
      if (text.length <= CONTROL_PAYLOAD_MAX) return { gen: 'huge-key', text };
      return { gen: 'huge-key', text: Buffer.from(`${head}{"${'k'.repeat(1000)}":1}}`) };
    }
    case 1: {
      // Several long keys next to the parameters, at the envelope's root, or both.
      const keys = Array.from(
        { length: 3 + rng.int(3) },
        (_, i) => `"${String.fromCharCode(97 + i).repeat(rng.between(45, 12_000))}":${i}`,
      );
      const params = new Text();
      writeParams(rng, params, ctx, type, 0.5);
      const inner = params.toBuffer().subarray(1);
      const where = rng.int(3);
      const root = where === 0 ? '' : `${keys.join(',')},`;
      const data =
        where === 1
          ? inner
          : Buffer.concat([
              Buffer.from(`{${keys.join(',')}`),
              inner.length > 1 ? Buffer.from(',') : Buffer.alloc(0),
              inner,
            ]);
      const text = Buffer.concat([
        Buffer.from(`{"id":${id},"type":${JSON.stringify(type)},${root}"data":`),
        data,
        Buffer.from('}'),
      ]);
      return {
        gen: 'huge-key',
        text: text.length <= CONTROL_PAYLOAD_MAX ? text : Buffer.from(`${head}{${keys[0]}}}`),
      };
    }
    case 2: {
      // Thousands of keys.
      const n = rng.between(100, 6000);
      const keys = Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',');
      const text = Buffer.from(`${head}{${keys}}}`);
      return {
        gen: 'many-keys',
        text: text.length <= CONTROL_PAYLOAD_MAX ? text : Buffer.from(`${head}{"a":1}}`),
      };
    }
    case 3: {
      // Deep nesting as the parameters, as one parameter, or as the whole message.
      const levels = rng.between(1000, Math.floor(room / 6));
      const where = rng.int(3);
      const text =
        where === 0
          ? Buffer.from(`${head}${deep(rng, levels)}}`)
          : where === 1
            ? Buffer.from(`${head}{${field}:${deep(rng, levels)}}}`)
            : Buffer.from(deep(rng, levels, `{"id":${id},"type":"ping"}`));
      return {
        gen: 'deep',
        text:
          text.length <= CONTROL_PAYLOAD_MAX
            ? text
            : Buffer.from(`${head}${'['.repeat(10_000)}${']'.repeat(10_000)}}`),
      };
    }
    case 4: {
      // A long array of numbers or strings.
      const n = rng.between(1000, Math.floor(room / 4));
      return { gen: 'long-array', text: Buffer.from(`${head}{${field}:[${'1,'.repeat(n)}1]}}`) };
    }
    default: {
      // A long string of odd Unicode in one parameter (each unit up to six bytes escaped).
      const unit = rng.pick(ODD_STRINGS.filter((s) => s));
      const value = JSON.stringify(unit.repeat(Math.ceil(room / 12 / unit.length)));
      const text = Buffer.from(`${head}{${field}:${value}}}`);
      return {
        gen: 'long-unicode',
        text: text.length <= CONTROL_PAYLOAD_MAX ? text : Buffer.from(`${head}{${field}:"x"}}`),
      };
    }
  }
}

export interface ControlCaseOptions {
  /** Request types generated in step (the others only as a batch's last case). */
  types: readonly RequestType[];
  /** Request types that may close the link or change its state for good (only last in a batch). */
  terminalTypes: readonly RequestType[];
}

/** One in-step case for a control link: a whole CONTROL frame (or one of another type). */
export function controlCase(
  rng: Rng,
  ctx: FuzzContext,
  id: number,
  options: ControlCaseOptions,
): FuzzCase {
  const type = rng.pick(options.types);
  const r = rng.int(100);
  if (r < 22)
    return {
      gen: 'valid',
      bytes: requestFrame(rng, ctx, { id, type, bad: 0 }),
      id,
      terminal: false,
    };
  if (r < 44)
    return {
      gen: 'params',
      bytes: requestFrame(rng, ctx, { id, type, bad: 0.4 }),
      id,
      terminal: false,
    };
  if (r < 62) {
    const valid = requestText(rng, ctx, { id, type, bad: 0 }).toBuffer();
    const body = mutate(rng, valid);
    // A mutated request that became an attach could close a link before login: skipped then.
    const safe = !options.terminalTypes.some((t) => body.includes(`"${t}"`));
    return { gen: 'mutated', bytes: control(safe ? body : valid), id: null, terminal: false };
  }
  if (r < 76) {
    const { text, id: known } = badEnvelope(rng, ctx, id, options.types);
    return { gen: 'envelope', bytes: control(text), id: known, terminal: false };
  }
  if (r < 86) {
    const { gen, text } = bigRequest(rng, ctx, id, options.types);
    return { gen, bytes: control(text), id, terminal: false };
  }
  if (r < 91) {
    // Odd Unicode and odd numbers in every parameter.
    return { gen: 'odd', bytes: requestFrame(rng, ctx, { id, type, bad: 1 }), id, terminal: false };
  }
  if (r < 95)
    return { gen: 'json', bytes: control(randomJson(rng, 6, 8192)), id: null, terminal: false };
  // A whole frame of another type: a media frame, an unknown type byte, or a bare type byte.
  const typeByte = rng.pick([0x00, FrameType.MEDIA, 0x03, 0x7f, 0xff]);
  const body = rng.chance(0.3)
    ? Buffer.alloc(0)
    : requestText(rng, ctx, { id, type, bad: 0 }).toBuffer();
  return {
    gen: 'frame-type',
    bytes: rawFrame(Buffer.concat([Buffer.from([typeByte]), body])),
    id: null,
    terminal: false,
  };
}

/**
 * One terminal case for a link whose frames may be up to `maxFrameSize`: random bytes, another
 * protocol's greeting, an oversized or empty frame, a mutated length prefix, a truncated frame.
 */
export function terminalCase(rng: Rng, maxFrameSize: number, whole: Buffer): FuzzCase {
  const prefix = (n: number): Buffer => {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(n >>> 0);
    return b;
  };
  switch (rng.int(7)) {
    case 0:
      return {
        gen: 'random-bytes',
        bytes: rng.bytes(rng.between(1, 2000)),
        id: null,
        terminal: true,
      };
    case 1:
      return { gen: 'greeting', bytes: rng.pick(GREETINGS), id: null, terminal: true };
    case 2: {
      const size = rng.pick([
        maxFrameSize + 1,
        maxFrameSize + rng.between(2, 1 << 20),
        0xffff_ffff,
        0x8000_0000,
      ]);
      return {
        gen: 'oversize',
        bytes: Buffer.concat([prefix(size), rng.bytes(rng.size(64))]),
        id: null,
        terminal: true,
      };
    }
    case 3:
      return {
        gen: 'empty-frame',
        bytes: Buffer.concat([prefix(0), rng.bytes(rng.size(8))]),
        id: null,
        terminal: true,
      };
    case 4: {
      const b = Buffer.from(whole);
      b[rng.int(FRAME_PREFIX_BYTES)] ^= 1 << rng.int(8);
      return { gen: 'prefix-mutated', bytes: b, id: null, terminal: true };
    }
    case 5: {
      const cut = rng.between(1, Math.max(1, whole.length - 1));
      return { gen: 'truncated', bytes: whole.subarray(0, cut), id: null, terminal: true };
    }
    default: {
      // A plausible small prefix followed by random bytes.
      const body = rng.bytes(rng.between(1, 300));
      return {
        gen: 'random-frame',
        bytes: Buffer.concat([prefix(rng.between(1, 400)), body]),
        id: null,
        terminal: true,
      };
    }
  }
}

// ---- media frames --------------------------------------------------------------------------------

/** The largest payload a media frame of `link` carries. */
function mediaPayloadMax(link: MediaLinkKind): number {
  return LINK_SPECS[link].maxFrameSize - 1 - MEDIA_HEADER_BYTES;
}

/** A whole media frame for `link` with random header fields in range and a random payload. */
export function mediaFrame(rng: Rng, link: MediaLinkKind, payloadBytes?: number): Buffer {
  const spec = LINK_SPECS[link];
  const size =
    payloadBytes ??
    (link === 'video' && rng.chance(0.02)
      ? rng.int(200_000)
      : rng.size(Math.min(4000, mediaPayloadMax(link))));
  return encodeMediaFrame(
    {
      kind: spec.mediaKind ?? MediaKind.AUDIO,
      source: MediaSource.CAMERA,
      flags: rng.int(256),
      sender: rng.chance(0.5) ? 0 : rng.u32(),
      sequence: rng.u32(),
      timestamp: rng.chance(0.5) ? rng.u32() * 1000 : rng.int(2 ** 21) * 2 ** 32,
    },
    rng.bytes(size),
    spec.maxFrameSize,
  );
}

/** One in-step case for a media link: a media frame the relay forwards or drops. */
export function mediaCase(rng: Rng, link: MediaLinkKind): FuzzCase {
  const r = rng.int(100);
  if (r < 35) return { gen: 'valid', bytes: mediaFrame(rng, link), id: null, terminal: false };
  if (r < 60) {
    // Header fields out of range: another or unknown kind, an ungranted source, the reserved byte,
    // a timestamp past 2^53.
    const frame = mediaFrame(rng, link);
    const header = FRAME_PREFIX_BYTES + 1;
    const field = rng.int(5);
    if (field === 0) frame[header] = rng.pick([0, MediaKind.AUDIO, MediaKind.VIDEO, 3, 255]);
    else if (field === 1) frame[header + 1] = rng.pick([MediaSource.SCREEN, 2, 255]);
    else if (field === 2) frame[header + 3] = rng.between(1, 255);
    else if (field === 3) frame.writeUInt32BE(0xffff_ffff, header + 12);
    else frame.writeUInt32BE(rng.u32(), header + 4);
    return { gen: 'header', bytes: frame, id: null, terminal: false };
  }
  if (r < 80) {
    // Mutated bytes after the length prefix (the type byte stays MEDIA: another closes the link).
    const frame = mediaFrame(rng, link, rng.size(64));
    const body = mutate(rng, frame.subarray(FRAME_PREFIX_BYTES + 1));
    return {
      gen: 'mutated',
      bytes: rawFrame(Buffer.concat([Buffer.from([FrameType.MEDIA]), body])),
      id: null,
      terminal: false,
    };
  }
  if (r < 95) {
    // Too short for a header.
    const body = Buffer.concat([
      Buffer.from([FrameType.MEDIA]),
      rng.bytes(rng.int(MEDIA_HEADER_BYTES)),
    ]);
    return { gen: 'short', bytes: rawFrame(body), id: null, terminal: false };
  }
  // As large as the link allows (video: rarely, a megabyte each).
  if (link === 'video' && !rng.chance(0.05))
    return { gen: 'large', bytes: mediaFrame(rng, link, 60_000), id: null, terminal: false };
  return {
    gen: 'max-size',
    bytes: mediaFrame(rng, link, mediaPayloadMax(link)),
    id: null,
    terminal: false,
  };
}

/** One terminal case for a media link: a frame that is not media, or broken framing. */
export function mediaTerminalCase(
  rng: Rng,
  ctx: FuzzContext,
  link: MediaLinkKind,
  id: number,
): FuzzCase {
  if (rng.chance(0.5))
    return terminalCase(rng, LINK_SPECS[link].maxFrameSize, mediaFrame(rng, link, rng.size(64)));
  if (rng.chance(0.5)) {
    const type = rng.pick(REQUEST_TYPES);
    return {
      gen: 'control-frame',
      bytes: requestFrame(rng, ctx, { id, type, bad: 0.2 }),
      id,
      terminal: true,
    };
  }
  const typeByte = rng.pick([0x00, 0x03, 0x7f, 0xff]);
  return {
    gen: 'frame-type',
    bytes: rawFrame(Buffer.concat([Buffer.from([typeByte]), rng.bytes(rng.size(200))])),
    id: null,
    terminal: true,
  };
}
