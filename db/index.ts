export { Database, openDatabase } from './Database';
export type { DatabaseKind, DatabaseOptions } from './Database';
export {
  DEFAULT_DATA_DIR,
  MIGRATIONS_CONFIG,
  MIGRATIONS_DIRECTORY,
  SQLITE_FILE_NAME,
  redactUrl,
  resolveDatabaseConfig,
} from './config';
export type { ResolvedDatabaseConfig } from './config';
export { DB_ERROR_CODES, DatabaseError, DuplicateError, isUniqueViolation } from './errors';
export type { DbErrorCode } from './errors';
export { AccessLogRepository } from './repositories/AccessLogRepository';
export type {
  AccessEvent,
  AccessLogEntry,
  AccessLogFilter,
} from './repositories/AccessLogRepository';
export { MeetingRepository } from './repositories/MeetingRepository';
export type { Attendance, Meeting } from './repositories/MeetingRepository';
export { MessageRepository } from './repositories/MessageRepository';
export type { StoredMessage } from './repositories/MessageRepository';
export { SessionRepository } from './repositories/SessionRepository';
export type { StoredSession } from './repositories/SessionRepository';
export { RecordingRepository } from './repositories/RecordingRepository';
export type {
  Recording,
  RecordingState,
  Segment,
  SegmentState,
} from './repositories/RecordingRepository';
export { UserRepository } from './repositories/UserRepository';
export type { User } from './repositories/UserRepository';
