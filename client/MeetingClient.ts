/**
 * The UI-free client core: control link, session, meetings, chat, and the audio and video links.
 * The desktop UI, the CLI bot and the tests all drive this class; it holds the meeting state that a
 * UI renders (members, host, chat) and emits an event on every change.
 */
import net from 'node:net';
import { nowMs } from '../common/clock';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  FrameType,
  HEARTBEAT_INTERVAL_MS,
  MAX_FRAME_SIZE,
  REQUEST_TIMEOUT_MS,
} from '../common/constants';
import { ErrorCode, MeetingError, isErrorCode, type ErrorCodeValue } from '../common/errors';
import { FramedSocket } from '../common/FramedSocket';
import { frameType } from '../common/framing';
import {
  decodeControlFrame,
  parseServerMessage,
  type ChatMessage,
  type JoinResult,
  type LoginResult,
  type MeetingInfo,
  type MemberInfo,
  type RequestParams,
  type RequestResults,
  type RequestType,
  type RoomOptions,
  type ServerEvents,
} from '../common/protocol';
import type { FaceEffectName } from '../common/constants';
import { TypedEmitter } from '../common/TypedEmitter';
import { ClockSync } from './ClockSync';

export interface ServerAddress {
  host: string;
  port: number;
}

/** Parses `HOST:PORT` (or `PORT`, or `HOST`) into an address. */
export function parseServerAddress(value: string): ServerAddress {
  const match = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(value.trim());
  if (match) return { host: match[1] || DEFAULT_HOST, port: Number(match[2]) };
  if (value.trim()) return { host: value.trim(), port: DEFAULT_PORT };
  throw new TypeError(`server address '${value}' is not HOST:PORT`);
}

export type MeetingClientEvents = {
  [K in keyof ServerEvents]: [data: ServerEvents[K]];
} & {
  /** Entered a meeting (created or joined). */
  joined: [result: JoinResult];
  /** Left the meeting (by request or because the session ended). */
  left: [];
  /** A media frame arrived on the audio or video link (whole frame, prefix included). */
  media: [frame: Buffer, link: 'audio' | 'video'];
  /** The server reported a protocol error not tied to a request. */
  protocolError: [error: { code: string; message: string }];
  /** The control link closed; the client is unusable afterwards. */
  close: [reason: string];
};

export interface MeetingClientOptions {
  /** Open the audio and video links after logging in (default true). */
  media?: boolean;
  heartbeatIntervalMs?: number;
  requestTimeoutMs?: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

function connectSocket(address: ServerAddress, maxFrameSize: number): Promise<FramedSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address.host, port: address.port });
    const onError = (error: Error): void => {
      socket.destroy();
      reject(
        new MeetingError(
          ErrorCode.CONNECT_FAILED,
          `cannot reach ${address.host}:${address.port}: ${error.message}`,
        ),
      );
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(new FramedSocket(socket, maxFrameSize));
    });
  });
}

/** Sends requests on one framed link and matches replies by id. */
class RequestChannel {
  readonly #socket: FramedSocket;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  constructor(socket: FramedSocket, timeoutMs: number) {
    this.#socket = socket;
    this.#timeoutMs = timeoutMs;
    socket.on('close', (reason) =>
      this.failAll(new MeetingError(ErrorCode.CONNECTION_CLOSED, `connection closed: ${reason}`)),
    );
  }

  request<K extends RequestType>(type: K, data: RequestParams<K>): Promise<RequestResults[K]> {
    if (this.#socket.closed) {
      return Promise.reject(new MeetingError(ErrorCode.CONNECTION_CLOSED, 'connection closed'));
    }
    const id = this.#nextId++;
    return new Promise<RequestResults[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new MeetingError(ErrorCode.TIMEOUT, `no reply to ${type} within ${this.#timeoutMs} ms`),
        );
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.#socket.sendControl({ id, type, data });
    });
  }

  /** Settles the request a reply answers; false when no request has that id. */
  settle(
    id: number,
    ok: boolean,
    data: unknown,
    error?: { code: string; message: string },
  ): boolean {
    const pending = this.#pending.get(id);
    if (!pending) return false;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (ok) pending.resolve(data);
    else {
      const code: ErrorCodeValue =
        error && isErrorCode(error.code) ? error.code : ErrorCode.INTERNAL;
      pending.reject(new MeetingError(code, error?.message ?? 'request failed'));
    }
    return true;
  }

  failAll(error: Error): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(error);
    }
  }
}

export class MeetingClient extends TypedEmitter<MeetingClientEvents> {
  readonly address: ServerAddress;
  readonly clock = new ClockSync();
  readonly #options: Required<MeetingClientOptions>;
  #control: FramedSocket | null = null;
  #requests: RequestChannel | null = null;
  #media: { audio: FramedSocket | null; video: FramedSocket | null } = { audio: null, video: null };
  #heartbeat: NodeJS.Timeout | null = null;
  #session: LoginResult | null = null;
  #meeting: MeetingInfo | null = null;
  #members = new Map<number, MemberInfo>();
  #chat: ChatMessage[] = [];
  #roomOptions: RoomOptions = { allowMultipleScreens: false };
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

  get session(): LoginResult | null {
    return this.#session;
  }
  get meeting(): MeetingInfo | null {
    return this.#meeting;
  }
  /** Members of the current meeting, oldest first (self included). */
  get members(): MemberInfo[] {
    return [...this.#members.values()];
  }
  /** Chat of the current meeting: history on join, then live messages. */
  get chat(): readonly ChatMessage[] {
    return this.#chat;
  }
  /** Options the host set for the current meeting. */
  get roomOptions(): RoomOptions {
    return this.#roomOptions;
  }
  /** This client's own member entry in the current meeting. */
  get self(): MemberInfo | undefined {
    return this.#session ? this.#members.get(this.#session.memberId) : undefined;
  }
  get connected(): boolean {
    return this.#control !== null && !this.#control.closed;
  }

  // ---- connection ----------------------------------------------------------------------------

  /** Opens the control link and starts the heartbeat (which also samples the server clock). */
  async connect(): Promise<void> {
    if (this.#control) return;
    const control = await connectSocket(this.address, MAX_FRAME_SIZE.control);
    this.#control = control;
    this.#requests = new RequestChannel(control, this.#options.requestTimeoutMs);
    control.on('frame', (frame) => this.#onControlFrame(frame));
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

  async register(username: string, password: string): Promise<LoginResult> {
    return this.#afterLogin(await this.request('register', { username, password }));
  }

  async login(username: string, password: string): Promise<LoginResult> {
    return this.#afterLogin(await this.request('login', { username, password }));
  }

  async logout(): Promise<void> {
    await this.request('logout', {});
    this.#resetMeeting();
    this.#session = null;
    this.#closeMedia();
  }

  async #afterLogin(result: LoginResult): Promise<LoginResult> {
    this.#session = result;
    if (this.#options.media) {
      await Promise.all([this.#attach('audio', result.token), this.#attach('video', result.token)]);
    }
    return result;
  }

  async #attach(kind: 'audio' | 'video', token: string): Promise<void> {
    const socket = await connectSocket(this.address, MAX_FRAME_SIZE.control);
    const channel = new RequestChannel(socket, this.#options.requestTimeoutMs);
    socket.on('frame', (frame) => {
      if (frameType(frame) === FrameType.MEDIA) {
        this.safeEmit('media', frame, kind);
        return;
      }
      const message = parseServerMessage(decodeControlFrame(frame));
      if ('id' in message)
        channel.settle(
          message.id,
          message.ok,
          message.ok ? message.data : undefined,
          message.ok ? undefined : message.error,
        );
    });
    try {
      await channel.request('attach', { token, link: kind });
    } catch (error) {
      socket.destroy('attach failed');
      throw error;
    }
    socket.maxFrameSize = MAX_FRAME_SIZE[kind];
    this.#media[kind] = socket;
    socket.on('close', () => {
      if (this.#media[kind] === socket) this.#media[kind] = null;
    });
  }

  /** Writes a whole media frame on the audio or video link; false when the link is backed up or absent. */
  sendMedia(link: 'audio' | 'video', frame: Buffer): boolean {
    const socket = this.#media[link];
    return socket ? socket.writeFrame(frame) : false;
  }

  /** The media link, for callers that watch backpressure ('drain'). */
  mediaLink(link: 'audio' | 'video'): FramedSocket | null {
    return this.#media[link];
  }

  // ---- meetings and chat ---------------------------------------------------------------------

  async createMeeting(name: string, password?: string): Promise<JoinResult> {
    return this.#enter(
      await this.request('createMeeting', password ? { name, password } : { name }),
    );
  }

  async joinMeeting(meetingId: string, password?: string): Promise<JoinResult> {
    return this.#enter(
      await this.request('joinMeeting', password ? { meetingId, password } : { meetingId }),
    );
  }

  async leaveMeeting(): Promise<void> {
    await this.request('leaveMeeting', {});
    this.#resetMeeting();
  }

  /** Sends a chat message (private when `to` names a member); resolves once the server stored it. */
  async say(text: string, to?: string): Promise<ChatMessage> {
    const message = await this.request('chat', to ? { text, to } : { text });
    this.#chat.push(message);
    return message;
  }

  async setMediaState(audio: boolean, video: boolean): Promise<void> {
    await this.request('setMediaState', { audio, video });
    const self = this.#session && this.#members.get(this.#session.memberId);
    if (self) this.#members.set(self.memberId, { ...self, audio, video });
  }

  /** Chooses the face effect (remembered for the account; the room is told). */
  async setEffect(effect: FaceEffectName): Promise<void> {
    await this.request('setEffect', { effect });
    if (this.#session) this.#session = { ...this.#session, effect };
    if (this.#session) this.#patchMember(this.#session.memberId, { effect });
  }

  /** Asks for the screen-share grant; rejects with ERR_SCREEN_SHARE_BUSY while someone else shares. */
  async startScreenShare(): Promise<void> {
    await this.request('startScreenShare', {});
    if (this.#session) this.#patchMember(this.#session.memberId, { screen: true });
  }

  async stopScreenShare(): Promise<void> {
    await this.request('stopScreenShare', {});
    if (this.#session) this.#patchMember(this.#session.memberId, { screen: false });
  }

  /** Host only. */
  async setRoomOptions(options: RoomOptions): Promise<void> {
    this.#roomOptions = await this.request('setRoomOptions', options);
  }

  #enter(result: JoinResult): JoinResult {
    this.#meeting = result.meeting;
    this.#roomOptions = { ...result.options };
    this.#members = new Map(result.members.map((m) => [m.memberId, m]));
    this.#chat = [...result.history];
    this.safeEmit('joined', result);
    return result;
  }

  #resetMeeting(): void {
    if (!this.#meeting) return;
    this.#meeting = null;
    this.#members.clear();
    this.#chat = [];
    this.safeEmit('left');
  }

  // ---- incoming ------------------------------------------------------------------------------

  #onControlFrame(frame: Buffer): void {
    let message;
    try {
      message = parseServerMessage(decodeControlFrame(frame));
    } catch (error) {
      this.#control?.destroy(`bad message from server: ${(error as Error).message}`);
      return;
    }
    if ('id' in message) {
      this.#requests?.settle(
        message.id,
        message.ok,
        message.ok ? message.data : undefined,
        message.ok ? undefined : message.error,
      );
      return;
    }
    this.#onEvent(message.event, message.data);
  }

  #onEvent(event: string, data: unknown): void {
    switch (event) {
      case 'memberJoined': {
        const member = data as ServerEvents['memberJoined'];
        this.#members.set(member.memberId, member);
        this.safeEmit('memberJoined', member);
        break;
      }
      case 'memberLeft': {
        const left = data as ServerEvents['memberLeft'];
        this.#members.delete(left.memberId);
        this.safeEmit('memberLeft', left);
        break;
      }
      case 'hostChanged': {
        const host = data as ServerEvents['hostChanged'];
        for (const [id, m] of this.#members)
          this.#members.set(id, { ...m, isHost: id === host.memberId });
        this.safeEmit('hostChanged', host);
        break;
      }
      case 'mediaState': {
        const state = data as ServerEvents['mediaState'];
        const member = this.#members.get(state.memberId);
        if (member)
          this.#members.set(state.memberId, { ...member, audio: state.audio, video: state.video });
        this.safeEmit('mediaState', state);
        break;
      }
      case 'effectChanged': {
        const e = data as ServerEvents['effectChanged'];
        this.#patchMember(e.memberId, { effect: e.effect });
        this.safeEmit('effectChanged', e);
        break;
      }
      case 'screenShare': {
        const e = data as ServerEvents['screenShare'];
        this.#patchMember(e.memberId, { screen: e.active });
        this.safeEmit('screenShare', e);
        break;
      }
      case 'roomOptions': {
        const e = data as ServerEvents['roomOptions'];
        this.#roomOptions = { ...e };
        this.safeEmit('roomOptions', e);
        break;
      }
      case 'chat': {
        const message = data as ServerEvents['chat'];
        this.#chat.push(message);
        this.safeEmit('chat', message);
        break;
      }
      case 'kicked': {
        const kicked = data as ServerEvents['kicked'];
        this.#resetMeeting();
        this.#session = null;
        this.safeEmit('kicked', kicked);
        break;
      }
      case 'protocolError':
        this.safeEmit('protocolError', data as { code: string; message: string });
        break;
      default:
        // Events from a newer server are ignored.
        break;
    }
  }

  #patchMember(memberId: number, patch: Partial<MemberInfo>): void {
    const member = this.#members.get(memberId);
    if (member) this.#members.set(memberId, { ...member, ...patch });
  }

  #onControlClose(reason: string): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    this.#closeMedia();
    this.#resetMeeting();
    this.#session = null;
    this.#control = null;
    this.#requests = null;
    this.safeEmit('close', reason);
  }

  #closeMedia(): void {
    for (const kind of ['audio', 'video'] as const) {
      this.#media[kind]?.close('client closing');
      this.#media[kind] = null;
    }
  }

  /** Closes every link. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const control = this.#control;
    if (!control) return;
    const closed = new Promise<void>((resolve) => control.once('close', () => resolve()));
    control.close('client closing');
    this.#closeMedia();
    await closed;
  }
}
