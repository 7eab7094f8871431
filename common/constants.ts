/**
 * Every constant of the system in one module (ports, limits, timeouts, media settings), imported by
 * both the server and the client.
 *
 * Sections, in this order: PROTOCOL (what both sides must agree on), SERVER, CLIENT MEDIA, DESKTOP.
 * A constant goes in the section of the code that enforces it.
 */

// =================================================================================================
// PROTOCOL: network, framing, link kinds, message limits, media wire format
// =================================================================================================

// ---- network ---------------------------------------------------------------------------------
/** Protocol version spoken on all three links; bumped on incompatible changes. */
export const PROTOCOL_VERSION = 1;
/** Default address and TCP port of the meeting server; all three links of a client connect here. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 47800;

// ---- framing ---------------------------------------------------------------------------------
/** Bytes of the big-endian length prefix in front of each frame. */
export const FRAME_PREFIX_BYTES = 4;
/** Largest frame body (type byte + payload) accepted or sent on each kind of link. */
export const MAX_FRAME_SIZE: Readonly<Record<LinkKind, number>> = {
  control: 64 * 1024,
  audio: 4 * 1024,
  video: 1024 * 1024,
  // A file chunk (FILE_CHUNK_BYTES) plus its header, with room to spare.
  files: 260 * 1024,
};
/** Frame body types (first byte after the length prefix). */
export const FrameType = { CONTROL: 0x01, MEDIA: 0x02, FILE: 0x03 } as const;

// ---- link kinds ------------------------------------------------------------------------------
/** Kinds of TCP link a client opens; the first frame on each link names its kind. */
export const LINK_KINDS = ['control', 'audio', 'video', 'files'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

// ---- message limits --------------------------------------------------------------------------
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
export const PASSWORD_MIN_LENGTH = 6;
export const PASSWORD_MAX_LENGTH = 128;
export const MEETING_NAME_MAX_LENGTH = 100;
export const CHAT_MAX_LENGTH = 4000;
/** Messages in one page of chat history at most (pages are bounded in bytes too). */
export const CHAT_HISTORY_ON_JOIN = 100;
/** Chat history is sent in pages of at most this many bytes of JSON (the join reply holds one). */
export const CHAT_HISTORY_PAGE_BYTES = 16 * 1024;
/** Characters of client input an error message may quote (names, keys, ids). */
export const ERROR_EXCERPT_MAX = 40;
/** Longest message of an error reply, whatever the request held. */
export const ERROR_MESSAGE_MAX = 300;
/** How long a client waits for the reply to one request. */
export const REQUEST_TIMEOUT_MS = 10_000;

// ---- media wire format -----------------------------------------------------------------------
export const MediaKind = { AUDIO: 1, VIDEO: 2 } as const;
export type MediaKindValue = (typeof MediaKind)[keyof typeof MediaKind];
/** Source ids of a member: a member may publish several sources of the same kind. */
export const MediaSource = { MICROPHONE: 0, CAMERA: 0, SCREEN: 1 } as const;
export const MediaFlag = {
  /** A video frame that can be decoded alone (every JPEG is). */
  KEYFRAME: 0x01,
  /** First audio frame of a talk spurt after silence. */
  TALK_START: 0x02,
} as const;
/** Bytes of the binary media header that follows the frame type byte. */
export const MEDIA_HEADER_BYTES = 20;

// ---- file transfers (wire) ---------------------------------------------------------------------
/** Bytes of the binary file-chunk header after the frame type byte: file id u32, offset u64. */
export const FILE_HEADER_BYTES = 12;
/** Bytes of file data in one chunk frame at most. */
export const FILE_CHUNK_BYTES = 256 * 1024;
/** Longest file name the protocol carries (characters, before sanitising). */
export const FILE_NAME_MAX_LENGTH = 1024;
/** Longest file name kept after sanitising (UTF-8 bytes: the common file-system limit). */
export const FILE_NAME_MAX_BYTES = 255;
/** Longest MIME type kept (longer or malformed ones become application/octet-stream). */
export const FILE_MIME_MAX_LENGTH = 100;
/** The server acknowledges an upload at least every this many stored bytes (and at the end). */
export const FILE_ACK_BYTES = 512 * 1024;

// =================================================================================================
// SERVER: sessions, auth and the worker pool, relay, links and backpressure, rate limits
// =================================================================================================

// ---- sessions and meetings -------------------------------------------------------------------
/** Interval at which clients send heartbeats (ping) on the control link. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A control link silent for this long is dropped and its member leaves its meeting. */
export const HEARTBEAT_TIMEOUT_MS = 15_000;
/** Lifetime of a session token for attaching media links. */
export const SESSION_TOKEN_TTL_MS = 12 * 60 * 60 * 1000;
/** Bytes of randomness in a session token. */
export const SESSION_TOKEN_BYTES = 24;
// ---- surviving the network: TLS, dead links, session resume -------------------------------
/**
 * A session whose control link dropped stays (its member shown as reconnecting) this long for the
 * client to resume it; then it ends and its member leaves. After a server restart the sessions
 * restored from the database get this long from the moment the server listens.
 */
export const RESUME_GRACE_MS = 60_000;
/** Bytes of randomness in a resume token (a new one on every login and resume). */
export const RESUME_TOKEN_BYTES = 32;
/** Resume attempts per address: 30, then 30 a minute (tokens cannot be guessed; this bounds work). */
export const RESUME_RATE = { perMinute: 30, burst: 30 } as const;
/** The client pings this often while connected... */
export const LIVENESS_PING_INTERVAL_MS = 1_000;
/** ...and drops the control link (then reconnects) when no reply came for this long. */
export const LIVENESS_DEADLINE_MS = 3_000;
/** Reconnect back-off: first delay, growth factor, longest delay, and +/- jitter as a fraction. */
export const RECONNECT_BACKOFF = { initialMs: 250, factor: 2, maxMs: 2_000, jitter: 0.3 } as const;
/** A client stops trying to resume after this long and reports the session lost. */
export const RECONNECT_GIVE_UP_MS = RESUME_GRACE_MS;
/** Chat messages a disconnected client queues to send once it is back. */
export const CHAT_OUTBOX_MAX = 100;
/** Longest client-generated chat id (idempotency key of a chat message). */
export const CHAT_CLIENT_ID_MAX = 64;
/** TLS key and certificate the server creates in its data folder on first start. */
export const TLS_KEY_FILE = 'tls/server.key';
export const TLS_CERT_FILE = 'tls/server.crt';
/** Server certificates the client trusts, by `host:port` (pinned on first use, as SSH does). */
export const KNOWN_SERVERS_FILE = 'known-servers.json';

/** Members one meeting holds at most (so that the member list fits in one join reply). */
export const MEETING_MAX_MEMBERS = 200;
/**
 * Meeting ids: MEETING_ID_GROUPS groups of MEETING_ID_GROUP_LENGTH characters of Crockford's
 * base32 (no i, l, o, u), e.g. `k3tq-8zrm-c1x5`: 2^60 possibilities, easy to read aloud or paste.
 */
export const MEETING_ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const MEETING_ID_GROUPS = 3;
export const MEETING_ID_GROUP_LENGTH = 4;

// ---- accounts and the worker pool ------------------------------------------------------------
/** scrypt parameters for password hashes (N=2^14, r=8, p=1: about 50 ms on these machines). */
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1, keyLength: 32, saltBytes: 16 } as const;
/**
 * Login attempts per username+address: 5, then 5 a minute. Each attempt counts before the hash; a
 * successful login forgives the key.
 */
export const LOGIN_FAILURE_RATE = { perMinute: 5, burst: 5 } as const;
/** Worker pool: threads and the bounded queue behind them ("server busy" past it). */
export const WORKER_POOL_MAX_THREADS = 2;
export const WORKER_POOL_MAX_QUEUE = 64;
/** Registrations hashing at once, server-wide: the rest of the worker pool stays for logins. */
export const REGISTRATIONS_IN_FLIGHT = 8;

// ---- relay -----------------------------------------------------------------------------------
/** Bytes of video a receiver's socket may have queued before further video frames are dropped. */
export const RELAY_VIDEO_QUEUE_BYTES = 512 * 1024;
/** Audio never queues more than about this much per receiver and sender. */
export const RELAY_AUDIO_QUEUE_MS = 200;
/**
 * A receiver's audio socket counts as keeping up while it holds fewer unsent bytes than this: a TLS
 * socket holds each write until the next tick even when the kernel takes it at once, so "nothing
 * unsent" would throttle it to one frame per flush.
 */
export const RELAY_AUDIO_SOCKET_SLACK_BYTES = 4096;
/** While a receiver's audio socket is backed up, waiting frames are written at this interval. */
export const RELAY_AUDIO_FLUSH_MS = 5;
/**
 * The frames queued for one socket in one event-loop turn go out in one write (copied into one
 * buffer) of at most this many bytes: a batch that would grow past it is written first, a frame as
 * large goes out alone at once. ~80 audio frames; a video frame is written on its own.
 */
export const COALESCE_MAX_BYTES = 8 * 1024;

// ---- links and backpressure ------------------------------------------------------------------
/** A link that neither logs in nor attaches within this time is closed (pings do not extend it). */
export const AUTH_TIMEOUT_MS = 10_000;
/** Requests queued or running on one link before the server stops reading it. */
export const LINK_REQUESTS_IN_FLIGHT = 16;
/**
 * Unread output (bytes, beyond what the kernel holds) on a link above which the server stops
 * reading its requests; a link that stays above it for LINK_STALL_MS is closed.
 */
export const LINK_OUTPUT_PAUSE_BYTES = 256 * 1024;
export const LINK_STALL_MS = 3_000;
/** Unread output (bytes) that closes a link at once. */
export const LINK_OUTPUT_MAX_BYTES = 1024 * 1024;

// ---- rate limits -----------------------------------------------------------------------------
/** Connections open at once from one IP address (a client uses three), and in total. */
export const CONNECTIONS_PER_ADDRESS = 64;
export const CONNECTIONS_TOTAL = 10_000;
/** Registrations per IP address: a burst, then this many per minute. */
export const REGISTER_RATE = { perMinute: 30, burst: 30 } as const;
/** Login attempts per IP address (any username, known or not), counted before the hash. */
export const LOGIN_RATE = { perMinute: 60, burst: 30 } as const;
/** Meeting joins per account (a wrong meeting password counts too). */
export const JOIN_RATE = { perMinute: 30, burst: 10 } as const;
/** Meeting joins per IP address: a whole office behind one NAT joins at nine o'clock. */
export const JOIN_RATE_PER_ADDRESS = { perMinute: 120, burst: 60 } as const;
/**
 * Keys (addresses, accounts, members) one rate limit remembers at most, the least recently used
 * forgotten first: about 150 bytes each, so a flood of new addresses cannot grow memory.
 */
export const THROTTLE_MAX_KEYS = 20_000;
/** Chat messages per member. */
export const CHAT_RATE = { perMinute: 300, burst: 20 } as const;
/**
 * Bit-rate cap per sender and media link (bytes/s, burst bytes); frames over it are dropped and
 * counted. Audio: Opus voice is 3-8 KB/s; video: a 640x480 JPEG at 30 fps plus a shared screen.
 */
export const MEDIA_RATE_CAPS = {
  audio: { bytesPerSecond: 32 * 1024, burstBytes: 16 * 1024 },
  video: { bytesPerSecond: 4 * 1024 * 1024, burstBytes: 2 * 1024 * 1024 },
} as const;

// ---- host controls, waiting room, hands and reactions -----------------------------------------
/** Roles in a meeting: one host, any number of co-hosts (most host powers), the members. */
export const MEETING_ROLES = ['host', 'co-host', 'member'] as const;
export type MeetingRole = (typeof MEETING_ROLES)[number];
/** People one meeting's waiting room holds at most (more get ERR_MEETING_FULL). */
export const WAITING_ROOM_MAX = 100;
/**
 * Users a room remembers as let in (admitted or present once), so that they do not wait again or
 * meet the lock when they come back; the oldest are forgotten first past this.
 */
export const ROOM_ADMITTED_MAX = 4 * MEETING_MAX_MEMBERS;
/** Users barred from one meeting at most (the oldest bars stay; further removals only remove). */
export const MEETING_BANS_MAX = 1000;
/** Reactions a member can send; clients show one on the sender's tile for REACTION_SHOW_MS. */
export const REACTIONS = ['thumbs-up', 'clap', 'laugh', 'heart', 'surprised', 'celebrate'] as const;
export type ReactionName = (typeof REACTIONS)[number];
export const REACTION_SHOW_MS = 4_000;
/** Reactions and hand raises per member. */
export const REACTION_RATE = { perMinute: 60, burst: 10 } as const;
// ---- recording (issue 13) --------------------------------------------------------------------
/** A recording is written in segments of this many minutes (`--record-segment-minutes`). */
export const RECORDING_SEGMENT_MINUTES = 10;
/** Shortest segment a server accepts (ms): tests use seconds. */
export const RECORDING_SEGMENT_MIN_MS = 1_000;
/** The composed picture of a recording: size and frame rate. */
export const RECORDING_VIDEO = { width: 1280, height: 720, fps: 15 } as const;
/**
 * The compositor writes a moment this long after it happened (ms): frames that arrive later than
 * this (a slow sender, the relay's own queues) are left out instead of delaying the file.
 */
export const RECORDING_DELAY_MS = 1_000;
/** The recorder hands frames to its compositor in one write per this many ms (a writev). */
export const RECORDING_BATCH_MS = 10;
/** Bytes of media waiting in the pipe to one compositor above which frames are dropped, not queued. */
export const RECORDING_PIPE_MAX_BYTES = 8 * 1024 * 1024;
/** Disk space all recordings may use together (bytes); a start is refused and a recording stops past it. */
export const RECORDING_MAX_BYTES = 20 * 1024 * 1024 * 1024;
/**
 * A stop request waits this long for the last file to be finished (ms), then replies with the
 * recording as it stands (state 'recording' until its files are done): under a client's timeout.
 */
export const RECORDING_STOP_REPLY_MS = 6_000;
/** Recordings older than this many days are deleted (0: keep them for ever). */
export const RECORDING_RETENTION_DAYS = 30;
/** How often the disk limit and retention are checked while the server runs (ms). */
export const RECORDING_SWEEP_MS = 60_000;
/** Bytes of a segment in one download chunk (base64 in a control frame, well under 64 KiB). */
export const RECORDING_CHUNK_BYTES = 32 * 1024;
/** Chunk requests a client keeps in flight while downloading (below LINK_REQUESTS_IN_FLIGHT). */
export const RECORDING_DOWNLOAD_WINDOW = 4;
/** Recordings one list reply holds at most (the newest). */
export const RECORDING_LIST_MAX = 50;
/** Segments per recording in a list reply at most (a 10-minute segment: 8 hours). */
export const RECORDING_LIST_SEGMENTS_MAX = 48;

// ---- logs ------------------------------------------------------------------------------------
export const ACCESS_LOG_FILE = 'access.log';

// ---- file transfers (server) -----------------------------------------------------------------
/** Largest file one upload may declare (bytes); configurable per server. */
export const FILE_MAX_BYTES = 1024 * 1024 * 1024;
/** Bytes of files one user may have stored or being uploaded at once; configurable per server. */
export const FILE_QUOTA_BYTES = 4 * 1024 * 1024 * 1024;
/** Uploads one user may have unfinished at once (each holds a partial file on disk). */
export const FILE_UPLOADS_PER_USER = 16;
/** File offers per user (each writes a database row, even for an empty file). */
export const FILE_OFFER_RATE = { perMinute: 120, burst: 30 } as const;
/** Downloads one files link streams at once (each holds a file open). */
export const FILE_DOWNLOADS_PER_LINK = 8;
/** Files a fileList reply describes at most (newest first). */
export const FILE_LIST_MAX = 200;
/** Folder under the server's data folder for stored files (`blobs/`) and partial uploads. */
export const FILES_DIR = 'files';
/**
 * Lossless links: bytes a receiver's socket may have unsent before the producer waits for 'drain';
 * and bytes of received chunks waiting for the disk before the server stops reading the link.
 */
export const LOSSLESS_HIGH_WATER_BYTES = 1024 * 1024;
export const FILE_LINK_PAUSE_BYTES = 2 * 1024 * 1024;

// =================================================================================================
// CLIENT MEDIA: audio and video settings, jitter buffer, VAD, effects, screen
// =================================================================================================

// ---- client: chat ------------------------------------------------------------------------------
/** Messages of a meeting's history a client fetches on joining at most (the newest ones). */
export const CHAT_HISTORY_CLIENT_MAX = 1000;

// ---- client: file transfers and chat log -------------------------------------------------------
/**
 * Upload bytes a client sends beyond the server's last acknowledgement at most: what a cut link can
 * cost to send again.
 */
export const FILE_UPLOAD_WINDOW_BYTES = 2 * 1024 * 1024;
/** A transfer whose link drops is resumed this many times before it fails. */
export const FILE_RESUME_ATTEMPTS = 5;
/** Pause before a transfer reopens a dropped link (ms). */
export const FILE_RESUME_DELAY_MS = 200;
/** Progress events of one transfer at most this often (ms), plus one at the end. */
export const FILE_PROGRESS_INTERVAL_MS = 250;
/** Default folder of chat logs, under the user's home (desktop and bot; configurable). */
export const CHAT_LOG_DIR_DEFAULT = 'meeting-chats';

// ---- audio and video settings ----------------------------------------------------------------
export const AUDIO_SAMPLE_RATE = 48_000;
export const AUDIO_CHANNELS = 1;
export const AUDIO_FRAME_MS = 20;
export const AUDIO_FRAME_SAMPLES = (AUDIO_SAMPLE_RATE * AUDIO_FRAME_MS) / 1000;
export const VIDEO_DEFAULT_WIDTH = 640;
export const VIDEO_DEFAULT_HEIGHT = 480;
export const VIDEO_DEFAULT_FPS = 15;
export const VIDEO_MAX_FPS = 30;
export const VIDEO_DEFAULT_JPEG_QUALITY = 70;
/** Receivers drop video frames older than this (the original project's rule). */
export const VIDEO_MAX_AGE_MS = 200;
/**
 * Receivers drop audio older than this on arrival. The relay bounds what it queues in the server,
 * but the kernel's send buffer in front of a stalled receiver can hold seconds more; stale audio
 * must not be played late.
 */
export const AUDIO_MAX_AGE_MS = 250;
/** Audio a playback device may have waiting before new frames are dropped (ms). */
export const AUDIO_PLAYBACK_MAX_QUEUE_MS = 200;

// ---- jitter buffer ---------------------------------------------------------------------------
/** Bounds of the jitter buffer's adaptive target depth (ms). */
export const JITTER_MIN_DEPTH_MS = 20;
export const JITTER_MAX_DEPTH_MS = 200;

// ---- voice activity --------------------------------------------------------------------------
/** Voice activity: speech lasts this long after the last loud frame (ms). */
export const VAD_HANGOVER_MS = 300;
/** Hysteresis of the active-speaker choice (ms). */
export const ACTIVE_SPEAKER_HOLD_MS = 300;

// ---- face effects ----------------------------------------------------------------------------
/** Face effects a sender can apply before encoding (remembered per user). */
export const FACE_EFFECTS = [
  'none',
  'blur',
  'pixelate',
  'glasses',
  'beauty',
  'background-blur',
] as const;
export type FaceEffectName = (typeof FACE_EFFECTS)[number];
/** The face effect a new account starts with. */
export const FACE_EFFECT_DEFAULT: FaceEffectName = 'none';
/** True when `v` names a face effect. */
export function isFaceEffect(v: unknown): v is FaceEffectName {
  return typeof v === 'string' && (FACE_EFFECTS as readonly string[]).includes(v);
}
/** Width of the grey copy the face detector runs on (px); height follows the frame's aspect. */
export const FACE_DETECT_WIDTH = 240;
/** The face detector runs on every this-many-th frame; the face is followed in between. */
export const FACE_DETECT_EVERY = 3;
/** A face the detector no longer finds is kept this long (ms) before effects drop it. */
export const FACE_HOLD_MS = 500;

// ---- screen sharing --------------------------------------------------------------------------
/** Frames per second of a screen share unless told otherwise (slides and text change slowly). */
export const SCREEN_DEFAULT_FPS = 5;
/** Without an explicit size, a shared screen is scaled down to fit this box, keeping its aspect ratio. */
export const SCREEN_FIT_WIDTH = 1280;
export const SCREEN_FIT_HEIGHT = 720;

// =================================================================================================
// DESKTOP: timing and layout of the NodeGui user interface
// =================================================================================================

/** Interval of the Qt event pump: input latency is at most this; idle CPU stays low. */
export const QT_PUMP_INTERVAL_MS = 8;
/** After the window's last resize event, pictures are re-scaled to their tiles this much later. */
export const DESKTOP_RESIZE_REPAINT_MS = 60;
/**
 * Screen layout: the strip of camera tiles under the shared screens takes this share of the
 * window's height, kept within these bounds (px).
 */
export const DESKTOP_CAMERA_STRIP = { heightShare: 0.24, minPx: 90, maxPx: 200 } as const;
/** Smallest side of a video tile in the screen layout (px). */
export const DESKTOP_TILE_MIN_PX = 40;

// ---- desktop: join screen, meeting window, login (issue 14) ------------------------------------
/** A login attempt (connect + log in or register) gives up after this long; Cancel ends it sooner. */
export const DESKTOP_CONNECT_TIMEOUT_MS = 10_000;
/** Join / leave notices and short confirmations ("Invite copied") stay this long (ms). */
export const DESKTOP_NOTICE_MS = 4000;
/** Camera pictures are this shape (width / height); tiles keep it, letterboxing the rest. */
export const DESKTOP_TILE_ASPECT = 4 / 3;
/** The join screen's microphone level meter: refresh interval (ms) and the level shown as empty (dBFS). */
export const DESKTOP_LEVEL_METER = { intervalMs: 100, floorDb: -60 } as const;
/** The speaker test on the join screen: a tone of this length and pitch. */
export const DESKTOP_TEST_TONE = { ms: 1000, frequencyHz: 660 } as const;
/** Join / leave cue sounds: length (ms) and pitch (Hz) of each note, quiet enough under speech. */
export const DESKTOP_CUE = {
  noteMs: 90,
  joinHz: [660, 880],
  leaveHz: [880, 660],
  gain: 0.18,
} as const;
/** Default window size of each page; a size the user chose for a page is kept (settings file). */
export const DESKTOP_PAGE_SIZES = {
  login: { width: 460, height: 480 },
  lobby: { width: 860, height: 600 },
  join: { width: 900, height: 640 },
  meeting: { width: 1200, height: 760 },
} as const;
/** V8's young generation of the desktop process is capped at this (MB per semi-space). */
export const DESKTOP_SEMI_SPACE_MB = 2;
/** Characters of a chat message left below which the counter turns to a warning colour. */
export const DESKTOP_CHAT_WARN_LEFT = 200;
// =================================================================================================
// OPERATIONS: metrics, health, shutdown, and several nodes (cluster)
// =================================================================================================

// ---- metrics and health ----------------------------------------------------------------------
/** Address the metrics/health HTTP port binds to unless told otherwise (loopback: not public). */
export const METRICS_DEFAULT_HOST = '127.0.0.1';
/** Buckets of the relay latency histogram (seconds, receive → written on the receiver's socket). */
export const METRICS_RELAY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
] as const;
/** Buckets of request, worker-pool and database timings (seconds). */
export const METRICS_TIME_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;

// ---- graceful shutdown -----------------------------------------------------------------------
/** On SIGTERM, in-flight requests and database writes get this long (ms) before the exit. */
export const SHUTDOWN_DRAIN_MS = 3000;
/** Then every link is ended after its queued output (the goingAway notice); at most this long (ms). */
export const SHUTDOWN_FLUSH_MS = 500;
/** The process exits after this long (ms) after SIGTERM whatever is still pending. */
export const SHUTDOWN_MAX_MS = 4500;

// ---- cluster (several nodes on Redis) --------------------------------------------------------
/** A node's and its meetings' leases in Redis run out this long (ms) after the last renewal. */
export const CLUSTER_LEASE_MS = 10_000;
/** Leases are renewed this often (ms): three renewals can fail before one runs out. */
export const CLUSTER_RENEW_MS = 3000;
/** A redirect's handoff ticket (log in on the meeting's node without the password) lives this long (ms). */
export const CLUSTER_HANDOFF_TTL_MS = 30_000;
/** Bytes of randomness in a handoff ticket. */
export const CLUSTER_HANDOFF_BYTES = 32;
/** Logins per node whose Redis time is kept to settle two logins at once (oldest forgotten first). */
export const CLUSTER_LOGINS_KEPT = 20_000;
/** Prefix of every Redis key the cluster writes (several deployments may share one Redis). */
export const CLUSTER_KEY_PREFIX = 'meeting:';
/** Length limit of a node id (`--node-id`): letters, digits, dot, dash, underscore. */
export const CLUSTER_NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
