/**
 * Control messages: JSON in CONTROL frames, validated with zod and correlated by request id.
 *
 *   request  { id, type, data }            client -> server
 *   reply    { id, ok: true, data }        server -> client
 *            { id, ok: false, error: { code, message } }
 *   event    { event, data }               server -> client (no id)
 */
import { z } from 'zod';
import {
  CHAT_CLIENT_ID_MAX,
  CHAT_MAX_LENGTH,
  ERROR_EXCERPT_MAX,
  FACE_EFFECT_DEFAULT,
  FILE_LIST_MAX,
  FILE_MIME_MAX_LENGTH,
  FILE_NAME_MAX_LENGTH,
  ERROR_MESSAGE_MAX,
  FACE_EFFECTS,
  type FaceEffectName,
  FrameType,
  MEETING_NAME_MAX_LENGTH,
  MEETING_ROLES,
  PASSWORD_MAX_LENGTH,
  REACTIONS,
  RECORDING_CHUNK_BYTES,
} from './constants';
import { DecodeError, ErrorCode, isErrorCode, type ErrorCodeValue } from './errors';
import { encodeFrame, framePayload, frameType } from './framing';
import { ATTACH_LINK_KINDS, type AttachLinkKind } from './links';

const credentials = z.strictObject({
  username: z.string().max(64),
  password: z.string().max(PASSWORD_MAX_LENGTH),
});
const empty = z.strictObject({});
const requestId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** A request about one member of the caller's meeting. */
const target = z.strictObject({ memberId: requestId });
const recordingId = (): z.ZodNumber => z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** Parameters of every request type. */
export const RequestSchemas = {
  register: credentials,
  login: credentials,
  logout: empty,
  /** Heartbeat and clock sync: the reply carries the server clock. */
  ping: z.strictObject({ clientTime: z.number().optional() }),
  createMeeting: z.strictObject({
    name: z.string().trim().min(1).max(MEETING_NAME_MAX_LENGTH),
    password: z.string().max(PASSWORD_MAX_LENGTH).optional(),
  }),
  joinMeeting: z.strictObject({
    meetingId: z.string().min(1).max(32),
    password: z.string().max(PASSWORD_MAX_LENGTH).optional(),
  }),
  leaveMeeting: empty,
  chat: z.strictObject({
    text: z.string().min(1).max(CHAT_MAX_LENGTH),
    /** Username of the one recipient of a private message. */
    to: z.string().max(64).optional(),
    /** The sender's idempotency key: a message re-sent after a reconnect is stored once. */
    clientId: z.string().min(1).max(CHAT_CLIENT_ID_MAX).optional(),
    /** Deliver to the whole room even though the text @mentions someone (mentions then mark nothing). */
    everyone: z.boolean().optional(),
  }),
  recentMeetings: empty,
  /** The page of the meeting's chat history before message id `before` (newest page without). */
  chatHistory: z.strictObject({
    before: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  }),
  setMediaState: z.strictObject({ audio: z.boolean(), video: z.boolean() }),
  /** Chooses the face effect applied to this member's camera (remembered for the account). */
  setEffect: z.strictObject({ effect: z.enum(FACE_EFFECTS) }),
  /** Asks to share the screen (a second video source); refused while another member shares. */
  startScreenShare: empty,
  stopScreenShare: empty,
  /**
   * Host or co-host: let several members share their screens at once, lock the meeting, turn the
   * waiting room on or off. Options left out keep their value.
   */
  setRoomOptions: z.strictObject({
    allowMultipleScreens: z.boolean().optional(),
    locked: z.boolean().optional(),
    waitingRoom: z.boolean().optional(),
  }),
  // ---- host controls, waiting room, hands and reactions (server/handlers/host.ts) ----------
  /** Host or co-host: mute a member; the server drops their audio until they unmute themselves. */
  muteMember: target,
  /** Host or co-host: ask a member to unmute (they are only told). */
  askUnmute: target,
  /** Host or co-host: turn a member's camera off; refused frames until they turn it on again. */
  stopMemberVideo: target,
  /** Host or co-host: withdraw a member's screen-share grant. */
  stopMemberScreen: target,
  /** Host or co-host: remove a member; with `bar`, they cannot come back to this meeting. */
  removeMember: z.strictObject({ memberId: requestId, bar: z.boolean().optional() }),
  /** Host only: set, change (a string) or clear (null) the meeting's password. */
  setMeetingPassword: z.strictObject({
    password: z.string().min(1).max(PASSWORD_MAX_LENGTH).nullable(),
  }),
  /** Host only: end the meeting for everyone. */
  endMeeting: empty,
  /** Host only: make a member host (the host becomes co-host), co-host, or a plain member. */
  setRole: z.strictObject({ memberId: requestId, role: z.enum(MEETING_ROLES) }),
  /** Host or co-host: let one waiting user in, or all of them. */
  admitWaiting: z.strictObject({ userId: z.union([requestId, z.literal('all')]) }),
  /** Host or co-host: turn a waiting user away. */
  denyWaiting: z.strictObject({ userId: requestId }),
  /** Host or co-host: who waits now (also sent as `waitingList` events on each change). */
  listWaiting: empty,
  raiseHand: z.strictObject({ raised: z.boolean() }),
  /** Host or co-host: lower another member's hand. */
  lowerHand: target,
  react: z.strictObject({ reaction: z.enum(REACTIONS) }),
  /**
   * First message of a new control link instead of a login: takes the session of `token` (the
   * resume token of the last login or resume) back, within the grace period.
   */
  resume: z.strictObject({ token: z.string().max(128) }),
  // ---- recording (issue 13) ----
  /** Host only: start recording the meeting (the room is told; a chat notice names who). */
  startRecording: empty,
  /** Host only: stop the meeting's recording. */
  stopRecording: empty,
  /** The recordings of a meeting the user attended, newest first. */
  listRecordings: z.strictObject({ meetingId: z.string().min(1).max(32) }),
  /** The meeting's host (or whoever started it) deletes a recording and its files. */
  deleteRecording: z.strictObject({ recordingId: recordingId() }),
  /** One chunk of a recording's segment file (pull-based: the client asks for the next one). */
  readRecording: z.strictObject({
    recordingId: recordingId(),
    segment: z.number().int().nonnegative().max(100_000),
    offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    length: z.number().int().positive().max(RECORDING_CHUNK_BYTES).optional(),
  }),
  // ---- cluster (several nodes) ----
  /** First message on the meeting's node after a redirect: the ticket of the `redirect` event. */
  handoff: z.strictObject({ ticket: z.string().max(128) }),
  /** First message on an audio, video or files link. */
  attach: z.strictObject({ token: z.string().max(128), link: z.enum(ATTACH_LINK_KINDS) }),
  // ---- file transfers (chunks travel on the files link; see common/files.ts)
  /**
   * Offers a file to one member (`to`) or to the meeting, and starts (or resumes: the same file,
   * size and recipient as an unfinished upload of this user) its upload; the reply says from which
   * offset to send.
   */
  fileOffer: z.strictObject({
    name: z.string().min(1).max(FILE_NAME_MAX_LENGTH),
    size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    mime: z.string().max(255).optional(),
    to: z.string().max(64).optional(),
    /** A room file stays available to members who join later. */
    laterJoiners: z.boolean().optional(),
  }),
  /** The files of the current meeting this user may download (newest first). */
  fileList: empty,
  /** Streams a file from `offset` on this session's files link. */
  fileDownload: z.strictObject({
    fileId: z.number().int().positive().max(0xffffffff),
    offset: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  }),
  /** Stops a download of this session, or abandons an unfinished upload of this user. */
  fileCancel: z.strictObject({ fileId: z.number().int().positive().max(0xffffffff) }),
} as const;
export type RequestType = keyof typeof RequestSchemas;
export type RequestParams<K extends RequestType> = z.infer<(typeof RequestSchemas)[K]>;

export interface MeetingInfo {
  id: string;
  name: string;
  hasPassword: boolean;
  hostUserId: number;
  createdAt: number;
}

export interface LoginResult {
  userId: number;
  username: string;
  memberId: number;
  /**
   * Token that the audio and video links present to attach to this session (from the address of
   * the control link; a resume replaces it).
   */
  token: string;
  /** Token that takes the session back after a dropped link (`resume`); replaced on every resume. */
  resumeToken: string;
  serverTime: number;
  /** The face effect the user chose last. */
  effect: FaceEffectName;
}

export interface ChatHistoryPage {
  /** Oldest first; at most CHAT_HISTORY_PAGE_BYTES of JSON. */
  messages: ChatMessage[];
  /** Older messages exist: ask again with `before` = the first message's id. */
  more: boolean;
}

export interface JoinResult {
  meeting: MeetingInfo;
  you: number;
  members: MemberInfo[];
  /** The newest page of the chat history (older pages: `chatHistory`). */
  history: ChatMessage[];
  historyMore: boolean;
  options: RoomOptions;
  /** Whether the meeting is being recorded now (absent from servers without recording). */
  recording?: RecordingStatus;
  /** Raised hands, the earliest first. */
  hands?: HandInfo[];
  /** Who waits to be let in (to the host and co-hosts, on resume; else `waitingList` events). */
  waiting?: WaitingInfo[];
}

/** A raised hand: who and since when (server time, ms). */
export interface HandInfo {
  memberId: number;
  at: number;
}

/** A session taken back: new tokens, and the meeting as it is now (null when in none). */
export interface ResumeResult extends LoginResult {
  meeting: JoinResult | null;
}

/** Result type of every request type. */
export interface RequestResults {
  register: LoginResult;
  login: LoginResult;
  logout: Record<string, never>;
  ping: { serverTime: number; clientTime?: number };
  createMeeting: JoinResult;
  joinMeeting: JoinResult;
  leaveMeeting: Record<string, never>;
  chat: ChatMessage;
  recentMeetings: { meetings: Array<MeetingInfo & { lastJoinedAt: number }> };
  chatHistory: ChatHistoryPage;
  setMediaState: Record<string, never>;
  setEffect: Record<string, never>;
  startScreenShare: Record<string, never>;
  stopScreenShare: Record<string, never>;
  setRoomOptions: RoomOptions;
  resume: ResumeResult;
  muteMember: Record<string, never>;
  askUnmute: Record<string, never>;
  stopMemberVideo: Record<string, never>;
  stopMemberScreen: Record<string, never>;
  removeMember: Record<string, never>;
  setMeetingPassword: { hasPassword: boolean };
  endMeeting: Record<string, never>;
  setRole: Record<string, never>;
  /** How many were let in. */
  admitWaiting: { admitted: number };
  denyWaiting: Record<string, never>;
  listWaiting: { waiting: WaitingInfo[] };
  raiseHand: Record<string, never>;
  lowerHand: Record<string, never>;
  react: Record<string, never>;
  handoff: LoginResult;
  attach: { memberId: number; link: AttachLinkKind };
  fileOffer: { file: FileInfo; offset: number };
  fileList: { files: FileInfo[] };
  fileDownload: { file: FileInfo };
  fileCancel: Record<string, never>;
  startRecording: RecordingStatus;
  stopRecording: RecordingInfo;
  listRecordings: { recordings: RecordingInfo[] };
  deleteRecording: Record<string, never>;
  readRecording: RecordingChunk;
}

// ---- recording (issue 13) ----------------------------------------------------------------------

/** One segment file of a recording. */
export interface RecordingSegmentInfo {
  index: number;
  startedAt: number;
  /** Length of the picture and sound (ms); null while the segment is open. */
  durationMs: number | null;
  bytes: number;
  /** open: being written; complete; partial: cut short by a crash but playable; failed. */
  state: 'open' | 'complete' | 'partial' | 'failed';
}

/** A recording of a meeting and its segments. */
export interface RecordingInfo {
  id: number;
  meetingId: string;
  startedBy: { userId: number; username: string };
  startedAt: number;
  stoppedAt: number | null;
  durationMs: number;
  bytes: number;
  /** recording: being written; complete; interrupted: the server stopped without closing it. */
  state: 'recording' | 'complete' | 'interrupted' | 'failed';
  segments: RecordingSegmentInfo[];
}

/** One chunk of a segment file: `data` is base64; `eof` when it reaches the end of the file. */
export interface RecordingChunk {
  offset: number;
  data: string;
  size: number;
  eof: boolean;
}

// ---- server events (schemas) ----------------------------------------------------------------
// What the server sends unasked ({ event, data }). The client validates every payload against these
// schemas and the payload types are inferred from them, so the two cannot drift. Limits are loose
// (the server's own limits may grow; it is the server talking) but bounded. Unknown keys are
// stripped, and a value of an enumeration a newer server added degrades to a default instead of
// dropping the event (a member who left must still leave).

/** Ids and times as JSON numbers. */
const serverId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const serverTime = z.number();
/** Usernames and meeting ids from the server: several times the server's own limits. */
const serverName = z.string().max(256);
/** Free text from the server (chat, error messages): several times the longest the server sends. */
const serverText = z.string().max(4 * CHAT_MAX_LENGTH);
const serverEffect = z.enum(FACE_EFFECTS).catch(FACE_EFFECT_DEFAULT);
/** An error code this version does not know reads as ERR_INTERNAL, as in a failed reply. */
const serverErrorCode = z
  .string()
  .max(64)
  .transform((code): ErrorCodeValue => (isErrorCode(code) ? code : ErrorCode.INTERNAL));

/** Why a member left a meeting. */
export const LEAVE_REASONS = [
  'left',
  'disconnected',
  'timeout',
  'logged-in-elsewhere',
  /** Removed by the host or a co-host. */
  'removed',
  /** The host ended the meeting for everyone. */
  'ended',
] as const;
export type LeaveReason = (typeof LEAVE_REASONS)[number];

/** A member of a meeting as the server describes it (join results and memberJoined). */
export const MemberInfoSchema = z.object({
  memberId: serverId,
  userId: serverId,
  username: serverName,
  isHost: z.boolean(),
  audio: z.boolean(),
  video: z.boolean(),
  /** Face effect applied to the member's camera. */
  effect: serverEffect,
  /** Sharing the screen now. */
  screen: z.boolean(),
  joinedAt: serverTime,
  /** The member's link dropped and the server waits for it to come back. */
  reconnecting: z.boolean().optional().catch(undefined),
  /** Host, co-host or member (older servers: absent; read `isHost`). */
  role: z.enum(MEETING_ROLES).catch('member').optional(),
});
export type MemberInfo = z.infer<typeof MemberInfoSchema>;

/** Options the host sets for a meeting. */
export const RoomOptionsSchema = z.object({
  allowMultipleScreens: z.boolean(),
  /** Nobody new may join. */
  locked: z.boolean().optional(),
  /** Joiners wait until the host or a co-host lets them in. */
  waitingRoom: z.boolean().optional(),
});
export type RoomOptions = z.infer<typeof RoomOptionsSchema>;

/** One chat message (history on join, replies to chat, and chat events). */
export const ChatMessageSchema = z.object({
  id: serverId,
  meetingId: serverName,
  from: z.object({ userId: serverId, username: serverName }),
  /** Username of the recipient of a private message, else null. */
  to: serverName.nullable(),
  /** Usernames a mention-only message was delivered to, else null. */
  mentions: z.array(serverName).max(1000).nullable(),
  text: serverText,
  at: serverTime,
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** Someone waiting to be let into the meeting (sent to its host and co-hosts). */
export const WaitingInfoSchema = z.object({
  userId: serverId,
  username: serverName,
  since: serverTime,
});
export type WaitingInfo = z.infer<typeof WaitingInfoSchema>;

/** What a host or co-host did to this member (`moderated` event). */
export const MODERATION_ACTIONS = [
  'mute',
  'ask-unmute',
  'camera-off',
  'stop-screen',
  'lower-hand',
] as const;
export type ModerationAction = (typeof MODERATION_ACTIONS)[number];
/** A shared file as the server describes it (offer replies, lists and fileOffered events). */
export const FileInfoSchema = z.object({
  id: serverId,
  meetingId: serverName,
  from: z.object({ userId: serverId, username: serverName }),
  /** Username of the one recipient, or null for a file offered to the meeting. */
  to: serverName.nullable(),
  /** Sanitised by the server; the client sanitises again before writing. */
  name: z.string().max(4 * FILE_NAME_MAX_LENGTH),
  mime: z.string().max(4 * FILE_MIME_MAX_LENGTH),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  at: serverTime,
  laterJoiners: z.boolean(),
  /** The upload finished and the file can be downloaded. */
  complete: z.boolean(),
});
export type FileInfo = z.infer<typeof FileInfoSchema>;
/** At most this many files in one list (the server sends at most FILE_LIST_MAX). */
export const FileListSchema = z.array(FileInfoSchema).max(4 * FILE_LIST_MAX);
/** Whether a meeting is being recorded, by whom and since when (event and join result). */
export const RecordingStatusSchema = z.object({
  active: z.boolean(),
  recordingId: serverId.nullable(),
  by: z.object({ userId: serverId, username: serverName }).nullable(),
  since: serverTime.nullable(),
});
export type RecordingStatus = z.infer<typeof RecordingStatusSchema>;

/** Payload schema of every server event. */
export const ServerEventSchemas = {
  memberJoined: MemberInfoSchema,
  memberLeft: z.object({
    memberId: serverId,
    userId: serverId,
    username: serverName,
    reason: z.enum(LEAVE_REASONS).catch('disconnected'),
  }),
  hostChanged: z.object({ memberId: serverId, userId: serverId, username: serverName }),
  mediaState: z.object({ memberId: serverId, audio: z.boolean(), video: z.boolean() }),
  effectChanged: z.object({ memberId: serverId, effect: serverEffect }),
  screenShare: z.object({ memberId: serverId, active: z.boolean() }),
  roomOptions: RoomOptionsSchema,
  /** A member's link dropped (`reconnecting`) or it came back (`connected`); it did not leave. */
  memberConnection: z.object({
    memberId: serverId,
    state: z.enum(['connected', 'reconnecting']).catch('connected'),
  }),
  chat: ChatMessageSchema,
  /** The meeting's recording started or stopped (recording, issue 13). */
  recording: RecordingStatusSchema,
  /** The session is over (logged in elsewhere, heartbeat timeout); the link closes next. */
  kicked: z.object({ code: serverErrorCode, message: serverText }),
  // ---- host controls, waiting room, hands and reactions ----
  /** A host or co-host acted on this member (muted it: its audio is dropped until it unmutes). */
  moderated: z.object({
    action: z.enum(MODERATION_ACTIONS).catch('ask-unmute'),
    by: serverName,
  }),
  /** This member was removed from the meeting (`barred`: it cannot come back); it is out now. */
  removed: z.object({ by: serverName, barred: z.boolean() }),
  /** The host ended the meeting for everyone; every member is out now. */
  meetingEnded: z.object({ by: serverName }),
  roleChanged: z.object({
    memberId: serverId,
    userId: serverId,
    role: z.enum(MEETING_ROLES).catch('member'),
  }),
  /** To a waiting user: the host let you in; join again to enter. */
  admitted: z.object({ meetingId: serverName }),
  /** To a waiting user: the host turned you away (or the meeting ended). */
  waitingDenied: z.object({ meetingId: serverName }),
  /** To hosts and co-hosts: who waits now, the earliest first. */
  waitingList: z.object({ waiting: z.array(WaitingInfoSchema).max(1000) }),
  hand: z.object({ memberId: serverId, raised: z.boolean(), at: serverTime }),
  /** A reaction; a name this version does not know is passed on as is. */
  reaction: z.object({ memberId: serverId, reaction: z.string().max(32) }),
  /** Something this client sent outside a request could not be handled (the code as sent). */
  protocolError: z.object({ code: z.string().max(64), message: serverText }),
  // ---- operations and cluster ----
  /** The server is shutting down: requests are refused from now on; come back after `retryInMs`. */
  goingAway: z.object({
    message: serverText,
    retryInMs: z.number().int().min(0).max(600_000).catch(0),
  }),
  /**
   * The meeting lives on another node: log in there with `handoff` (this ticket, valid once and
   * briefly) and join `meetingId`. Sent just before the ERR_REDIRECT reply of the create or join.
   */
  redirect: z.object({
    host: z.string().max(255),
    port: z.number().int().min(1).max(65535),
    /** The node's certificate (SHA-256), vouched for by the node that redirects; null: plain. */
    fingerprint: z.string().max(128).nullable().catch(null),
    meetingId: serverName,
    ticket: z.string().max(128),
  }),
  /** A file was shared with this member (control link). */
  fileOffered: FileInfoSchema,
  /** Files link: the server stored an upload up to `offset`. */
  fileAck: z.object({ fileId: serverId, offset: serverId }),
  /** Files link: a transfer failed on the server's side. */
  fileError: z.object({ fileId: serverId, code: serverErrorCode, message: serverText }),
} as const;
export type ServerEventName = keyof typeof ServerEventSchemas;
/** Payload of every server event. */
export type ServerEvents = { [K in ServerEventName]: z.infer<(typeof ServerEventSchemas)[K]> };
/** A validated server event: its name and its typed payload. */
export type ServerEvent = {
  [K in ServerEventName]: { name: K; data: ServerEvents[K] };
}[ServerEventName];

/**
 * Validates the payload of a server event. Returns null for an event name this version does not
 * know (a newer server); throws DecodeError (ERR_BAD_REQUEST) when a known event's payload is
 * malformed, with a bounded description of what is wrong.
 */
export function parseServerEvent(name: string, data: unknown): ServerEvent | null {
  if (!Object.hasOwn(ServerEventSchemas, name)) return null;
  const schema = ServerEventSchemas[name as ServerEventName];
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new DecodeError(
      `malformed ${name} event: ${describeIssues(parsed.error)}`,
      ErrorCode.BAD_REQUEST,
    );
  }
  // The schema was picked by `name`, so `data` is that event's payload; TypeScript cannot
  // correlate the two through the index, hence the one assertion.
  return { name, data: parsed.data } as ServerEvent;
}

// ---- end of server events ----------------------------------------------------------------------

export interface ErrorBody {
  code: ErrorCodeValue;
  message: string;
}

export const RequestEnvelope = z.strictObject({
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  type: z.string().max(64),
  data: z.unknown().optional(),
});
export type RequestEnvelopeT = z.infer<typeof RequestEnvelope>;

const ServerMessage = z.union([
  z.object({ id: z.number(), ok: z.literal(true), data: z.unknown() }),
  z.object({
    id: z.number(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
  z.object({ event: z.string(), data: z.unknown() }),
]);
export type ServerMessageT = z.infer<typeof ServerMessage>;

/** Parses the JSON body of a CONTROL frame; throws DecodeError (ERR_BAD_FRAME / ERR_BAD_JSON). */
export function decodeControlFrame(frame: Buffer): unknown {
  if (frameType(frame) !== FrameType.CONTROL) {
    throw new DecodeError(
      `expected a control frame, got type ${frameType(frame)}`,
      ErrorCode.UNEXPECTED_FRAME,
    );
  }
  try {
    return JSON.parse(framePayload(frame).toString('utf8')) as unknown;
  } catch {
    throw new DecodeError('control frame is not valid JSON', ErrorCode.BAD_JSON);
  }
}

/** Validates a server message on the client side. */
export function parseServerMessage(value: unknown): ServerMessageT {
  const parsed = ServerMessage.safeParse(value);
  if (!parsed.success) throw new DecodeError('malformed server message', ErrorCode.BAD_REQUEST);
  return parsed.data;
}

export function encodeControl(message: object, maxFrameSize: number): Buffer {
  return encodeFrame(FrameType.CONTROL, Buffer.from(JSON.stringify(message), 'utf8'), maxFrameSize);
}

/**
 * A short excerpt of client-supplied text for an error message: at most `max` characters, control
 * characters replaced, an ellipsis when cut. Error replies never echo client input beyond this.
 */
export function excerpt(text: string, max = ERROR_EXCERPT_MAX): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.slice(0, max + 1).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  // At most `max` characters, the ellipsis included.
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/**
 * A one-line description of a zod failure for error replies, bounded in length whatever the input:
 * zod's messages may quote client keys (an unrecognised key of 60,000 bytes), so every path segment
 * and message is cut to a short excerpt and the whole line to ERROR_MESSAGE_MAX characters.
 */
export function describeIssues(error: z.ZodError): string {
  const line = error.issues
    .slice(0, 3)
    .map((i) => {
      const where = i.path.map((p) => excerpt(String(p))).join('.') || '(root)';
      const keys = i.code === 'unrecognized_keys' ? i.keys : [];
      const message = keys.length
        ? `unrecognized key${keys.length > 1 ? 's' : ''} ${keys
            .slice(0, 3)
            .map((k) => `'${excerpt(k)}'`)
            .join(', ')}${keys.length > 3 ? ', …' : ''}`
        : excerpt(i.message, ERROR_MESSAGE_MAX);
      return `${where}: ${message}`;
    })
    .join('; ');
  return excerpt(line, ERROR_MESSAGE_MAX);
}
