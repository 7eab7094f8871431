/**
 * The UI-free client core: the control link, the session, meetings and chat, and the media links
 * behind one `MediaTransport`. The desktop UI, the CLI bot and the tests all drive this class; the
 * meeting state a UI renders lives in a `MeetingState` it exposes through getters, and every
 * change is announced with an event.
 *
 * Links are TLS, checked against a trust policy (the server's certificate pinned on first use).
 * The client pings every second and drops a control link that has not answered for about 3 s;
 * when the control link drops while logged in, it reconnects by itself (exponential back-off with
 * jitter) and resumes its session: same member in the same meeting, media links attached again,
 * chat written meanwhile sent once (each message carries a client-generated id).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { nowMs } from '../common/clock';
import {
  CHAT_HISTORY_CLIENT_MAX,
  CHAT_OUTBOX_MAX,
  KNOWN_SERVERS_FILE,
  LIVENESS_DEADLINE_MS,
  LIVENESS_PING_INTERVAL_MS,
  MAX_FRAME_SIZE,
  RECONNECT_BACKOFF,
  RECONNECT_GIVE_UP_MS,
  REQUEST_TIMEOUT_MS,
  type FaceEffectName,
} from '../common/constants';
import { DecodeError, ErrorCode, MeetingError } from '../common/errors';
import type { FramedSocket } from '../common/FramedSocket';
import { MEDIA_LINK_KINDS } from '../common/links';
import {
  parseServerEvent,
  type ChatMessage,
  type HandInfo,
  type JoinResult,
  type LoginResult,
  type MeetingInfo,
  type MemberInfo,
  type ResumeResult,
  type RequestParams,
  type RequestResults,
  type RequestType,
  type RoomOptions,
  type ServerEvent,
  type ServerEvents,
  type WaitingInfo,
} from '../common/protocol';
import { TypedEmitter } from '../common/TypedEmitter';
import { writeChatLog, chatLogName } from './ChatLog';
import { ClockSync } from './ClockSync';
import { FileTransfers } from './files/FileTransfers';
import { connectSocket, type LinkSecurity, type ServerAddress } from './connect';
import { HostControls } from './HostControls';
import { MediaLinks } from './MediaTransport';
import { MeetingState } from './MeetingState';
import { RequestChannel } from './RequestChannel';
import { KnownServers, certChanged, defaultKnownServersFile, type TrustPolicy } from './trust';

export { parseServerAddress, type ServerAddress } from './connect';

/** Reconnect back-off: first delay, growth factor, longest delay, +/- jitter as a fraction. */
export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
  jitter: number;
}

/** The delay before reconnect attempt `attempt` (1-based), jittered. */
export function backoffDelay(b: Backoff, attempt: number, random = Math.random): number {
  const base = Math.min(b.maxMs, b.initialMs * b.factor ** Math.max(0, attempt - 1));
  return Math.round(base * (1 + b.jitter * (2 * random() - 1)));
}

export type MeetingClientEvents = {
  [K in keyof ServerEvents]: [data: ServerEvents[K]];
} & {
  /** Entered a meeting (created or joined). */
  joined: [result: JoinResult];
  /** Left the meeting (by request or because the session ended). */
  left: [];
  /** A join waits in the meeting's waiting room until the host lets this client in. */
  waiting: [info: { meetingId: string }];
  /** The control link closed and the client will not reconnect: it is unusable afterwards. */
  close: [reason: string];
  /** The control link dropped; attempt `attempt` to resume starts in `delayMs`. */
  reconnecting: [info: { attempt: number; delayMs: number; reason: string }];
  /** The session was resumed after `downMs` and `attempts` attempts. */
  reconnected: [info: { attempts: number; downMs: number }];
  /** Reconnecting gave up or the server no longer knows the session ('close' follows). */
  sessionLost: [error: MeetingError];
  /** Followed a redirect: the session now lives on the meeting's node at `address`. */
  moved: [address: ServerAddress];
  /** The chat of the meeting just left was written to this file. */
  chatSaved: [file: string];
  /** The chat log could not be written. */
  chatSaveFailed: [message: string];
};

export interface MeetingClientOptions {
  /** Open the audio and video links after logging in (default true). */
  media?: boolean;
  /** Liveness ping interval (also samples the server clock). */
  heartbeatIntervalMs?: number;
  /** A control link with no ping answered for this long is dropped (then resumed). */
  livenessDeadlineMs?: number;
  requestTimeoutMs?: number;
  /** Plain TCP instead of TLS (the server must be started with --plain too). */
  plain?: boolean;
  /** Which server certificates to trust (default: the user's known-servers file, pinned on first use). */
  trust?: TrustPolicy;
  /** Reconnect and resume after a dropped control link (default true). */
  reconnect?: boolean;
  backoff?: Backoff;
  /** Stop trying to resume after this long (ms). */
  giveUpMs?: number;
  /**
   * Where the chat of a meeting is written when this client leaves it: a folder (one file per
   * meeting, named by time, meeting name and id), or a function naming the file; null: not saved.
   */
  chatLog?: string | ((meeting: MeetingInfo) => string) | null;
  /**
   * Other nodes of a cluster to try when neither the node this client is on nor its entry address
   * answers a reconnect (a dead node's sessions resume on a survivor).
   */
  nodes?: ServerAddress[];
}

/** A chat message waiting for a link to go out on (written while reconnecting). */
interface Outgoing {
  text: string;
  to: string | undefined;
  /** Send a text with @mentions to the whole room. */
  everyone: boolean;
  clientId: string;
  resolve: (message: ChatMessage) => void;
  reject: (error: Error) => void;
}

export class MeetingClient extends TypedEmitter<MeetingClientEvents> {
  /** The server this client talks to (another node after a redirect). */
  get address(): ServerAddress {
    return this.#address;
  }
  #address: ServerAddress;
  /** A certificate a trusted node named in a redirect (pinned without the trust store). */
  #vouched: string | null = null;
  /**
   * The address this client was made with (a cluster's entry address): where to reconnect when
   * the node a redirect led to is gone.
   */
  readonly entryAddress: ServerAddress;
  /** The last `redirect` event, read when its ERR_REDIRECT reply comes. */
  #redirect: ServerEvents['redirect'] | null = null;
  /** Offset of the server's clock, sampled by every ping. */
  readonly clock = new ClockSync();
  /** The one door for media frames; it outlives the links behind it. */
  readonly transport = new MediaLinks();
  /** Host controls, raised hands and reactions. */
  readonly host = new HostControls((type, data) => this.request(type, data));
  readonly #options: Required<Omit<MeetingClientOptions, 'trust' | 'chatLog' | 'nodes'>>;
  /** Known cluster nodes besides the entry address (MeetingClientOptions.nodes). */
  readonly #nodes: ServerAddress[];
  readonly #trust: TrustPolicy;
  /** File sharing: uploads, downloads and the files offered to this member. */
  readonly files: FileTransfers;
  /** Chat-log destination (see MeetingClientOptions.chatLog); may be changed at any time. */
  chatLog: string | ((meeting: MeetingInfo) => string) | null;
  readonly #state = new MeetingState();
  #control: FramedSocket | null = null;
  #requests: RequestChannel | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #lastAnswer = 0;
  #session: LoginResult | null = null;
  /** Fingerprint of the server's certificate, pinned for every later link of this client. */
  #fingerprint: string | null = null;
  /** True from a dropped control link until resumed or given up. */
  #reconnecting = false;
  #wake: (() => void) | null = null;
  /** The server ended the session (kicked): do not try to resume it. */
  #ended = false;
  readonly #outbox: Outgoing[] = [];
  #closed = false;

  constructor(address: ServerAddress, options: MeetingClientOptions = {}) {
    super();
    this.#address = address;
    this.entryAddress = address;
    this.#options = {
      media: options.media ?? true,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? LIVENESS_PING_INTERVAL_MS,
      livenessDeadlineMs: options.livenessDeadlineMs ?? LIVENESS_DEADLINE_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      plain: options.plain ?? false,
      reconnect: options.reconnect ?? true,
      backoff: options.backoff ?? RECONNECT_BACKOFF,
      giveUpMs: options.giveUpMs ?? RECONNECT_GIVE_UP_MS,
    };
    this.#trust =
      options.trust ?? new KnownServers(defaultKnownServersFile(os.homedir(), KNOWN_SERVERS_FILE));
    this.chatLog = options.chatLog ?? null;
    this.#nodes = [...(options.nodes ?? [])];
    const current = (): ServerAddress => this.#address;
    this.files = new FileTransfers({
      // Read at each opening: the files link follows a redirect or a move to another node.
      get address(): ServerAddress {
        return current();
      },
      requestTimeoutMs: this.#options.requestTimeoutMs,
      security: () => this.#security(),
      token: () => this.#session?.token ?? null,
      request: (type, data) => this.request(type, data),
    });
  }

  // ---- state a UI renders --------------------------------------------------------------------

  /** The logged-in session, or null. */
  get session(): LoginResult | null {
    return this.#session;
  }
  /** The meeting this client is in, or null. */
  get meeting(): MeetingInfo | null {
    return this.#state.meeting;
  }
  /** Members of the current meeting, oldest first (self included). */
  get members(): MemberInfo[] {
    return this.#state.members;
  }
  /** Chat of the current meeting: history on join, then live messages. */
  get chat(): readonly ChatMessage[] {
    return this.#state.chat;
  }
  /** Options the host set for the current meeting. */
  get roomOptions(): RoomOptions {
    return this.#state.options;
  }
  /** Raised hands in the current meeting, the earliest first. */
  get hands(): HandInfo[] {
    return this.#state.hands;
  }
  /** Who waits to be let in (kept for the host and co-hosts). */
  get waiting(): readonly WaitingInfo[] {
    return this.#state.waiting;
  }
  /** This client's own member entry in the current meeting. */
  get self(): MemberInfo | undefined {
    return this.#session ? this.#state.member(this.#session.memberId) : undefined;
  }
  /** The member whose screen share keeps this one from starting one, or null when it may. */
  get shareBlockedBy(): MemberInfo | null {
    return this.#state.shareBlockedBy(this.#session?.memberId ?? null);
  }
  /** True while the control link is open. */
  get connected(): boolean {
    return this.#control !== null && !this.#control.closed;
  }
  /** True while the client is trying to resume its session after a dropped link. */
  get reconnecting(): boolean {
    return this.#reconnecting;
  }
  /** SHA-256 fingerprint of the server's certificate (null before connecting, or plain TCP). */
  get fingerprint(): string | null {
    return this.#fingerprint;
  }

  // ---- connection ----------------------------------------------------------------------------

  /** Opens the control link and starts the heartbeat (which also samples the server clock). */
  async connect(): Promise<void> {
    if (this.#control) return;
    await this.#openControl();
  }

  /** How every link of this client is secured: TLS pinned to the first certificate seen. */
  #security(): LinkSecurity {
    if (this.#options.plain) return { plain: true };
    return {
      verify: (fingerprint) => {
        if (this.#fingerprint !== null && fingerprint !== this.#fingerprint)
          throw certChanged(this.address, this.#fingerprint, fingerprint);
        if (this.#vouched !== fingerprint) this.#trust.check(this.address, fingerprint);
        this.#fingerprint = fingerprint;
      },
    };
  }

  async #openControl(): Promise<void> {
    const control = await connectSocket(
      this.address,
      MAX_FRAME_SIZE.control,
      this.#security(),
      this.#options.requestTimeoutMs,
    );
    if (this.#closed) {
      control.destroy('client closing');
      throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'client closed');
    }
    this.#control = control;
    this.#requests = new RequestChannel(control, {
      timeoutMs: this.#options.requestTimeoutMs,
      onEvent: (name, data) => this.#onEvent(name, data),
    });
    control.on('close', (reason) => this.#onControlClose(control, reason));
    this.#lastAnswer = nowMs();
    // Pings keep the server's heartbeat, sample the clock, and tell a dead link from a live one.
    this.#heartbeat = setInterval(() => {
      if (nowMs() - this.#lastAnswer > this.#options.livenessDeadlineMs) {
        control.destroy('the server stopped answering');
        return;
      }
      void this.ping().catch(() => undefined);
    }, this.#options.heartbeatIntervalMs);
    this.#heartbeat.unref();
  }

  /** Sends a request and resolves with its typed result; rejects with a MeetingError. */
  request<K extends RequestType>(type: K, data: RequestParams<K>): Promise<RequestResults[K]> {
    if (!this.#requests)
      return Promise.reject(new MeetingError(ErrorCode.CONNECTION_CLOSED, 'not connected'));
    return this.#requests.request(type, data);
  }

  /** Heartbeat and clock sample; resolves with the round-trip time (ms). */
  async ping(): Promise<number> {
    const sent = nowMs();
    const reply = await this.request('ping', { clientTime: sent });
    const received = nowMs();
    this.#lastAnswer = received;
    this.clock.add({ sent, server: reply.serverTime, received });
    return received - sent;
  }

  /** Takes `samples` clock samples back to back (for a good offset before media starts). */
  async syncClock(samples = 5): Promise<void> {
    for (let i = 0; i < samples; i++) await this.ping();
  }

  /** Creates an account and logs into it (then attaches the media links). */
  async register(username: string, password: string): Promise<LoginResult> {
    return this.#afterLogin(await this.request('register', { username, password }));
  }

  /** Logs in (then attaches the media links). */
  async login(username: string, password: string): Promise<LoginResult> {
    return this.#afterLogin(await this.request('login', { username, password }));
  }

  /** Ends the session; the control link stays open for another login. */
  async logout(): Promise<void> {
    await this.request('logout', {});
    this.#resetMeeting();
    this.#session = null;
    this.transport.closeAll('client closing');
    this.#failOutbox(new MeetingError(ErrorCode.NOT_LOGGED_IN, 'logged out'));
  }

  async #afterLogin(result: LoginResult): Promise<LoginResult> {
    this.#session = result;
    this.#ended = false;
    await this.#attachMedia(result.token);
    return result;
  }

  async #attachMedia(token: string): Promise<void> {
    if (!this.#options.media) return;
    const security = this.#security();
    await Promise.all(
      MEDIA_LINK_KINDS.map((kind) =>
        this.transport.open(this.address, security, kind, token, this.#options.requestTimeoutMs),
      ),
    );
  }

  // ---- meetings and chat ---------------------------------------------------------------------

  /** Creates a meeting (with an optional password) and enters it as its host. */
  async createMeeting(name: string, password?: string): Promise<JoinResult> {
    return this.#enter(
      await this.#following(
        () => this.request('createMeeting', password ? { name, password } : { name }),
        password,
      ),
    );
  }

  /**
   * Joins a meeting by id. In a meeting with a waiting room this waits (emitting 'waiting') until
   * the host lets this client in, then joins; rejects with ERR_WAITING_DENIED when turned away.
   */
  async joinMeeting(meetingId: string, password?: string): Promise<JoinResult> {
    const params = password ? { meetingId, password } : { meetingId };
    for (;;) {
      try {
        return await this.#enter(
          await this.#following(() => this.request('joinMeeting', params), password),
        );
      } catch (error) {
        if (!(error instanceof MeetingError) || error.code !== ErrorCode.WAITING_ROOM) throw error;
        const admitted = this.#admission();
        this.safeEmit('waiting', { meetingId });
        await admitted;
      }
    }
  }

  /** Leaves the current meeting. */
  async leaveMeeting(): Promise<void> {
    await this.request('leaveMeeting', {});
    this.#resetMeeting();
  }

  /**
   * Sends a chat message (private when `to` names a member; `everyone` sends a text with @mentions
   * to the whole room rather than to the members it names); resolves once the server stored it.
   * While reconnecting the message waits in an outbox and goes out once the session is resumed;
   * its client-generated id makes the server store it once however often it is sent.
   */
  say(text: string, to?: string, options: { everyone?: boolean } = {}): Promise<ChatMessage> {
    return new Promise<ChatMessage>((resolve, reject) => {
      const item: Outgoing = {
        text,
        to,
        everyone: options.everyone === true,
        clientId: randomUUID(),
        resolve,
        reject,
      };
      if (this.#reconnecting) this.#queue(item);
      else void this.#send(item);
    });
  }

  async #send(item: Outgoing): Promise<void> {
    const { text, to, clientId, everyone } = item;
    try {
      const message = await this.request(
        'chat',
        to ? { text, to, clientId } : everyone ? { text, clientId, everyone } : { text, clientId },
      );
      this.#state.addChat(message);
      item.resolve(message);
    } catch (error) {
      // The link dropped with the message on its way: send it again once resumed (same id).
      const lost =
        error instanceof MeetingError &&
        (error.code === ErrorCode.CONNECTION_CLOSED || error.code === ErrorCode.TIMEOUT);
      if (lost && (this.#reconnecting || this.#willReconnect())) this.#queue(item);
      else item.reject(error as Error);
    }
  }

  #queue(item: Outgoing): void {
    if (this.#outbox.length >= CHAT_OUTBOX_MAX) {
      item.reject(
        new MeetingError(ErrorCode.CONNECTION_CLOSED, 'not connected, and too many messages wait'),
      );
      return;
    }
    this.#outbox.push(item);
  }

  async #flushOutbox(): Promise<void> {
    while (this.#outbox.length > 0 && !this.#reconnecting && this.connected) {
      const item = this.#outbox.shift() as Outgoing;
      await this.#send(item);
    }
  }

  #failOutbox(error: Error): void {
    for (const item of this.#outbox.splice(0)) item.reject(error);
  }

  /** Whether a drop of the control link now would be followed by a resume. */
  #willReconnect(): boolean {
    return this.#options.reconnect && this.#session !== null && !this.#ended && !this.#closed;
  }

  /** Tells the room whether this member's microphone and camera are on. */
  async setMediaState(audio: boolean, video: boolean): Promise<void> {
    await this.request('setMediaState', { audio, video });
    if (this.#session) this.#state.patchMember(this.#session.memberId, { audio, video });
  }

  /** Chooses the face effect (remembered for the account; the room is told). */
  async setEffect(effect: FaceEffectName): Promise<void> {
    await this.request('setEffect', { effect });
    if (this.#session) this.#session = { ...this.#session, effect };
    if (this.#session) this.#state.patchMember(this.#session.memberId, { effect });
  }

  /** Asks for the screen-share grant; rejects with ERR_SCREEN_SHARE_BUSY while someone else shares. */
  async startScreenShare(): Promise<void> {
    await this.request('startScreenShare', {});
    if (this.#session) this.#state.patchMember(this.#session.memberId, { screen: true });
  }

  /** Gives the screen-share grant back. */
  async stopScreenShare(): Promise<void> {
    await this.request('stopScreenShare', {});
    if (this.#session) this.#state.patchMember(this.#session.memberId, { screen: false });
  }

  /** Host or co-host; options left out keep their value. */
  async setRoomOptions(options: Partial<RoomOptions>): Promise<void> {
    this.#state.setOptions(await this.request('setRoomOptions', options));
  }

  /**
   * Takes the meeting a create or join returned, then fetches the older pages of its chat history
   * (the join reply holds only the newest page), up to CHAT_HISTORY_CLIENT_MAX messages.
   */
  async #enter(result: JoinResult): Promise<JoinResult> {
    this.#state.enter(result);
    let more = result.historyMore;
    while (more && this.#state.chat.length < CHAT_HISTORY_CLIENT_MAX) {
      const oldest = this.#state.chat[0]?.id;
      const page = await this.request(
        'chatHistory',
        oldest !== undefined ? { before: oldest } : {},
      );
      this.#state.prependChat(page.messages);
      more = page.more && page.messages.length > 0;
    }
    const full: JoinResult = { ...result, history: [...this.#state.chat], historyMore: more };
    this.safeEmit('joined', full);
    return full;
  }

  /**
   * Resolves when the host lets this client in; rejects with ERR_WAITING_DENIED when turned away,
   * ERR_CONNECTION_CLOSED when the link closes first.
   */
  #admission(): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle = (error: MeetingError | null): void => {
        this.off('admitted', onAdmitted);
        this.off('waitingDenied', onDenied);
        this.off('close', onClose);
        this.off('reconnected', onReconnected);
        if (error) reject(error);
        else resolve();
      };
      const onAdmitted = (): void => settle(null);
      const onDenied = (): void =>
        settle(new MeetingError(ErrorCode.WAITING_DENIED, 'the host did not let you in'));
      const onClose = (): void =>
        settle(new MeetingError(ErrorCode.CONNECTION_CLOSED, 'the link closed while waiting'));
      // An answer sent while the link was down is lost: ask again (the server keeps the place).
      const onReconnected = (): void => settle(null);
      this.on('admitted', onAdmitted);
      this.on('waitingDenied', onDenied);
      this.on('close', onClose);
      this.on('reconnected', onReconnected);
    });
  }

  // ---- several nodes: following a redirect -----------------------------------------------------

  /**
   * Runs a create or join; when the meeting lives on another node (ERR_REDIRECT, after a
   * `redirect` event), moves the session there with the event's ticket and joins there.
   */
  async #following(first: () => Promise<JoinResult>, password?: string): Promise<JoinResult> {
    let attempt = first;
    for (let hops = 0; ; hops++) {
      this.#redirect = null;
      try {
        return await attempt();
      } catch (error) {
        const to = this.#redirect as ServerEvents['redirect'] | null;
        if (
          !(error instanceof MeetingError) ||
          error.code !== ErrorCode.REDIRECT ||
          !to ||
          hops >= 2
        )
          throw error;
        try {
          await this.#moveTo({ ...this.#address, host: to.host, port: to.port }, to);
        } catch (moveError) {
          // Neither node holds this client now: it is closed, as after a lost link.
          if (this.#control) this.#control.close('redirect failed');
          else this.#end('redirect failed');
          throw moveError;
        }
        const meetingId = to.meetingId;
        attempt = () =>
          this.request('joinMeeting', password ? { meetingId, password } : { meetingId });
      }
    }
  }

  /**
   * Leaves this node's links quietly and takes the session to `address` with the redirect's
   * handoff ticket. The new node's certificate is the one the redirect named: the node this client
   * trusted vouches for it, so it is pinned without asking the trust store.
   */
  async #moveTo(
    address: ServerAddress,
    to: { ticket: string; fingerprint: string | null },
  ): Promise<void> {
    const old = this.#control;
    const requests = this.#requests;
    // Cleared first: the old link's close is then not a drop to reconnect from.
    this.#control = null;
    this.#requests = null;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    old?.close('redirected');
    this.transport.closeAll('redirected');
    requests?.failAll(new MeetingError(ErrorCode.CONNECTION_CLOSED, 'redirected'));
    this.#session = null;
    this.#address = address;
    this.#fingerprint = to.fingerprint;
    this.#vouched = to.fingerprint;
    await this.connect();
    await this.#afterLogin(await this.request('handoff', { ticket: to.ticket }));
    this.safeEmit('moved', address);
  }

  #resetMeeting(): void {
    const meeting = this.#state.meeting;
    if (meeting) this.#saveChat(meeting);
    if (meeting) this.files.leftMeeting();
    if (this.#state.reset()) this.safeEmit('left');
  }

  /** Writes the chat this client saw in `meeting` where `chatLog` says, if anywhere. */
  #saveChat(meeting: MeetingInfo): void {
    const where = this.chatLog;
    if (where === null) return;
    try {
      const file =
        typeof where === 'function' ? where(meeting) : path.join(where, chatLogName(meeting));
      this.safeEmit('chatSaved', writeChatLog(file, meeting, this.#state.chat));
    } catch (error) {
      this.safeEmit('chatSaveFailed', (error as Error).message);
    }
  }

  // ---- incoming ------------------------------------------------------------------------------

  #onEvent(name: string, data: unknown): void {
    let event: ServerEvent | null;
    try {
      event = parseServerEvent(name, data);
    } catch (error) {
      // A malformed event is dropped whole rather than applied in part; the application hears of
      // it, the link stays up (the rest of what the server says may be fine).
      const e = error instanceof DecodeError ? error : new DecodeError(String(error));
      this.safeEmit('protocolError', { code: e.code, message: e.message });
      return;
    }
    // Events from a newer server are ignored.
    if (!event) return;
    if (event.name === 'redirect') this.#redirect = event.data;
    this.#state.apply(event);
    if (event.name === 'fileOffered') this.files.offeredEvent(event.data);
    // A heartbeat timeout leaves the session waiting for a resume; any other kick ends it.
    if (event.name === 'kicked' && event.data.code !== ErrorCode.HEARTBEAT_TIMEOUT) {
      this.#ended = true;
      this.#resetMeeting();
      this.#session = null;
    }
    // Removed by the host, or the meeting ended: out of it (the session stays).
    if (event.name === 'removed' || event.name === 'meetingEnded') this.#resetMeeting();
    this.#announce(event);
  }

  /** Emits a validated event under its own name. */
  #announce(event: ServerEvent): void {
    // `event` pairs a name with that name's validated payload; TypeScript cannot follow the pairing
    // into the intersection of the events map, so the emitter is seen through one signature.
    const emit = this.safeEmit.bind(this) as <K extends keyof ServerEvents>(
      name: K,
      data: ServerEvents[K],
    ) => boolean;
    emit(event.name, event.data);
  }

  #onControlClose(control: FramedSocket, reason: string): void {
    if (control !== this.#control) return;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.#control = null;
    this.#requests = null;
    if (this.#reconnecting) return;
    if (this.#willReconnect()) {
      void this.#reconnect(reason);
      return;
    }
    this.#end(reason);
  }

  /** The session is over for good: forget it and tell the application. */
  #end(reason: string): void {
    this.transport.closeAll('client closing');
    this.#resetMeeting();
    this.#session = null;
    this.#failOutbox(new MeetingError(ErrorCode.CONNECTION_CLOSED, `connection closed: ${reason}`));
    this.safeEmit('close', reason);
  }

  /** Tries to resume the session until it works, the server refuses it, or time runs out. */
  async #reconnect(reason: string): Promise<void> {
    this.#reconnecting = true;
    // Media links of the dropped session are useless: the server closed them (or will).
    this.transport.closeAll('reconnecting');
    const started = Date.now();
    let lastError: MeetingError = new MeetingError(ErrorCode.CONNECTION_CLOSED, reason);
    /** Nodes that could not be reached during this reconnect (`host:port`). */
    const unreachable = new Set<string>();
    let skipDelay = false;
    for (let attempt = 1; !this.#closed; attempt++) {
      if (Date.now() - started > this.#options.giveUpMs) {
        this.#lose(
          new MeetingError(
            ErrorCode.SESSION_LOST,
            `could not reach the server for ${Math.round((Date.now() - started) / 1000)} s: ${lastError.message}`,
          ),
        );
        return;
      }
      const delayMs = skipDelay ? 0 : backoffDelay(this.#options.backoff, attempt);
      skipDelay = false;
      this.safeEmit('reconnecting', { attempt, delayMs, reason });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
      if (this.#closed) return;
      let reached = false;
      this.#redirect = null;
      try {
        await this.#openControl();
        reached = true;
        const session = this.#session as LoginResult;
        const result = await this.request('resume', { token: session.resumeToken });
        await this.#resumed(result, attempt, started);
        return;
      } catch (error) {
        // Several nodes: an unreachable node is left for the next known one; a node that does not
        // hold the session sends this client where it lives.
        const redirect = this.#redirect as ServerEvents['redirect'] | null;
        if (!reached) this.#reconnectTarget(null, unreachable);
        else if (redirect && error instanceof MeetingError && error.code === ErrorCode.REDIRECT)
          skipDelay = this.#reconnectTarget(redirect, unreachable);
        const e =
          error instanceof MeetingError
            ? error
            : new MeetingError(ErrorCode.CONNECTION_CLOSED, String(error));
        lastError = e;
        const control = this.#control;
        if (control) {
          if (this.#heartbeat) clearInterval(this.#heartbeat);
          this.#heartbeat = null;
          this.#control = null;
          this.#requests = null;
          control.destroy('resume failed');
        }
        // The server no longer knows the session, or the certificate changed: trying again
        // cannot help.
        if (e.code === ErrorCode.RESUME_FAILED || e.code === ErrorCode.CERT_CHANGED) {
          this.#lose(
            e.code === ErrorCode.RESUME_FAILED
              ? new MeetingError(ErrorCode.SESSION_LOST, e.message)
              : e,
          );
          return;
        }
      }
    }
  }

  /**
   * Where the next resume attempt goes: to the node a `redirect` names (unless it could not be
   * reached during this reconnect: then stay), else, the current node being unreachable, to the
   * next known node (entry address, then `nodes`). True when the redirect is followed.
   */
  #reconnectTarget(redirect: ServerEvents['redirect'] | null, unreachable: Set<string>): boolean {
    const key = (a: { host: string; port: number }): string => `${a.host}:${a.port}`;
    if (redirect) {
      if (unreachable.has(key(redirect))) return false;
      this.#address = { ...this.#address, host: redirect.host, port: redirect.port };
      this.#fingerprint = redirect.fingerprint;
      this.#vouched = redirect.fingerprint;
      return true;
    }
    unreachable.add(key(this.#address));
    const known = [this.entryAddress, ...this.#nodes];
    if (known.length === 0) return false;
    const at = known.findIndex((a) => key(a) === key(this.#address));
    const next = known[(at + 1) % known.length] as ServerAddress;
    if (key(next) === key(this.#address)) return false;
    this.#address = next;
    // Each node has its own certificate: the trust store judges the next one.
    this.#fingerprint = null;
    this.#vouched = null;
    return false;
  }

  async #resumed(result: ResumeResult, attempts: number, started: number): Promise<void> {
    const { meeting, ...session } = result;
    this.#session = session;
    if (meeting) this.#state.refresh(meeting);
    else this.#resetMeeting();
    try {
      await this.#attachMedia(session.token);
    } catch {
      // The session is back; media links that failed to attach leave those streams silent until
      // the next resume rather than failing the whole reconnect.
    }
    this.#reconnecting = false;
    this.safeEmit('reconnected', { attempts, downMs: Date.now() - started });
    void this.#flushOutbox();
  }

  #lose(error: MeetingError): void {
    this.#reconnecting = false;
    this.safeEmit('sessionLost', error);
    this.#end(error.message);
  }

  /** Closes every link. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    this.#failOutbox(new MeetingError(ErrorCode.CONNECTION_CLOSED, 'client closing'));
    const control = this.#control;
    this.transport.closeAll('client closing');
    this.files.close();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    if (!control) return;
    const closed = new Promise<void>((resolve) => control.once('close', () => resolve()));
    control.close('client closing');
    await closed;
  }
}
