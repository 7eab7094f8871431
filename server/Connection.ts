/**
 * One TCP link of a client: owns its framed socket, its heartbeat and login deadlines, and a bounded
 * queue of requests that it decodes, validates and hands to the dispatcher one at a time (so replies
 * and chat keep their order). Every link starts as a control link; `attach` makes it a media link.
 *
 * Backpressure: a link whose requests or unread replies pile up stops being read until they clear,
 * and one whose unread output stays over the cap for LINK_STALL_MS is closed. Any fault while
 * serving one link closes that link with a logged reason; nothing escapes to the process.
 */
import type net from 'node:net';
import { ERROR_MESSAGE_MAX } from '../common/constants';
import { EncodeError, ErrorCode, MeetingError, type ErrorCodeValue } from '../common/errors';
import { FramedSocket } from '../common/FramedSocket';
import { frameType } from '../common/framing';
import { LINK_SPECS, type AttachLinkKind, type LinkKind } from '../common/links';
import {
  RequestEnvelope,
  decodeControlFrame,
  describeIssues,
  encodeControl,
  excerpt,
  type ErrorBody,
  type ServerEventName,
  type ServerEvents,
} from '../common/protocol';
import { TypedEmitter } from '../common/TypedEmitter';
import type { Logger } from './logger';

/** What the dispatcher answers for one request: a result, or a typed error. */
export type Reply =
  { ok: true; data: unknown; after?: AfterReply } | { ok: false; error: ErrorBody };

/** Work that depends on whether the reply reached the client's socket (a join's announcement). */
export interface AfterReply {
  sent(): void;
  failed(): void;
}

export type Dispatcher = (connection: Connection, type: string, data: unknown) => Promise<Reply>;

export interface ConnectionLimits {
  heartbeatTimeoutMs: number;
  /** A link that has neither logged in nor attached by then is closed (pings do not extend it). */
  authTimeoutMs: number;
  /** Requests waiting or running on one link before reading pauses. */
  requestsInFlight: number;
  /** Unread output (bytes) above which reading pauses. */
  outputPauseBytes: number;
  /** Unread output (bytes) that closes the link at once. */
  outputMaxBytes: number;
  /** A link whose unread output stays over `outputPauseBytes` this long is closed. */
  stallMs: number;
}

export type ConnectionEvents = {
  /** The link closed (whatever the cause); its owner forgets it. */
  '@close': [reason: string];
};

export interface ConnectionOptions {
  socket: net.Socket;
  dispatch: Dispatcher;
  limits: ConnectionLimits;
  logger: Logger;
}

/** Requests beyond this many times `requestsInFlight` are refused without queueing. */
const REQUEST_QUEUE_HARD_FACTOR = 4;

/** An error body whose message is at most ERROR_MESSAGE_MAX characters, whatever it quotes. */
function bounded(code: ErrorCodeValue, message: string): ErrorBody {
  return { code, message: excerpt(message, ERROR_MESSAGE_MAX) };
}

interface Queued {
  id: number;
  type: string;
  data: unknown;
}

export class Connection extends TypedEmitter<ConnectionEvents> {
  readonly framed: FramedSocket;
  /** The peer's IP address (without the port), for limits keyed by address. */
  readonly ip: string;
  /** Cancels worker-pool work started for this link once it is gone. */
  readonly abort = new AbortController();
  readonly #dispatch: Dispatcher;
  readonly #limits: ConnectionLimits;
  readonly #logger: Logger;
  readonly #queue: Queued[] = [];
  #kind: LinkKind = 'control';
  #authenticated = false;
  #serving = false;
  #paused = false;
  #heartbeat: NodeJS.Timeout | null;
  #authTimer: NodeJS.Timeout | null;
  #stallTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #onData: ((frame: Buffer) => void) | null = null;

  constructor(options: ConnectionOptions) {
    super();
    this.#dispatch = options.dispatch;
    this.#limits = options.limits;
    this.#logger = options.logger;
    this.ip = options.socket.remoteAddress ?? '?';
    this.framed = new FramedSocket(options.socket, LINK_SPECS.control.maxFrameSize);
    this.#heartbeat = setTimeout(
      () => this.#timedOut('heartbeat timeout'),
      this.#limits.heartbeatTimeoutMs,
    );
    this.#authTimer = setTimeout(
      () => this.#timedOut('no login within the deadline'),
      this.#limits.authTimeoutMs,
    );
    this.framed.on('frame', (frame) => this.#onFrame(frame));
    this.framed.on('malformed', (error) => {
      this.#logger.warn(
        { address: this.address, code: error.code, reason: error.message },
        'closing link: malformed input',
      );
      this.#send({ event: 'protocolError', data: bounded(error.code, error.message) });
    });
    this.framed.on('drain', () => this.#checkOutput());
    this.framed.on('close', (reason) => this.#onClose(reason));
    this.framed.on('listenerError', (event: string, error: unknown) => {
      this.#logger.error({ event, err: error }, 'listener failed');
    });
  }

  get kind(): LinkKind {
    return this.#kind;
  }
  get address(): string {
    return this.framed.address;
  }
  get closed(): boolean {
    return this.#closed;
  }

  /** The link logged in (control) or attached (media): the login deadline no longer applies. */
  authenticated(): void {
    this.#authenticated = true;
    if (this.#authTimer) clearTimeout(this.#authTimer);
    this.#authTimer = null;
  }

  /** The session logged out: the link must log in again within the deadline. */
  unauthenticated(): void {
    if (this.#closed || this.#kind !== 'control') return;
    this.#authenticated = false;
    this.#authTimer ??= setTimeout(
      () => this.#timedOut('no login within the deadline'),
      this.#limits.authTimeoutMs,
    );
  }

  /**
   * Turns this link into a link of `kind` (after a successful `attach`); its data frames (the
   * kind's frame type) go to `onData`, called directly: one call per frame, no event machinery on
   * the relay's path.
   */
  becomeLink(kind: AttachLinkKind, onData: (frame: Buffer) => void): void {
    this.#onData = onData;
    this.#kind = kind;
    this.framed.maxFrameSize = LINK_SPECS[kind].maxFrameSize;
    // Media links carry no heartbeat of their own: the control link's covers the session.
    if (this.#heartbeat) clearTimeout(this.#heartbeat);
    this.#heartbeat = null;
    this.authenticated();
  }

  /** Sends an event; false when it cannot be encoded (logged) or the link is closed. */
  sendEvent<K extends ServerEventName>(event: K, data: ServerEvents[K]): boolean {
    return this.#send({ event, data });
  }

  /** Reports a fault not tied to a request; a media link (or an undecodable frame) closes. */
  protocolError(code: ErrorCodeValue, message: string): void {
    this.#logger.warn({ address: this.address, code, reason: message }, 'protocol error');
    this.#send({ event: 'protocolError', data: bounded(code, message) });
    if (this.#kind !== 'control' || code === ErrorCode.BAD_FRAME) this.close(message);
  }

  /** Ends the link after flushing what is queued. */
  close(reason: string): void {
    this.framed.close(reason);
  }

  /** Drops the link at once. */
  destroy(reason: string): void {
    this.framed.destroy(reason);
  }

  // ---- incoming ------------------------------------------------------------------------------

  #onFrame(frame: Buffer): void {
    // Any frame proves the peer alive; only logging in ends the login deadline.
    this.#heartbeat?.refresh();
    if (this.#kind !== 'control') {
      if (frameType(frame) === LINK_SPECS[this.#kind].frameType) this.#onData?.(frame);
      else
        this.protocolError(
          ErrorCode.UNEXPECTED_FRAME,
          `only ${this.#kind} frames are accepted on a ${this.#kind} link`,
        );
      return;
    }
    let message: unknown;
    try {
      message = decodeControlFrame(frame);
    } catch (error) {
      const e =
        error instanceof MeetingError
          ? error
          : new MeetingError(ErrorCode.BAD_FRAME, 'undecodable frame');
      this.protocolError(e.code, e.message);
      return;
    }
    const envelope = RequestEnvelope.safeParse(message);
    if (!envelope.success) {
      this.protocolError(
        ErrorCode.BAD_REQUEST,
        `malformed request: ${describeIssues(envelope.error)}`,
      );
      return;
    }
    const { id, type, data } = envelope.data;
    // A ping is answered at once, not behind slow requests: the client's dead-link detection
    // measures the link, not the database. Output backpressure still bounds a flood of them.
    if (type === 'ping') {
      void this.#dispatch(this, type, data ?? {}).then((reply) => {
        if (this.#closed) return;
        this.#reply(id, type, reply);
        this.#checkOutput();
      });
      return;
    }
    // Reading pauses at the cap, but one chunk already read can hold many small frames: past a
    // hard cap they are refused at once rather than queued.
    if (this.#queue.length >= REQUEST_QUEUE_HARD_FACTOR * this.#limits.requestsInFlight) {
      this.#reply(id, type, {
        ok: false,
        error: {
          code: ErrorCode.RATE_LIMITED,
          message: 'too many requests in flight on this link',
        },
      });
      return;
    }
    this.#queue.push({ id, type, data: data ?? {} });
    this.#checkOutput();
    if (!this.#serving) void this.#serveQueue();
  }

  /** Serves queued requests one at a time. Never rejects. */
  async #serveQueue(): Promise<void> {
    this.#serving = true;
    try {
      for (let next = this.#queue.shift(); next && !this.#closed; next = this.#queue.shift()) {
        const reply = await this.#dispatch(this, next.type, next.data);
        if (this.#closed) {
          // The link went while the request ran: its side effects are rolled back unseen.
          if (reply.ok) reply.after?.failed();
          break;
        }
        this.#reply(next.id, next.type, reply);
        this.#checkOutput();
      }
    } catch (error) {
      this.#logger.error({ address: this.address, err: error }, 'closing link: request failed');
      this.destroy('request failed');
    } finally {
      this.#serving = false;
    }
  }

  /**
   * Sends a reply; one that cannot be encoded (too large for a frame) becomes a typed error. A
   * reply's side effects (`after`) are committed only once it is encoded and the link is open, and
   * before it is written, so the others hear of a join no later than the joiner does.
   */
  #reply(id: number, type: string, reply: Reply): void {
    let frame: Buffer | null = null;
    try {
      frame = encodeControl(
        reply.ok
          ? { id, ok: true, data: reply.data }
          : { id, ok: false, error: bounded(reply.error.code, reply.error.message) },
        this.framed.maxFrameSize,
      );
    } catch (error) {
      if (!(error instanceof EncodeError)) throw error;
      this.#logger.warn(
        { address: this.address, type: excerpt(type), reason: error.message },
        'reply too large',
      );
    }
    const deliverable = frame !== null && !this.framed.closed;
    if (reply.ok && reply.after) {
      if (deliverable) reply.after.sent();
      else reply.after.failed();
    }
    if (frame && deliverable) this.framed.writeFrame(frame);
    else if (!frame) {
      this.#write({
        id,
        ok: false,
        error: {
          code: ErrorCode.REPLY_TOO_LARGE,
          message: `the ${excerpt(type)} reply does not fit in one frame`,
        },
      });
    }
  }

  // ---- outgoing and backpressure ---------------------------------------------------------------

  /** Encodes and writes a control message; true when it was handed to the socket. */
  #write(message: object): boolean {
    if (this.framed.closed) return false;
    this.framed.sendControl(message);
    return true;
  }

  #send(message: object): boolean {
    try {
      const ok = this.#write(message);
      this.#checkOutput();
      return ok;
    } catch (error) {
      if (!(error instanceof EncodeError)) throw error;
      this.#logger.warn(
        { address: this.address, reason: error.message },
        'event too large: dropped',
      );
      return false;
    }
  }

  /** Pauses reading while requests or unread output pile up; closes a link stalled for too long. */
  #checkOutput(): void {
    // A media link's output is the relay's, bounded by its outgoing queue's policy instead.
    if (this.#closed || this.#kind !== 'control') return;
    const queued = this.framed.queuedBytes;
    const busy =
      this.#queue.length >= this.#limits.requestsInFlight || queued > this.#limits.outputPauseBytes;
    if (busy !== this.#paused) {
      this.#paused = busy;
      if (busy) this.framed.socket.pause();
      else this.framed.socket.resume();
    }
    if (queued > this.#limits.outputMaxBytes) {
      // Far over: events keep coming for a client that does not read them.
      this.#notReading(queued);
    } else if (queued > this.#limits.outputPauseBytes) {
      // Over the pause mark: a client that does not catch up within stallMs is closed.
      this.#stallTimer ??= setTimeout(() => {
        this.#stallTimer = null;
        if (this.framed.queuedBytes > this.#limits.outputPauseBytes)
          this.#notReading(this.framed.queuedBytes);
        else this.#checkOutput();
      }, this.#limits.stallMs);
    } else if (this.#stallTimer) {
      clearTimeout(this.#stallTimer);
      this.#stallTimer = null;
    }
  }

  #notReading(queued: number): void {
    this.#logger.warn({ address: this.address, queued }, 'closing link: the client does not read');
    this.destroy('client does not read');
  }

  #timedOut(reason: string): void {
    const heartbeat = reason === 'heartbeat timeout';
    if (!heartbeat && this.#authenticated) return;
    this.#logger.info({ address: this.address, kind: this.#kind }, reason);
    if (heartbeat && this.#authenticated)
      this.sendEvent('kicked', {
        code: ErrorCode.HEARTBEAT_TIMEOUT,
        message: 'no heartbeat from the client',
      });
    if (!heartbeat) {
      this.#send({
        event: 'protocolError',
        data: {
          code: ErrorCode.LOGIN_TIMEOUT,
          message: 'log in or attach within seconds of connecting',
        },
      });
      this.close(reason);
      return;
    }
    this.destroy(reason);
  }

  #onClose(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.abort.abort();
    for (const t of [this.#heartbeat, this.#authTimer, this.#stallTimer]) if (t) clearTimeout(t);
    this.#queue.length = 0;
    this.safeEmit('@close', reason);
  }
}
