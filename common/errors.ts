/**
 * Stable error codes of the protocol. Each code is the key prefixed with `ERR_`; every code is
 * documented in docs/errors.md (a test checks both).
 */
export const ErrorCode = {
  BAD_FRAME: 'ERR_BAD_FRAME',
  FRAME_TOO_LARGE: 'ERR_FRAME_TOO_LARGE',
  BAD_JSON: 'ERR_BAD_JSON',
  BAD_REQUEST: 'ERR_BAD_REQUEST',
  UNKNOWN_TYPE: 'ERR_UNKNOWN_TYPE',
  UNEXPECTED_FRAME: 'ERR_UNEXPECTED_FRAME',
  NOT_LOGGED_IN: 'ERR_NOT_LOGGED_IN',
  ALREADY_LOGGED_IN: 'ERR_ALREADY_LOGGED_IN',
  INVALID_USERNAME: 'ERR_INVALID_USERNAME',
  WEAK_PASSWORD: 'ERR_WEAK_PASSWORD',
  USERNAME_TAKEN: 'ERR_USERNAME_TAKEN',
  BAD_CREDENTIALS: 'ERR_BAD_CREDENTIALS',
  RATE_LIMITED: 'ERR_RATE_LIMITED',
  SERVER_BUSY: 'ERR_SERVER_BUSY',
  BAD_TOKEN: 'ERR_BAD_TOKEN',
  LOGGED_IN_ELSEWHERE: 'ERR_LOGGED_IN_ELSEWHERE',
  HEARTBEAT_TIMEOUT: 'ERR_HEARTBEAT_TIMEOUT',
  MEETING_NOT_FOUND: 'ERR_MEETING_NOT_FOUND',
  MEETING_PASSWORD: 'ERR_MEETING_PASSWORD',
  MEETING_FULL: 'ERR_MEETING_FULL',
  TOO_MANY_CONNECTIONS: 'ERR_TOO_MANY_CONNECTIONS',
  LOGIN_TIMEOUT: 'ERR_LOGIN_TIMEOUT',
  NOT_IN_MEETING: 'ERR_NOT_IN_MEETING',
  ALREADY_IN_MEETING: 'ERR_ALREADY_IN_MEETING',
  RECIPIENT_NOT_FOUND: 'ERR_RECIPIENT_NOT_FOUND',
  NOT_HOST: 'ERR_NOT_HOST',
  SCREEN_SHARE_BUSY: 'ERR_SCREEN_SHARE_BUSY',
  // host controls and the waiting room
  MEMBER_NOT_FOUND: 'ERR_MEMBER_NOT_FOUND',
  BAD_TARGET: 'ERR_BAD_TARGET',
  MEETING_LOCKED: 'ERR_MEETING_LOCKED',
  BARRED: 'ERR_BARRED',
  WAITING_ROOM: 'ERR_WAITING_ROOM',
  WAITING_DENIED: 'ERR_WAITING_DENIED',
  SHUTTING_DOWN: 'ERR_SHUTTING_DOWN',
  REPLY_TOO_LARGE: 'ERR_REPLY_TOO_LARGE',
  // recording (issue 13)
  RECORDING_ACTIVE: 'ERR_RECORDING_ACTIVE',
  NOT_RECORDING: 'ERR_NOT_RECORDING',
  RECORDING_NOT_FOUND: 'ERR_RECORDING_NOT_FOUND',
  RECORDING_UNAVAILABLE: 'ERR_RECORDING_UNAVAILABLE',
  INTERNAL: 'ERR_INTERNAL',
  TIMEOUT: 'ERR_TIMEOUT',
  CONNECTION_CLOSED: 'ERR_CONNECTION_CLOSED',
  CONNECT_FAILED: 'ERR_CONNECT_FAILED',
  CERT_CHANGED: 'ERR_CERT_CHANGED',
  TLS_FAILED: 'ERR_TLS_FAILED',
  RESUME_FAILED: 'ERR_RESUME_FAILED',
  SESSION_LOST: 'ERR_SESSION_LOST',
  // cluster (several nodes)
  REDIRECT: 'ERR_REDIRECT',
  BAD_TICKET: 'ERR_BAD_TICKET',
  // ---- file transfers
  FILE_NOT_FOUND: 'ERR_FILE_NOT_FOUND',
  FILE_NAME: 'ERR_FILE_NAME',
  FILE_TOO_LARGE: 'ERR_FILE_TOO_LARGE',
  QUOTA_EXCEEDED: 'ERR_QUOTA_EXCEEDED',
  FILE_OFFSET: 'ERR_FILE_OFFSET',
  FILE_CORRUPT: 'ERR_FILE_CORRUPT',
  FILE_CANCELLED: 'ERR_FILE_CANCELLED',
  NO_FILE_LINK: 'ERR_NO_FILE_LINK',
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

const codes = new Set<string>(Object.values(ErrorCode));
/** True when `code` is one of the protocol's error codes. */
export function isErrorCode(code: string): code is ErrorCodeValue {
  return codes.has(code);
}

/** An error carrying a stable protocol code; sent to the peer as `{ code, message }`. */
export class MeetingError extends Error {
  readonly code: ErrorCodeValue;
  constructor(code: ErrorCodeValue, message: string) {
    super(message);
    this.name = 'MeetingError';
    this.code = code;
  }
  toJSON(): { code: ErrorCodeValue; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** A bounds-checked decoder found its input truncated or inconsistent. */
export class DecodeError extends MeetingError {
  constructor(message: string, code: ErrorCodeValue = ErrorCode.BAD_FRAME) {
    super(code, message);
    this.name = 'DecodeError';
  }
}

/** A message could not be encoded (it does not fit in one frame); nothing was sent. */
export class EncodeError extends MeetingError {
  constructor(message: string, code: ErrorCodeValue = ErrorCode.FRAME_TOO_LARGE) {
    super(code, message);
    this.name = 'EncodeError';
  }
}
