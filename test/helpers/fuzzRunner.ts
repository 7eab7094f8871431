/**
 * Drives the cases of fuzzCases.ts against a running server over raw sockets and checks everything
 * it sends back. One lane per link kind under test, each with fixtures of its own:
 *
 *   anon     a new control link per batch, never logged in (except by a case that registers)
 *   session  a control link logged in once and kept while it lives (re-logged in when a case ends it)
 *   audio    a new link per batch attached to a sender's session, in a meeting with a receiver
 *   video    the same for video
 *
 * A batch writes in-step cases in random chunks (split and coalesced), then a probe whose answer
 * proves the server read them all, then at most one terminal case; the link is then ended and must
 * close. Every control message that arrives must be a well-formed reply or event with a known error
 * code and a message of at most ERROR_MESSAGE_MAX characters; every frame relayed to the receiver
 * must be a whole media frame of its link's kind from a sender. Shared by
 * test/integration/fuzz.test.ts and bench/fuzz.ts.
 */
import crypto from 'node:crypto';
import type { EventEmitter } from 'node:events';
import net from 'node:net';
import { MeetingClient } from '../../client/MeetingClient';
import {
  ERROR_MESSAGE_MAX,
  FRAME_PREFIX_BYTES,
  FrameType,
  MEDIA_HEADER_BYTES,
  MediaKind,
} from '../../common/constants';
import { ErrorCode, isErrorCode } from '../../common/errors';
import { FrameDecoder, framePayload, frameType } from '../../common/framing';
import { LINK_SPECS, type MediaLinkKind } from '../../common/links';
import {
  MEDIA_SENDER_OFFSET,
  encodeMediaFrame,
  mediaKindOf,
  mediaSourceOf,
} from '../../common/media';
import { encodeControl, parseServerEvent } from '../../common/protocol';
import {
  REQUEST_TYPES,
  Rng,
  controlCase,
  mediaCase,
  mediaTerminalCase,
  requestFrame,
  terminalCase,
  type FuzzCase,
  FUZZ_LINKS,
  type FuzzContext,
  type FuzzLink,
} from './fuzzCases';

/** A reply or event that breaks the protocol's rules, with the input that caused it. */
export interface Violation {
  link: FuzzLink;
  rule: string;
  /** What arrived (an excerpt). */
  detail: string;
  /** Generator of the case, or 'batch' when the reply could not be tied to one case. */
  gen: string;
  /** Hex of the exact bytes written: the one case, or the whole batch. */
  input: string;
  /** The message that broke the rule, when one did. */
  reply?: unknown;
}

export interface LaneStats {
  link: FuzzLink;
  /** Cases written to a link the server had open. */
  cases: number;
  batches: number;
  /** Control messages received (replies and events). */
  messages: number;
  /** Media frames the receiver got from this lane's sender. */
  relayed: number;
  /** Links the server closed before the client ended them. */
  serverClosed: number;
  /** Wall-clock time spent in this lane's batches (ms). */
  ms: number;
  /** Cases by generator. */
  gens: Record<string, number>;
  /** Replies and events by outcome: 'ok', an error code, or 'event:<name>'. */
  outcomes: Record<string, number>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sameKeys(o: object, keys: string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(o, k));
}

/** Checks one error body `{ code, message }`; returns the broken rule, or null. */
function checkError(error: unknown): string | null {
  if (!isObject(error) || !sameKeys(error, ['code', 'message']))
    return 'error body is not { code, message }';
  if (typeof error.code !== 'string' || !isErrorCode(error.code)) return 'unknown error code';
  if (typeof error.message !== 'string') return 'error message is not a string';
  if (error.message.length > ERROR_MESSAGE_MAX)
    return `error message over ${ERROR_MESSAGE_MAX} characters`;
  if (error.code === ErrorCode.INTERNAL) return 'internal error (a handler failed)';
  return null;
}

/**
 * Checks one control message from the server: `{ id, ok: true, data }`, `{ id, ok: false, error }`
 * or `{ event, data }`. Returns the broken rule, or null when it is well-formed.
 */
export function checkMessage(m: unknown): string | null {
  if (!isObject(m)) return 'message is not an object';
  if (Object.hasOwn(m, 'event')) {
    if (!sameKeys(m, ['event', 'data'])) return 'event is not { event, data }';
    if (typeof m.event !== 'string') return 'event name is not a string';
    // The client's own validation: a known event whose payload matches its schema.
    try {
      if (parseServerEvent(m.event, m.data) === null) return 'unknown event';
    } catch {
      return 'malformed event payload';
    }
    return m.event === 'protocolError' || m.event === 'kicked' ? checkError(m.data) : null;
  }
  if (typeof m.id !== 'number' || !Number.isSafeInteger(m.id) || m.id < 0)
    return 'reply id is not a request id';
  if (m.ok === true)
    return sameKeys(m, ['id', 'ok', 'data']) ? null : 'reply is not { id, ok, data }';
  if (m.ok !== false) return 'reply ok is not a boolean';
  if (!sameKeys(m, ['id', 'ok', 'error'])) return 'error reply is not { id, ok, error }';
  return checkError(m.error);
}

/** The outcome of a well-formed message, for statistics. */
function outcome(m: Record<string, unknown>): string {
  if (typeof m.event === 'string') {
    const data = m.data as { code?: string };
    return m.event === 'protocolError' ? `protocolError:${data.code}` : `event:${m.event}`;
  }
  return m.ok === true ? 'ok' : String((m.error as { code: string }).code);
}

function excerptOf(value: unknown, max = 400): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

// ---- a raw link ----------------------------------------------------------------------------------

/** A raw TCP link that writes bytes as told and parses what comes back. */
class FuzzSocket {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  isClosed = false;
  /** Set when this side ended the link (so a close before that is the server's doing). */
  ended = false;
  /** Outcomes of the well-formed messages received ('ok', error codes, events). */
  readonly seen: string[] = [];
  readonly #decoder = new FrameDecoder(LINK_SPECS.video.maxFrameSize);
  readonly #waiting = new Map<number, (m: Record<string, unknown>) => void>();
  onMessage: (m: unknown, raw: Buffer) => void = () => undefined;
  onMedia: (frame: Buffer) => void = () => undefined;
  onGarbage: (detail: string) => void = () => undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
  }

  static open(port: number, host: string, localAddress: string): Promise<FuzzSocket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port, localAddress }, () => {
        s.off('error', reject);
        resolve(new FuzzSocket(s));
      });
      s.once('error', reject);
    });
  }

  #onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.onGarbage(`undecodable framing from the server: ${(error as Error).message}`);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (frameType(frame) === FrameType.MEDIA) {
        this.onMedia(frame);
        continue;
      }
      if (frameType(frame) !== FrameType.CONTROL) {
        this.onGarbage(`frame of type ${frameType(frame)} from the server`);
        continue;
      }
      let message: unknown;
      try {
        message = JSON.parse(framePayload(frame).toString('utf8'));
      } catch {
        this.onGarbage(
          `a control frame that is not JSON: ${framePayload(frame).toString('hex', 0, 200)}`,
        );
        continue;
      }
      this.onMessage(message, frame);
      if (isObject(message) && typeof message.id === 'number')
        this.#waiting.get(message.id)?.(message);
    }
  }

  /**
   * Writes `pieces` in random chunks: coalesced in one write, one write per piece, random cuts,
   * or the first bytes one by one. Byte-level chunking is the unit tests' job; a few dozen
   * writes per batch at most keep the system calls from dominating.
   */
  async write(pieces: Buffer[], rng: Rng): Promise<void> {
    const all = Buffer.concat(pieces);
    const chunks: Buffer[] = [];
    switch (rng.int(4)) {
      case 0:
        chunks.push(all);
        break;
      case 1:
        chunks.push(...pieces);
        break;
      case 2: {
        // Up to 64 cuts of 1 to `cut` bytes, then the rest (each write is a system call).
        const cut = rng.pick([3, 17, 200, 3000]);
        const pieces = rng.between(2, 64);
        let at = 0;
        for (let i = 0; i < pieces && at < all.length; i++) {
          const n = rng.between(1, cut);
          chunks.push(all.subarray(at, at + n));
          at += n;
        }
        if (at < all.length) chunks.push(all.subarray(at));
        break;
      }
      default: {
        const head = Math.min(all.length, rng.between(1, 48));
        for (let i = 0; i < head; i++) chunks.push(all.subarray(i, i + 1));
        chunks.push(all.subarray(head));
      }
    }
    for (const chunk of chunks) {
      if (this.isClosed || this.socket.destroyed) return;
      if (!this.socket.write(chunk))
        await Promise.race([onceEvent(this.socket, 'drain'), this.closed]);
      // A pause between some writes lets the server read the chunks apart.
      else if (chunks.length > 1 && rng.chance(0.3)) await new Promise((r) => setImmediate(r));
    }
  }

  /** The reply to request `id`, or null when the link closes or `ms` pass first. */
  reply(id: number, ms: number): Promise<Record<string, unknown> | null> {
    return new Promise((resolve) => {
      const done = (m: Record<string, unknown> | null): void => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(m);
      };
      const timer = setTimeout(() => done(null), ms);
      this.#waiting.set(id, done);
      void this.closed.then(() => setImmediate(() => done(null)));
    });
  }

  /** True when the link closes within `ms`. */
  async waitClose(ms: number): Promise<boolean> {
    if (this.isClosed) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    const closed = await Promise.race([this.closed.then(() => true as const), timeout]);
    clearTimeout(timer);
    return closed;
  }

  /** Half-closes the link; the server must close its side. */
  end(): void {
    this.ended = true;
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function onceEvent(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

// ---- fuzzing -------------------------------------------------------------------------------------

export interface FuzzOptions {
  port: number;
  host?: string;
  seed: number;
  /** Media lanes per media kind and session lanes (each with fixtures of its own); default 1. */
  lanesPerLink?: number;
  /** In-step cases per batch; default 30. */
  batchSize?: number;
  /**
   * Probability that a batch ends with a terminal case; default 0.3 (a third of it on the session
   * lane, where each one costs a new login).
   */
  terminalRate?: number;
  /** Called for every violation (the first `keepViolations` are kept in `violations` too). */
  onViolation?: (v: Violation) => void;
  /** Violations kept in memory (a long run counts the rest); default all. */
  keepViolations?: number;
}

/** How long the server may take to answer a probe (a registration waits for a password hash). */
const PROBE_MS = 10_000;
/** After a terminal case, how long the server gets to close the link on its own. */
const TERMINAL_GRACE_MS = 30;
/** After the client ends a link, how long the server may take to close its side. */
const CLOSE_MS = 10_000;
/** Local addresses: control links before login, media links, and a pool for logins. */
const ANON_ADDRESS = '127.0.0.2';
const MEDIA_ADDRESS = '127.0.0.3';
const LOGIN_ADDRESSES = Array.from({ length: 200 }, (_, i) => `127.0.1.${i + 1}`);

/** A random password for fixture accounts (the fuzzer's own guesses never log in as them). */
function secret(): string {
  return crypto.randomBytes(12).toString('base64url');
}

interface Sender {
  client: MeetingClient;
  memberId: number;
  token: string;
}

/** Runs fuzz batches on every link kind against a server; holds the fixtures and the results. */
export class Fuzzer {
  readonly violations: Violation[] = [];
  /** Violations by rule. */
  readonly violationCounts: Record<string, number> = {};
  readonly stats: LaneStats[] = [];
  readonly #options: Required<Omit<FuzzOptions, 'onViolation'>> & Pick<FuzzOptions, 'onViolation'>;
  readonly #ctx: FuzzContext = { meetingIds: [], usernames: [], tokens: [] };
  readonly #lanes: Lane[] = [];
  readonly #clients: MeetingClient[] = [];
  #loginTurn = 0;
  #closing = false;

  constructor(options: FuzzOptions) {
    this.#options = {
      host: '127.0.0.1',
      lanesPerLink: 1,
      batchSize: 30,
      terminalRate: 0.3,
      keepViolations: Infinity,
      ...options,
    };
  }

  get port(): number {
    return this.#options.port;
  }
  get host(): string {
    return this.#options.host;
  }
  get terminalRate(): number {
    return this.#options.terminalRate;
  }

  /** Cases written so far over all lanes. */
  get cases(): number {
    return this.stats.reduce((n, s) => n + s.cases, 0);
  }

  /** Registers the fixtures: a receiver in a meeting, and per media lane a sender in it too. */
  async setUp(): Promise<void> {
    const tag = crypto.randomBytes(3).toString('hex');
    const receiver = await this.client(true);
    await receiver.register(`fz_recv_${tag}`, secret());
    const { meeting } = await receiver.createMeeting('Fuzz');
    this.#ctx.meetingIds.push(meeting.id);
    this.#ctx.usernames.push(`fz_recv_${tag}`);
    receiver.on('close', (reason) =>
      this.#closing
        ? undefined
        : this.#violation('audio', 'the receiver was disconnected', reason, 'fixture', ''),
    );
    receiver.on('kicked', (k) =>
      this.#violation('audio', 'the receiver was kicked', excerptOf(k), 'fixture', ''),
    );
    const lanes = this.#options.lanesPerLink;
    let seed = this.#options.seed;
    for (let i = 0; i < lanes; i++) {
      this.#lanes.push(new ControlLane(this, 'anon', seed++, this.#ctx));
      const username = `fz_sess_${tag}_${i}`;
      const password = secret();
      this.#lanes.push(new ControlLane(this, 'session', seed++, this.#ctx, { username, password }));
      for (const kind of ['audio', 'video'] as const) {
        const s = await this.client(false);
        const name = `fz_${kind}_${tag}_${i}`;
        const login = await s.register(name, secret());
        await s.joinMeeting(meeting.id);
        this.#ctx.usernames.push(name);
        const sender: Sender = { client: s, memberId: login.memberId, token: login.token };
        this.#lanes.push(new MediaLane(this, kind, seed++, this.#ctx, sender));
      }
    }
    receiver.transport.on('frame', (frame, kind) => this.#checkRelayed(frame, kind));
    for (const lane of this.#lanes) this.stats.push(lane.stats);
  }

  /** Runs batches on every lane at once until `cases` more were written in all (or `until`). */
  async run(cases: number, until = Infinity): Promise<void> {
    const target = this.cases + cases;
    await Promise.all(
      this.#lanes.map(async (lane) => {
        while (this.cases < target && Date.now() < until) await lane.timed(this.#options.batchSize);
      }),
    );
  }

  /** Runs batches on the lanes of `links` at once until each kind has written `cases` more. */
  async runLinks(links: readonly FuzzLink[], cases: number): Promise<void> {
    const lanes = this.#lanes.filter((l) => links.includes(l.stats.link));
    await Promise.all(
      lanes.map(async (lane) => {
        const peers = lanes.filter((l) => l.stats.link === lane.stats.link).length;
        const target = lane.stats.cases + Math.ceil(cases / peers);
        while (lane.stats.cases < target) await lane.timed(this.#options.batchSize);
      }),
    );
  }

  /** Closes the fixtures and any link still open. */
  async tearDown(): Promise<void> {
    this.#closing = true;
    for (const lane of this.#lanes) lane.close();
    await Promise.allSettled(this.#clients.map((c) => c.close()));
  }

  // ---- for the lanes -------------------------------------------------------------------------

  /** A connected MeetingClient (closed in tearDown). */
  async client(media: boolean): Promise<MeetingClient> {
    const c = new MeetingClient({ host: this.host, port: this.port }, { media, plain: true });
    this.#clients.push(c);
    await c.connect();
    return c;
  }

  /** The next local address for a login (each address has its own login budget). */
  loginAddress(): string {
    return LOGIN_ADDRESSES[this.#loginTurn++ % LOGIN_ADDRESSES.length] as string;
  }

  violation(v: Violation): void {
    this.violationCounts[v.rule] = (this.violationCounts[v.rule] ?? 0) + 1;
    if (this.violations.length < this.#options.keepViolations) this.violations.push(v);
    this.#options.onViolation?.(v);
  }

  #violation(link: FuzzLink, rule: string, detail: string, gen: string, input: string): void {
    this.violation({ link, rule, detail, gen, input });
  }

  /** A frame relayed to the receiver: a whole media frame of the link's kind from a sender. */
  #checkRelayed(frame: Buffer, kind: MediaLinkKind): void {
    const lane = this.#lanes.find(
      (l): l is MediaLane =>
        l instanceof MediaLane &&
        l.kind === kind &&
        l.sender.memberId === frame.readUInt32BE(MEDIA_SENDER_OFFSET),
    );
    const problem =
      frame.length < FRAME_PREFIX_BYTES + 1 + MEDIA_HEADER_BYTES
        ? 'relayed a frame too short for a media header'
        : mediaKindOf(frame) !== LINK_SPECS[kind].mediaKind
          ? 'relayed a frame of the wrong media kind'
          : mediaSourceOf(frame) !== 0
            ? 'relayed a frame of an ungranted source'
            : !lane
              ? 'relayed a frame with a sender id that is no sender'
              : null;
    if (lane) lane.stats.relayed++;
    if (problem)
      this.#violation(
        kind,
        problem,
        frame.toString('hex', 0, 64),
        'relayed',
        frame.toString('hex'),
      );
  }
}

/** One lane: batches on one kind of link, with its own random stream and counters. */
abstract class Lane {
  readonly stats: LaneStats;
  protected readonly fuzzer: Fuzzer;
  protected readonly rng: Rng;
  protected readonly ctx: FuzzContext;
  protected nextId = 1;
  /** Cases of the current batch with a known request id, and the batch's bytes. */
  #byId = new Map<number, FuzzCase>();
  #batchBytes: Buffer[] = [];

  constructor(fuzzer: Fuzzer, link: FuzzLink, seed: number, ctx: FuzzContext) {
    this.fuzzer = fuzzer;
    this.rng = new Rng(seed);
    this.ctx = ctx;
    this.stats = {
      link,
      cases: 0,
      batches: 0,
      messages: 0,
      relayed: 0,
      serverClosed: 0,
      ms: 0,
      gens: {},
      outcomes: {},
    };
  }

  abstract batch(size: number): Promise<void>;

  /** Runs one batch, timing it. */
  async timed(size: number): Promise<void> {
    const start = performance.now();
    try {
      await this.batch(size);
    } finally {
      this.stats.ms += performance.now() - start;
    }
  }
  abstract close(): void;

  /** Remembers a batch's cases and bytes (in writing order) so a bad reply can name its input. */
  protected track(cases: FuzzCase[], written: Buffer[]): void {
    this.#byId.clear();
    for (const c of cases) if (c.id !== null) this.#byId.set(c.id, c);
    this.#batchBytes = written;
  }

  /** Counts the cases of a batch that reached an open link. */
  protected counted(cases: FuzzCase[]): void {
    this.stats.batches++;
    for (const c of cases) {
      this.stats.cases++;
      this.stats.gens[c.gen] = (this.stats.gens[c.gen] ?? 0) + 1;
    }
  }

  /** Wires a socket's messages to the checks. */
  protected watch(socket: FuzzSocket): FuzzSocket {
    socket.onMessage = (m) => {
      this.stats.messages++;
      const rule = checkMessage(m);
      if (rule) {
        const id = isObject(m) && typeof m.id === 'number' ? m.id : null;
        const c = id !== null ? this.#byId.get(id) : undefined;
        this.violation(rule, excerptOf(m), c, m);
        return;
      }
      const o = outcome(m as Record<string, unknown>);
      socket.seen.push(o);
      this.stats.outcomes[o] = (this.stats.outcomes[o] ?? 0) + 1;
    };
    socket.onGarbage = (detail) => this.violation('undecodable output', detail);
    socket.onMedia = (frame) => {
      if (frame.length < FRAME_PREFIX_BYTES + 1 + MEDIA_HEADER_BYTES)
        this.violation('a media frame too short for its header', frame.toString('hex'));
    };
    return socket;
  }

  protected violation(rule: string, detail: string, c?: FuzzCase, reply?: unknown): void {
    this.fuzzer.violation({
      link: this.stats.link,
      rule,
      detail,
      gen: c?.gen ?? 'batch',
      input: (c ? c.bytes : Buffer.concat(this.#batchBytes)).toString('hex'),
      reply,
    });
  }

  /** Ends a link and checks the server closes its side. */
  protected async finish(socket: FuzzSocket): Promise<void> {
    if (!socket.isClosed) socket.end();
    else if (!socket.ended) this.stats.serverClosed++;
    if (!(await socket.waitClose(CLOSE_MS)))
      this.violation('the server kept a link open after the client ended it', '');
    socket.destroy();
  }
}

/** Control links before and after login. */
class ControlLane extends Lane {
  readonly #session: boolean;
  readonly #account: { username: string; password: string } | null;
  #link: FuzzSocket | null = null;
  readonly #options;

  constructor(
    fuzzer: Fuzzer,
    link: 'anon' | 'session',
    seed: number,
    ctx: FuzzContext,
    account?: { username: string; password: string },
  ) {
    super(fuzzer, link, seed, ctx);
    this.#session = link === 'session';
    this.#account = account ?? null;
    // Before login an attach with a bad token closes the link; after, a logout ends the session.
    const terminalTypes = this.#session ? (['logout'] as const) : (['attach'] as const);
    this.#options = {
      types: REQUEST_TYPES.filter((t) => !(terminalTypes as readonly string[]).includes(t)),
      terminalTypes,
    };
  }

  async batch(size: number): Promise<void> {
    const link = this.#session
      ? await this.#loggedIn()
      : this.watch(await FuzzSocket.open(this.fuzzer.port, this.fuzzer.host, ANON_ADDRESS));
    const rng = this.rng;
    const cases: FuzzCase[] = [];
    for (let i = 0; i < size; i++)
      cases.push(controlCase(rng, this.ctx, this.nextId++, this.#options));
    // The probe: a ping before login; after, a request that needs the session (it says whether the
    // link is still logged in).
    const probeId = this.nextId++;
    const probe = this.#session
      ? encodeControl(
          { id: probeId, type: 'setMediaState', data: { audio: false, video: false } },
          LINK_SPECS.control.maxFrameSize,
        )
      : encodeControl({ id: probeId, type: 'ping', data: {} }, LINK_SPECS.control.maxFrameSize);
    let terminal: FuzzCase | null = null;
    if (rng.chance(this.fuzzer.terminalRate / (this.#session ? 3 : 1))) {
      const id = this.nextId++;
      const type = rng.pick(this.#options.terminalTypes);
      terminal = rng.chance(0.25)
        ? {
            gen: type,
            bytes: requestFrame(rng, this.ctx, { id, type, bad: 0.3 }),
            id,
            terminal: true,
          }
        : terminalCase(
            rng,
            LINK_SPECS.control.maxFrameSize,
            requestFrame(rng, this.ctx, { id, type: rng.pick(REQUEST_TYPES), bad: 0 }),
          );
    }
    const all = terminal ? [...cases, terminal] : cases;
    this.track(all, [...cases.map((c) => c.bytes), probe, ...(terminal ? [terminal.bytes] : [])]);
    // A terminal case goes after the probe's answer, or (half the time) in the same write: then a
    // framing error in it may discard the frames read with it, the probe's included.
    const together = terminal !== null && rng.chance(0.5);
    // Listening before writing: the answer may come before the last chunk is written.
    const answered = link.reply(probeId, PROBE_MS);
    await link.write(
      [...cases.map((c) => c.bytes), probe, ...(together && terminal ? [terminal.bytes] : [])],
      rng,
    );
    const answer = await answered;
    if (terminal && !together && !link.isClosed) await link.write([terminal.bytes], rng);
    if (!answer && !(together && link.isClosed)) {
      this.violation(
        link.isClosed ? 'the link closed on an in-step case' : 'no answer to the probe',
        '',
      );
    }
    this.counted(all);
    if (terminal) await link.waitClose(TERMINAL_GRACE_MS);
    const keep = this.#session && !terminal && answer?.ok === true && !link.isClosed;
    if (!keep) {
      if (this.#session) this.#link = null;
      await this.finish(link);
    }
  }

  /** The lane's logged-in link: the last one if it lives, else a new login. */
  async #loggedIn(): Promise<FuzzSocket> {
    if (this.#link && !this.#link.isClosed) return this.#link;
    const account = this.#account as { username: string; password: string };
    for (let attempt = 0; ; attempt++) {
      const link = this.watch(
        await FuzzSocket.open(this.fuzzer.port, this.fuzzer.host, this.fuzzer.loginAddress()),
      );
      const id = this.nextId++;
      const type = this.stats.batches === 0 && attempt === 0 ? 'register' : 'login';
      link.socket.write(
        encodeControl({ id, type, data: account }, LINK_SPECS.control.maxFrameSize),
      );
      const reply = await link.reply(id, PROBE_MS);
      if (reply?.ok === true) {
        const token = (reply.data as { token: string }).token;
        this.ctx.tokens.splice(0, this.ctx.tokens.length, token);
        this.#link = link;
        return link;
      }
      await this.finish(link);
      if (attempt >= 20) throw new Error(`fuzz session: cannot log in: ${excerptOf(reply)}`);
    }
  }

  close(): void {
    this.#link?.destroy();
  }
}

/** Media links attached to a sender's session. */
class MediaLane extends Lane {
  readonly kind: MediaLinkKind;
  readonly sender: Sender;
  #link: FuzzSocket | null = null;

  constructor(fuzzer: Fuzzer, kind: MediaLinkKind, seed: number, ctx: FuzzContext, sender: Sender) {
    super(fuzzer, kind, seed, ctx);
    this.kind = kind;
    this.sender = sender;
  }

  async batch(size: number): Promise<void> {
    const rng = this.rng;
    const link = this.watch(
      await FuzzSocket.open(this.fuzzer.port, this.fuzzer.host, MEDIA_ADDRESS),
    );
    this.#link = link;
    const attachId = this.nextId++;
    this.track([], []);
    link.socket.write(
      encodeControl(
        { id: attachId, type: 'attach', data: { token: this.sender.token, link: this.kind } },
        LINK_SPECS.control.maxFrameSize,
      ),
    );
    const attached = await link.reply(attachId, PROBE_MS);
    if (attached?.ok !== true) {
      this.violation('attach with a live token refused', excerptOf(attached));
      await this.finish(link);
      return;
    }
    const cases: FuzzCase[] = [];
    for (let i = 0; i < size; i++) cases.push(mediaCase(rng, this.kind));
    // The probe is a control frame: a media link answers it with a protocol error and closes.
    const probeId = this.nextId++;
    const terminal = rng.chance(this.fuzzer.terminalRate)
      ? mediaTerminalCase(rng, this.ctx, this.kind, this.nextId++)
      : {
          gen: 'probe',
          bytes: encodeControl(
            { id: probeId, type: 'ping', data: {} },
            LINK_SPECS.control.maxFrameSize,
          ),
          id: null,
          terminal: true,
        };
    const all = [...cases, terminal];
    this.track(
      all,
      all.map((c) => c.bytes),
    );
    await link.write(
      all.map((c) => c.bytes),
      rng,
    );
    const closed = await link.waitClose(terminal.gen === 'probe' ? PROBE_MS : TERMINAL_GRACE_MS);
    if (terminal.gen === 'probe') {
      const refused = link.seen.includes(`protocolError:${ErrorCode.UNEXPECTED_FRAME}`);
      if (!closed) this.violation('a media link did not close on a control frame', '');
      else if (!refused) this.violation('a media link closed without a protocol error', '');
    }
    // The probe is not counted as a case: only generated input is.
    this.counted(terminal.gen === 'probe' ? cases : all);
    await this.finish(link);
    this.#link = null;
  }

  close(): void {
    this.#link?.destroy();
  }
}

// ---- after the run -------------------------------------------------------------------------------

/** The next `event` of `emitter` whose arguments pass `test`, or a rejection after `ms`. */
function waitEvent<T extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  test: (...args: T) => boolean,
  ms: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (...raw: unknown[]): void => {
      const args = raw as T;
      if (!test(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no '${event}' within ${ms} ms`));
    }, ms);
    emitter.on(event, listener);
  });
}

/**
 * A real meeting on the server: two new clients register, meet, chat and exchange one audio
 * frame. Throws when any step fails.
 */
export async function checkMeetingWorks(port: number, host = '127.0.0.1'): Promise<void> {
  const tag = crypto.randomBytes(3).toString('hex');
  const a = new MeetingClient({ host, port }, { plain: true });
  const b = new MeetingClient({ host, port }, { plain: true });
  try {
    await a.connect();
    await b.connect();
    const alice = await a.register(`check_a_${tag}`, secret());
    await b.register(`check_b_${tag}`, secret());
    const { meeting } = await a.createMeeting('After fuzzing');
    await b.joinMeeting(meeting.id);
    const heard = waitEvent<[{ text: string }]>(a, 'chat', (m) => m.text === 'still working', 5000);
    await b.say('still working');
    await heard;
    const got = waitEvent<[Buffer, string]>(
      b.transport,
      'frame',
      (_f, kind) => kind === 'audio',
      5000,
    );
    const frame = encodeMediaFrame(
      {
        kind: MediaKind.AUDIO,
        source: 0,
        flags: 0,
        sender: 0,
        sequence: 1,
        timestamp: Date.now() * 1000,
      },
      Buffer.from('opus'),
      LINK_SPECS.audio.maxFrameSize,
    );
    if (!a.transport.send('audio', frame)) throw new Error('the audio link is not writable');
    const [received] = await got;
    if (received.readUInt32BE(MEDIA_SENDER_OFFSET) !== alice.memberId)
      throw new Error('audio from the wrong sender');
    if (!received.subarray(received.length - 4).equals(Buffer.from('opus')))
      throw new Error('audio payload changed');
  } finally {
    await Promise.allSettled([a.close(), b.close()]);
  }
}

/**
 * One line per kind of link (its lanes added up): cases, batches, control messages received, links
 * the server closed, frames relayed to the receiver, and the cases per second of one lane.
 */
export function laneSummary(stats: LaneStats[]): string[] {
  const n = (v: number, width: number): string => v.toLocaleString('en-US').padStart(width);
  return FUZZ_LINKS.filter((link) => stats.some((s) => s.link === link)).map((link) => {
    const lanes = stats.filter((s) => s.link === link);
    const sum = (f: (s: LaneStats) => number): number => lanes.reduce((t, s) => t + f(s), 0);
    const ms = Math.max(...lanes.map((s) => s.ms));
    return (
      `${link.padEnd(8)} ${n(
        sum((s) => s.cases),
        9,
      )} cases ${n(
        sum((s) => s.batches),
        7,
      )} batches ` +
      `${n(
        sum((s) => s.messages),
        9,
      )} messages ${n(
        sum((s) => s.serverClosed),
        6,
      )} closed by server ` +
      `${n(Math.round((sum((s) => s.cases) / Math.max(ms, 1)) * 1000), 6)} cases/s` +
      (link === 'audio' || link === 'video'
        ? ` ${n(
            sum((s) => s.relayed),
            8,
          )} relayed`
        : '')
    );
  });
}

/** Replies and events by outcome over all lanes, most frequent first. */
export function outcomeSummary(stats: LaneStats[]): Array<[string, number]> {
  const all: Record<string, number> = {};
  for (const s of stats)
    for (const [k, n] of Object.entries(s.outcomes)) all[k] = (all[k] ?? 0) + n;
  return Object.entries(all).sort((x, y) => y[1] - x[1]);
}
