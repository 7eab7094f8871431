// Errors raised by the database layer. Driver errors are translated here so callers never need to
// know whether SQLite or MySQL sits underneath.

/** Stable codes of the database errors; each key equals its code. */
export const DB_ERROR_CODES = {
  DB_ERR_DUPLICATE: 'DB_ERR_DUPLICATE',
} as const;

export type DbErrorCode = keyof typeof DB_ERROR_CODES;

/** Base class of the errors thrown by the database layer. */
export class DatabaseError extends Error {
  /** Stable machine-readable code. */
  readonly code: DbErrorCode;

  constructor(code: DbErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatabaseError';
    this.code = code;
  }
}

/** A row clashed with a unique key or primary key. */
export class DuplicateError extends DatabaseError {
  /** The violated constraint as `table.column`, e.g. `users.username`; same on every database. */
  readonly constraint: string;

  constructor(constraint: string, options?: ErrorOptions) {
    super('DB_ERR_DUPLICATE', `Duplicate value for ${constraint}`, options);
    this.name = 'DuplicateError';
    this.constraint = constraint;
  }
}

/** True when `err` is a unique/primary key violation reported by better-sqlite3 or mysql2. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, errno } = err as { code?: unknown; errno?: unknown };
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'ER_DUP_ENTRY' ||
    errno === 1062
  );
}
