/**
 * The UI-free client core: the control link, the session, meetings and chat, and the media links
 * behind one `MediaTransport`. The desktop UI, the CLI bot and the tests all drive this class; the
 * meeting state a UI renders lives in a `MeetingState` it exposes through getters, and every
 * change is announced with an event.
 */
import { nowMs } from '../common/clock';
import {
  CHAT_HISTORY_CLIENT_MAX,
  HEARTBEAT_INTERVAL_MS,
  MAX_FRAME_SIZE,
  REQUEST_TIMEOUT_MS,
  type FaceEffectName,
} from '../common/constants';
import { DecodeError, ErrorCode, MeetingError } from '../common/errors';
import type { FramedSocket } from '../common/FramedSocket';
import { MEDIA_LINK_KINDS } from '../common/links';
import {
  parseServerEvent,
  type ChatMessage,
  type JoinResult,
  type LoginResult,
  type MeetingInfo,
  type MemberInfo,
  type RequestParams,
  type RequestResults,
  type RequestType,
  type RoomOptions,
  type ServerEvent,
  type ServerEvents,
} from '../common/protocol';
import { TypedEmitter } from '../common/TypedEmitter';
import { ClockSync } from './ClockSync';
import { connectSocket, type ServerAddress } from './connect';
import { MediaLinks } from './MediaTransport';
import { MeetingState } from './MeetingState';
import { RequestChannel } from './RequestChannel';

export { parseServerAddress, type ServerAddress } from './connect';

export type MeetingClientEvents = {
  [K in keyof ServerEvents]: [data: ServerEvents[K]];
} & {
  /** Entered a meeting (created or joined). */
  joined: [result: JoinResult];
  /** Left the meeting (by request or because the session ended). */
  left: [];
  /** The control link closed; the client is unusable afterwards. */
  close: [reason: string];
};

export interface MeetingClientOptions {
  /** Open the audio and video links after logging in (default true). */
  media?: boolean;
  heartbeatIntervalMs?: number;
  requestTimeoutMs?: number;
}

export class MeetingClient extends TypedEmitter<MeetingClientEvents> {
  /** The server this client talks to. */
  readonly address: ServerAddress;
  /** Offset of the server's clock, sampled by every ping. */
  readonly clock = new ClockSync();
  /** The one door for media frames; it outlives the links behind it. */
  readonly transport = new MediaLinks();
  readonly #options: Required<MeetingClientOptions>;
  readonly #state = new MeetingState();
  #control: FramedSocket | null = null;
  #requests: RequestChannel | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #session: LoginResult | null = null;
  #closed = false;

  constructor(address: ServerAddress, options: MeetingClientOptions = {}) {
    super();
    this.address = address;
    this.#options = {
      media: options.media ?? true,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    };
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

  // ---- connection ----------------------------------------------------------------------------

  /** Opens the control link and starts the heartbeat (which also samples the server clock). */
  async connect(): Promise<void> {
    if (this.#control) return;
    const control = await connectSocket(this.address, MAX_FRAME_SIZE.control);
    this.#control = control;
    this.#requests = new RequestChannel(control, {
      timeoutMs: this.#options.requestTimeoutMs,
      onEvent: (name, data) => this.#onEvent(name, data),
    });
    control.on('close', (reason) => this.#onControlClose(reason));
    this.#heartbeat = setInterval(
      () => void this.ping().catch(() => undefined),
      this.#options.heartbeatIntervalMs,
    );
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
  }

  async #afterLogin(result: LoginResult): Promise<LoginResult> {
    this.#session = result;
    if (this.#options.media) {
      await Promise.all(
        MEDIA_LINK_KINDS.map((kind) =>
          this.transport.open(this.address, kind, result.token, this.#options.requestTimeoutMs),
        ),
      );
    }
    return result;
  }

  // ---- meetings and chat ---------------------------------------------------------------------

  /** Creates a meeting (with an optional password) and enters it as its host. */
  async createMeeting(name: string, password?: string): Promise<JoinResult> {
    return this.#enter(
      await this.request('createMeeting', password ? { name, password } : { name }),
    );
  }

  /** Joins a meeting by id. */
  async joinMeeting(meetingId: string, password?: string): Promise<JoinResult> {
    return this.#enter(
      await this.request('joinMeeting', password ? { meetingId, password } : { meetingId }),
    );
  }

  /** Leaves the current meeting. */
  async leaveMeeting(): Promise<void> {
    await this.request('leaveMeeting', {});
    this.#resetMeeting();
  }

  /** Sends a chat message (private when `to` names a member); resolves once the server stored it. */
  async say(text: string, to?: string): Promise<ChatMessage> {
    const message = await this.request('chat', to ? { text, to } : { text });
    this.#state.addChat(message);
    return message;
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

  /** Host only. */
  async setRoomOptions(options: RoomOptions): Promise<void> {
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

  #resetMeeting(): void {
    if (this.#state.reset()) this.safeEmit('left');
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
    this.#state.apply(event);
    if (event.name === 'kicked') {
      this.#resetMeeting();
      this.#session = null;
    }
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

  #onControlClose(reason: string): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.transport.closeAll('client closing');
    this.#resetMeeting();
    this.#session = null;
    this.#control = null;
    this.#requests = null;
    this.safeEmit('close', reason);
  }

  /** Closes every link. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const control = this.#control;
    if (!control) return;
    const closed = new Promise<void>((resolve) => control.once('close', () => resolve()));
    control.close('client closing');
    this.transport.closeAll('client closing');
    await closed;
  }
}
