/** Structured logs (pino): the server log on stdout, the access log in its own file. */
import pino, { type Logger } from 'pino';

export type { Logger };

/** The server's logger; MEETING_LOG_LEVEL overrides the level (tests default to 'warn'). */
export function createLogger(level?: string): Logger {
  return pino({
    level: level ?? process.env.MEETING_LOG_LEVEL ?? 'info',
    base: { svc: 'meeting' },
  });
}

/** Appends one JSON line per access event to `file` (synchronously: the log must not lose lines). */
export function createFileLogger(file: string): Logger {
  return pino(
    { base: null, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: file, sync: true, mkdir: true }),
  );
}
