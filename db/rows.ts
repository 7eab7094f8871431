// Helpers shared by the repositories to turn driver rows into plain values. mysql2 may return
// BIGINT/DECIMAL as strings and SQLite never enforces column lengths, so both are handled here.

/** A numeric column as a JS number; throws if the driver gave something that is not a number. */
export function toNumber(value: unknown, column: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : NaN;
  if (!Number.isNaN(n)) return n;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new TypeError(`Column ${column} is not numeric: ${String(value)}`);
}

/** Like `toNumber`, but keeps SQL NULL as null. */
export function toNullableNumber(value: unknown, column: string): number | null {
  return value === null || value === undefined ? null : toNumber(value, column);
}

/** Number of characters as MySQL counts them for VARCHAR(n) (code points, not UTF-16 units). */
export function charLength(s: string): number {
  // Fast path: without surrogates, UTF-16 units are characters.
  return /[\uD800-\uDFFF]/.test(s) ? Array.from(s).length : s.length;
}

/** `s` cut to at most `max` characters (code points). */
export function truncate(s: string, max: number): string {
  return charLength(s) <= max ? s : Array.from(s).slice(0, max).join('');
}

/** Throws TypeError naming `field` unless `value` is a string of at most `max` characters. */
export function checkString(value: unknown, field: string, max: number): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${field} must be a string`);
  if (charLength(value) > max) throw new TypeError(`${field} must be at most ${max} characters`);
}

/** Throws TypeError naming `field` unless `value` is a safe integer (>= `min`). */
export function checkInteger(value: unknown, field: string, min = 0): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${field} must be an integer >= ${min}`);
  }
}
