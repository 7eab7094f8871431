/**
 * The meeting server: accepts TCP links, binds each client's control, audio and video links to one
 * Member, and owns the Rooms, the database and the worker pool.
 *
 * Every link starts as a control link. Its first request decides: `attach` (with a session token)
 * turns it into that session's audio or video link; anything else keeps it a control link, on which
 * a client registers or logs in.
 */
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  CHAT_HISTORY_ON_JOIN,
  isFaceEffect,
  FrameType,
  HEARTBEAT_TIMEOUT_MS,
  LOGIN_FAILURE_LIMIT,
  LOGIN_FAILURE_WINDOW_MS,
  MAX_FRAME_SIZE,
  PASSWORD_MIN_LENGTH,
  SESSION_TOKEN_BYTES,
  SESSION_TOKEN_TTL_MS,
  USERNAME_PATTERN,
  ACCESS_LOG_FILE,
} from '../common/constants';
import { EncodeError, ErrorCode, MeetingError, type ErrorCodeValue } from '../common/errors';
import { nowMs } from '../common/clock';
import { FramedSocket } from '../common/FramedSocket';
import { frameType } from '../common/framing';
import {
  RequestEnvelope,
  RequestSchemas,
  decodeControlFrame,
  describeIssues,
  excerpt,
  type ErrorBody,
  type ChatMessage,
  type JoinResult,
  type LeaveReason,
  type LoginResult,
  type MeetingInfo,
  type RequestParams,
  type RequestResults,
  type RequestType,
} from '../common/protocol';
import {
  openDatabase,
  DuplicateError,
  type Database,
  type Meeting,
  type StoredMessage,
} from '../db';
import { AuthPool } from './AuthPool';
import { createFileLogger, createLogger, type Logger } from './logger';
import { Member } from './Member';
import { RateLimiter } from './RateLimiter';
import { Room } from './Room';
import { Relay } from './Relay';

export interface MeetingServerOptions {
  /** Database URL (`mysql://…`, `sqlite:<file>`); default: SQLite in `dataDir`. */
  dbUrl?: string;
  /** Folder for the SQLite file and the access log (default `./data`). */
  dataDir?: string;
  heartbeatTimeoutMs?: number;
  workerThreads?: number;
  workerQueue?: number;
  logger?: Logger;
}

/** Per-link state; a link is pending until it logs in (control) or attaches (media). */
interface Link {
  socket: FramedSocket;
  kind: 'control' | 'audio' | 'video';
  member: Member | null;
  /** Requests on one link run one after another, so replies and chat keep their order. */
  queue: Promise<void>;
  heartbeat: NodeJS.Timeout | null;
}

type Reply = { ok: true; data: unknown } | { ok: false; error: ErrorBody };

type Handler<K extends RequestType> = (
  link: Link,
  data: RequestParams<K>,
) => Promise<RequestResults[K]> | RequestResults[K];

const MENTION = /@([A-Za-z0-9_.-]{3,32})/g;

export class MeetingServer {
  readonly logger: Logger;
  readonly #options: MeetingServerOptions;
  readonly #dataDir: string;
  readonly #heartbeatTimeoutMs: number;
  readonly #server = net.createServer((socket) => this.#onConnection(socket));
  readonly #links = new Set<Link>();
  readonly #membersByUser = new Map<number, Member>();
  readonly #membersByToken = new Map<string, { member: Member; expires: number }>();
  readonly #rooms = new Map<string, Room>();
  readonly #loginFailures = new RateLimiter(LOGIN_FAILURE_LIMIT, LOGIN_FAILURE_WINDOW_MS);
  /** Database writes in flight, awaited on close so a restart loses nothing. */
  readonly #writes = new Set<Promise<unknown>>();
  readonly relay: Relay;
  #db: Database | null = null;
  #pool: AuthPool | null = null;
  #accessFile: Logger | null = null;
  #nextMemberId = 1;
  #closed = false;

  constructor(options: MeetingServerOptions = {}) {
    this.#options = options;
    this.#dataDir = path.resolve(options.dataDir ?? 'data');
    this.#heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS;
    this.logger = options.logger ?? createLogger();
    this.relay = new Relay();
  }

  get db(): Database {
    if (!this.#db) throw new TypeError('server not started');
    return this.#db;
  }

  /** Members logged in on this node. */
  get memberCount(): number {
    return this.#membersByUser.size;
  }

  room(meetingId: string): Room | undefined {
    return this.#rooms.get(meetingId);
  }

  /** Opens the database and worker pool, then listens; resolves with the bound address. */
  async listen(port = 0, host = '127.0.0.1'): Promise<net.AddressInfo> {
    fs.mkdirSync(this.#dataDir, { recursive: true });
    this.#db = await openDatabase({ url: this.#options.dbUrl, dataDir: this.#dataDir });
    this.#pool = new AuthPool({
      maxThreads: this.#options.workerThreads,
      maxQueue: this.#options.workerQueue,
    });
    this.#accessFile = createFileLogger(path.join(this.#dataDir, ACCESS_LOG_FILE));
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as net.AddressInfo;
    this.logger.info(
      { address: `${address.address}:${address.port}`, db: this.#db.kind },
      'listening',
    );
    return address;
  }

  /** Closes every link and room, waits for pending writes, then closes the pool and database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const stopped = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const member of [...this.#membersByUser.values()])
      this.#endSession(member, 'disconnected');
    for (const link of this.#links) link.socket.destroy('server shutting down');
    await stopped;
    await Promise.allSettled([...this.#writes]);
    await this.#pool?.close();
    await this.#db?.close();
    this.#accessFile?.flush();
  }

  // ---- links ---------------------------------------------------------------------------------

  #onConnection(socket: net.Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const link: Link = {
      socket: new FramedSocket(socket, MAX_FRAME_SIZE.control),
      kind: 'control',
      member: null,
      queue: Promise.resolve(),
      heartbeat: null,
    };
    this.#links.add(link);
    link.heartbeat = setTimeout(() => this.#onHeartbeatTimeout(link), this.#heartbeatTimeoutMs);
    link.socket.on('frame', (frame) => this.#onFrame(link, frame));
    link.socket.on('malformed', (error) => {
      this.logger.warn(
        { address: link.socket.address, code: error.code, reason: error.message },
        'closing link: malformed input',
      );
      link.socket.sendControl({
        event: 'protocolError',
        data: { code: error.code, message: error.message },
      });
    });
    link.socket.on('close', (reason) => this.#onLinkClose(link, reason));
    link.socket.on('listenerError', (event: string, error: unknown) => {
      this.logger.error({ event, err: error }, 'listener failed');
    });
  }

  #onFrame(link: Link, frame: Buffer): void {
    link.heartbeat?.refresh();
    if (link.kind !== 'control') {
      if (frameType(frame) === FrameType.MEDIA && link.member?.room) {
        this.relay.forward(link.member.room, link.member, link.kind, frame);
      } else if (frameType(frame) !== FrameType.MEDIA) {
        this.#protocolError(
          link,
          ErrorCode.UNEXPECTED_FRAME,
          'only media frames are accepted on a media link',
        );
      }
      return;
    }
    let message: unknown;
    try {
      message = decodeControlFrame(frame);
    } catch (error) {
      const e = error as MeetingError;
      this.#protocolError(link, e.code, e.message);
      return;
    }
    const envelope = RequestEnvelope.safeParse(message);
    if (!envelope.success) {
      this.#protocolError(
        link,
        ErrorCode.BAD_REQUEST,
        `malformed request: ${describeIssues(envelope.error)}`,
      );
      return;
    }
    const { id, type, data } = envelope.data;
    link.queue = link.queue.then(() => this.#handle(link, id, type, data ?? {}));
  }

  /** Replies with a typed error on a frame that has no request id; closes a link that keeps at it. */
  #protocolError(link: Link, code: ErrorCodeValue, message: string): void {
    this.logger.warn({ address: link.socket.address, code, reason: message }, 'protocol error');
    link.socket.sendControl({ event: 'protocolError', data: { code, message } });
    if (link.kind !== 'control' || code === ErrorCode.BAD_FRAME) link.socket.close(message);
  }

  /**
   * Serves one request and replies. Never rejects: a fault that escapes the reply path closes this
   * link with a logged reason and the server carries on.
   */
  async #handle(link: Link, id: number, type: string, data: unknown): Promise<void> {
    if (link.socket.closed) return;
    try {
      this.#reply(link, id, await this.#serve(link, type, data));
    } catch (error) {
      this.logger.error({ address: link.socket.address, err: error, type: excerpt(type) }, 'closing link: reply failed');
      link.socket.destroy('reply failed');
    }
  }

  /** The reply to one request: its result, or a typed error body. */
  async #serve(link: Link, type: string, data: unknown): Promise<Reply> {
    try {
      if (!Object.hasOwn(RequestSchemas, type)) {
        throw new MeetingError(ErrorCode.UNKNOWN_TYPE, `unknown request type '${excerpt(type)}'`);
      }
      const requestType = type as RequestType;
      const parsed = RequestSchemas[requestType].safeParse(data);
      if (!parsed.success) {
        throw new MeetingError(
          ErrorCode.BAD_REQUEST,
          `invalid ${type} request: ${describeIssues(parsed.error)}`,
        );
      }
      const handler = this.#handlers[requestType] as Handler<RequestType>;
      return { ok: true, data: await handler(link, parsed.data as RequestParams<RequestType>) };
    } catch (error) {
      if (error instanceof MeetingError) return { ok: false, error: error.toJSON() };
      this.logger.error({ err: error, type: excerpt(type) }, 'request failed');
      return { ok: false, error: { code: ErrorCode.INTERNAL, message: 'internal error' } };
    }
  }

  /** Sends a reply; one that cannot be encoded (too large for a frame) becomes a typed error. */
  #reply(link: Link, id: number, reply: Reply): void {
    try {
      link.socket.sendControl({ id, ...reply });
    } catch (error) {
      if (!(error instanceof EncodeError)) throw error;
      this.logger.warn({ address: link.socket.address, reason: error.message }, 'reply too large');
      link.socket.sendControl({
        id,
        ok: false,
        error: { code: ErrorCode.REPLY_TOO_LARGE, message: 'the reply does not fit in one frame' },
      });
    }
  }

  #onHeartbeatTimeout(link: Link): void {
    this.logger.info(
      { address: link.socket.address, user: link.member?.username },
      'heartbeat timeout',
    );
    if (link.kind === 'control' && link.member) {
      link.member.sendEvent('kicked', {
        code: ErrorCode.HEARTBEAT_TIMEOUT,
        message: 'no heartbeat from the client',
      });
      this.#endSession(link.member, 'timeout');
    }
    link.socket.destroy('heartbeat timeout');
  }

  #onLinkClose(link: Link, reason: string): void {
    this.#links.delete(link);
    if (link.heartbeat) clearTimeout(link.heartbeat);
    this.logger.debug({ address: link.socket.address, kind: link.kind, reason }, 'link closed');
    // Losing the control link ends the session: media links close and the member leaves its room.
    if (link.kind === 'control' && link.member && !link.member.closed) {
      this.#endSession(link.member, reason === 'heartbeat timeout' ? 'timeout' : 'disconnected');
    }
  }

  // ---- sessions ------------------------------------------------------------------------------

  #requireMember(link: Link): Member {
    if (!link.member || link.member.closed)
      throw new MeetingError(ErrorCode.NOT_LOGGED_IN, 'log in first');
    return link.member;
  }

  #requireRoom(member: Member): Room {
    if (!member.room) throw new MeetingError(ErrorCode.NOT_IN_MEETING, 'join a meeting first');
    return member.room;
  }

  #startSession(
    link: Link,
    user: { id: number; username: string; faceEffect: string },
  ): LoginResult {
    const previous = this.#membersByUser.get(user.id);
    if (previous) {
      previous.sendEvent('kicked', {
        code: ErrorCode.LOGGED_IN_ELSEWHERE,
        message: 'logged in elsewhere',
      });
      this.#endSession(previous, 'logged-in-elsewhere');
      previous.control.close('logged in elsewhere');
    }
    const member = new Member({
      id: this.#nextMemberId++,
      userId: user.id,
      username: user.username,
      token: randomBytes(SESSION_TOKEN_BYTES).toString('base64url'),
      control: link.socket,
      effect: isFaceEffect(user.faceEffect) ? user.faceEffect : 'none',
    });
    link.member = member;
    this.#membersByUser.set(user.id, member);
    this.#membersByToken.set(member.token, { member, expires: Date.now() + SESSION_TOKEN_TTL_MS });
    this.#access(user.id, user.username, 'login', link.socket.address, null);
    this.#track(this.db.users.touchLogin(user.id, Date.now()));
    return {
      userId: user.id,
      username: user.username,
      memberId: member.id,
      token: member.token,
      serverTime: Date.now(),
      effect: member.effect,
    };
  }

  /** Ends a session however it ends (logout, disconnect, timeout, second login): one path. */
  #endSession(member: Member, reason: LeaveReason): void {
    if (member.closed) return;
    this.#leaveRoom(member, reason);
    member.close(reason);
    if (this.#membersByUser.get(member.userId) === member)
      this.#membersByUser.delete(member.userId);
    this.#membersByToken.delete(member.token);
    for (const link of this.#links)
      if (link.member === member && link.kind === 'control') link.member = null;
    this.#access(
      member.userId,
      member.username,
      'logout',
      member.control.address,
      reason === 'left' ? null : reason,
    );
  }

  #access(
    userId: number | null,
    username: string,
    event: 'register' | 'login' | 'login_failed' | 'logout' | 'join' | 'leave',
    address: string,
    meetingId: string | null,
    detail: string | null = null,
  ): void {
    const at = Date.now();
    this.#accessFile?.info({ event, userId, username, meetingId, address, detail });
    this.#track(
      this.db.accessLog.record({ userId, username, event, meetingId, address, at, detail }),
    );
  }

  #track(write: Promise<unknown>): void {
    const tracked = write
      .catch((error: unknown) => this.logger.error({ err: error }, 'database write failed'))
      .finally(() => this.#writes.delete(tracked));
    this.#writes.add(tracked);
  }

  // ---- rooms ---------------------------------------------------------------------------------

  async #enterRoom(member: Member, meeting: Meeting): Promise<JoinResult> {
    let room = this.#rooms.get(meeting.id);
    if (!room) {
      if (meeting.endedAt !== null) await this.db.meetings.reopen(meeting.id);
      room = new Room(toMeetingInfo(meeting));
      const created = room;
      this.#rooms.set(meeting.id, room);
      room.once('@close', () => {
        if (this.#rooms.get(created.id) === created) this.#rooms.delete(created.id);
        this.#track(this.db.meetings.end(created.id, Date.now()));
      });
    }
    if (member.closed) throw new MeetingError(ErrorCode.NOT_LOGGED_IN, 'session ended');
    member.joinedAt = Date.now();
    room.add(member);
    if (room.host === member && meeting.hostUserId !== member.userId) {
      this.#track(this.db.meetings.setHost(meeting.id, member.userId));
    }
    const rowId = this.db.meetings.addMember({
      meetingId: meeting.id,
      userId: member.userId,
      joinedAt: member.joinedAt,
      address: member.control.address,
    });
    this.#track(rowId.then((id) => (member.membershipRowId = id)));
    this.#access(member.userId, member.username, 'join', member.control.address, meeting.id);
    const stored = await this.db.messages.historyFor(
      meeting.id,
      member.userId,
      CHAT_HISTORY_ON_JOIN,
    );
    return {
      meeting: room.meeting,
      you: member.id,
      members: room.memberInfos(),
      history: await this.#toChatMessages(stored),
      options: { ...room.options },
    };
  }

  #leaveRoom(member: Member, reason: LeaveReason): void {
    const room = member.room;
    if (!room) return;
    const newHost = room.remove(member, reason);
    if (newHost) this.#track(this.db.meetings.setHost(room.id, newHost.userId));
    const at = Date.now();
    const rowId = member.membershipRowId;
    member.membershipRowId = null;
    if (rowId !== null) this.#track(this.db.meetings.markLeft(rowId, at));
    this.#access(member.userId, member.username, 'leave', member.control.address, room.id, reason);
  }

  async #toChatMessages(stored: StoredMessage[]): Promise<ChatMessage[]> {
    const names = new Map<number, string>();
    for (const m of stored) {
      names.set(m.senderUserId, m.senderName);
    }
    const ids = new Set<number>();
    for (const m of stored) {
      if (m.recipientUserId !== null) ids.add(m.recipientUserId);
      for (const id of m.mentions ?? []) ids.add(id);
    }
    for (const id of ids) {
      if (!names.has(id)) names.set(id, (await this.db.users.findById(id))?.username ?? `#${id}`);
    }
    return stored.map((m) => toChatMessage(m, names));
  }

  // ---- request handlers ----------------------------------------------------------------------

  readonly #handlers: { [K in RequestType]: Handler<K> } = {
    ping: (_link, data) => ({
      serverTime: nowMs(),
      ...(data.clientTime !== undefined ? { clientTime: data.clientTime } : {}),
    }),

    register: async (link, { username, password }) => {
      if (link.member)
        throw new MeetingError(ErrorCode.ALREADY_LOGGED_IN, 'already logged in on this link');
      if (!USERNAME_PATTERN.test(username)) {
        throw new MeetingError(
          ErrorCode.INVALID_USERNAME,
          'usernames are 3-32 letters, digits, dot, dash or underscore',
        );
      }
      if (password.length < PASSWORD_MIN_LENGTH) {
        throw new MeetingError(
          ErrorCode.WEAK_PASSWORD,
          `passwords need at least ${PASSWORD_MIN_LENGTH} characters`,
        );
      }
      const passwordHash = await this.#pool!.hashPassword(password);
      let user;
      try {
        user = await this.db.users.create({ username, passwordHash, createdAt: Date.now() });
      } catch (error) {
        if (error instanceof DuplicateError)
          throw new MeetingError(ErrorCode.USERNAME_TAKEN, `username '${username}' is taken`);
        throw error;
      }
      this.#access(user.id, username, 'register', link.socket.address, null);
      if (link.member)
        throw new MeetingError(ErrorCode.ALREADY_LOGGED_IN, 'already logged in on this link');
      return this.#startSession(link, user);
    },

    login: async (link, { username, password }) => {
      if (link.member)
        throw new MeetingError(ErrorCode.ALREADY_LOGGED_IN, 'already logged in on this link');
      const address = link.socket.socket.remoteAddress ?? '?';
      const key = `${username}\u0000${address}`;
      if (this.#loginFailures.blocked(key)) {
        throw new MeetingError(
          ErrorCode.RATE_LIMITED,
          'too many failed logins; wait a minute and try again',
        );
      }
      const user = await this.db.users.findByUsername(username);
      // Unknown users cost a verification too and get the same answer as a wrong password.
      const ok = await this.#pool!.verifyPassword(password, user?.passwordHash ?? null);
      if (!user || !ok) {
        this.#loginFailures.fail(key);
        this.#access(
          user?.id ?? null,
          username.slice(0, 32),
          'login_failed',
          link.socket.address,
          null,
        );
        throw new MeetingError(ErrorCode.BAD_CREDENTIALS, 'wrong username or password');
      }
      this.#loginFailures.reset(key);
      if (link.member)
        throw new MeetingError(ErrorCode.ALREADY_LOGGED_IN, 'already logged in on this link');
      return this.#startSession(link, user);
    },

    logout: (link) => {
      const member = this.#requireMember(link);
      this.#endSession(member, 'left');
      link.member = null;
      return {};
    },

    attach: (link, { token, link: kind }) => {
      if (link.member)
        throw new MeetingError(
          ErrorCode.UNEXPECTED_FRAME,
          'a control link cannot become a media link',
        );
      const entry = this.#membersByToken.get(token);
      if (!entry || entry.member.closed || entry.expires < Date.now()) {
        if (entry) this.#membersByToken.delete(token);
        // Refused: the link closes right after the error reply.
        setImmediate(() => link.socket.close('bad token'));
        throw new MeetingError(ErrorCode.BAD_TOKEN, 'unknown or expired session token');
      }
      link.kind = kind;
      link.member = entry.member;
      link.socket.maxFrameSize = MAX_FRAME_SIZE[kind];
      // Media links carry no heartbeat of their own: the control link's covers the session.
      if (link.heartbeat) clearTimeout(link.heartbeat);
      link.heartbeat = null;
      entry.member.attach(kind, link.socket);
      return { memberId: entry.member.id, link: kind };
    },

    createMeeting: async (link, { name, password }) => {
      const member = this.#requireMember(link);
      if (member.room)
        throw new MeetingError(ErrorCode.ALREADY_IN_MEETING, 'leave the current meeting first');
      const passwordHash = password
        ? await this.#pool!.hashPassword(password, member.abort.signal)
        : null;
      for (let attempt = 0; ; attempt++) {
        const id = [0, 0, 0].map(() => String(randomInt(100, 1000))).join('-');
        try {
          const meeting = await this.db.meetings.create({
            id,
            name,
            passwordHash,
            hostUserId: member.userId,
            createdByUserId: member.userId,
            createdAt: Date.now(),
          });
          return await this.#enterRoom(member, meeting);
        } catch (error) {
          if (!(error instanceof DuplicateError) || attempt >= 5) throw error;
        }
      }
    },

    joinMeeting: async (link, { meetingId, password }) => {
      const member = this.#requireMember(link);
      if (member.room)
        throw new MeetingError(ErrorCode.ALREADY_IN_MEETING, 'leave the current meeting first');
      const id = meetingId.replace(/\s+/g, '');
      const meeting = await this.db.meetings.findById(id);
      if (!meeting)
        throw new MeetingError(ErrorCode.MEETING_NOT_FOUND, `no meeting with id '${id}'`);
      if (meeting.passwordHash !== null) {
        const ok =
          password !== undefined &&
          (await this.#pool!.verifyPassword(password, meeting.passwordHash, member.abort.signal));
        if (!ok)
          throw new MeetingError(ErrorCode.MEETING_PASSWORD, 'wrong or missing meeting password');
      }
      if (member.room)
        throw new MeetingError(ErrorCode.ALREADY_IN_MEETING, 'leave the current meeting first');
      return this.#enterRoom(member, meeting);
    },

    leaveMeeting: (link) => {
      const member = this.#requireMember(link);
      this.#requireRoom(member);
      this.#leaveRoom(member, 'left');
      return {};
    },

    recentMeetings: async (link) => {
      const member = this.#requireMember(link);
      const rows = await this.db.meetings.recentForUser(member.userId, 20);
      return { meetings: rows.map((m) => ({ ...toMeetingInfo(m), lastJoinedAt: m.lastJoinedAt })) };
    },

    setMediaState: (link, { audio, video }) => {
      const member = this.#requireMember(link);
      member.audioOn = audio;
      member.videoOn = video;
      member.room?.broadcast('mediaState', { memberId: member.id, audio, video }, member);
      return {};
    },

    setEffect: async (link, { effect }) => {
      const member = this.#requireMember(link);
      member.effect = effect;
      member.room?.broadcast('effectChanged', { memberId: member.id, effect }, member);
      await this.db.users.setFaceEffect(member.userId, effect);
      return {};
    },

    startScreenShare: (link) => {
      const member = this.#requireMember(link);
      const room = this.#requireRoom(member);
      if (!room.startScreenShare(member)) {
        const sharer = room.sharers()[0];
        throw new MeetingError(
          ErrorCode.SCREEN_SHARE_BUSY,
          `${sharer?.username ?? 'someone'} is sharing their screen`,
        );
      }
      return {};
    },

    stopScreenShare: (link) => {
      const member = this.#requireMember(link);
      this.#requireRoom(member).stopScreenShare(member);
      return {};
    },

    setRoomOptions: (link, { allowMultipleScreens }) => {
      const member = this.#requireMember(link);
      const room = this.#requireRoom(member);
      if (room.host !== member)
        throw new MeetingError(ErrorCode.NOT_HOST, 'only the host can change room options');
      room.options.allowMultipleScreens = allowMultipleScreens;
      room.broadcast('roomOptions', { ...room.options });
      return { ...room.options };
    },

    chat: async (link, { text, to }) => {
      const member = this.#requireMember(link);
      const room = this.#requireRoom(member);
      let recipient: Member | undefined;
      let mentioned: Member[] = [];
      if (to !== undefined) {
        recipient = room.findByUsername(to);
        if (!recipient)
          throw new MeetingError(ErrorCode.RECIPIENT_NOT_FOUND, `'${to}' is not in this meeting`);
      } else {
        const names = new Set([...text.matchAll(MENTION)].map((m) => m[1] as string));
        mentioned = [...names]
          .map((n) => room.findByUsername(n))
          .filter((m): m is Member => !!m && m !== member);
      }
      const stored = await this.db.messages.insert({
        meetingId: room.id,
        senderUserId: member.userId,
        senderName: member.username,
        recipientUserId: recipient ? recipient.userId : null,
        mentions: mentioned.length > 0 ? mentioned.map((m) => m.userId) : null,
        text,
        createdAt: Date.now(),
      });
      const message: ChatMessage = {
        id: stored.id,
        meetingId: room.id,
        from: { userId: member.userId, username: member.username },
        to: recipient ? recipient.username : null,
        mentions: mentioned.length > 0 ? mentioned.map((m) => m.username) : null,
        text,
        at: stored.createdAt,
      };
      // Stored first, then delivered and acknowledged (the reply).
      if (recipient) {
        if (recipient !== member) recipient.sendEvent('chat', message);
      } else if (mentioned.length > 0) {
        for (const m of mentioned) if (m.room === room) m.sendEvent('chat', message);
      } else {
        room.broadcast('chat', message, member);
      }
      return message;
    },
  };
}

function toMeetingInfo(m: Meeting): MeetingInfo {
  return {
    id: m.id,
    name: m.name,
    hasPassword: m.passwordHash !== null,
    hostUserId: m.hostUserId,
    createdAt: m.createdAt,
  };
}

function toChatMessage(m: StoredMessage, names: Map<number, string>): ChatMessage {
  const name = (id: number): string => names.get(id) ?? `#${id}`;
  return {
    id: m.id,
    meetingId: m.meetingId,
    from: { userId: m.senderUserId, username: m.senderName },
    to: m.recipientUserId === null ? null : name(m.recipientUserId),
    mentions: m.mentions === null ? null : m.mentions.map(name),
    text: m.text,
    at: m.createdAt,
  };
}
