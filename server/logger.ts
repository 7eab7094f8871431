/** Structured logs (pino): the server log on stdout, the access log in its own file. */
import pino, { type Logger } from 'pino';
import { requestContext } from './ops/requestContext';

export type { Logger };

/** The server's logger; MEETING_LOG_LEVEL overrides the level (tests default to 'warn'). */
export function createLogger(level?: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: level ?? process.env.MEETING_LOG_LEVEL ?? 'info',
    base: { svc: 'meeting' },
    // Every line written while a request runs names it and its member (see ops/instrument.ts).
    mixin: () => requestContext.getStore() ?? {},
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Appends one JSON line per access event to `file` (synchronously: the log must not lose lines). */
export function createFileLogger(file: string): Logger {
  return pino(
    { base: null, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: file, sync: true, mkdir: true }),
  );
}
