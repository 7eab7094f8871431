/**
 * The request dispatcher: one table of handlers from every concern, schema validation of each
 * request's parameters, and the typed reply. A handler's MeetingError becomes its error reply; any
 * other fault is logged and answered with ERR_INTERNAL.
 */
import { ErrorCode, MeetingError } from '../../common/errors';
import {
  RequestSchemas,
  describeIssues,
  excerpt,
  type RequestParams,
  type RequestType,
} from '../../common/protocol';
import type { Dispatcher, Reply } from '../Connection';
import { accountHandlers } from './account';
import { chatHandlers } from './chat';
import { handoffHandlers } from './handoff';
import { AfterSent, type Handler, type HandlerTable, type ServerContext } from './context';
import { hostHandlers } from './host';
import { fileHandlers } from './files';
import { mediaHandlers } from './media';
import { meetingHandlers } from './meeting';
import { recordingHandlers } from './recording';

const HANDLERS: HandlerTable = {
  ...accountHandlers,
  ...meetingHandlers,
  ...chatHandlers,
  ...mediaHandlers,
  ...hostHandlers,
  ...handoffHandlers,
  ...fileHandlers,
  ...recordingHandlers,
};

/** The dispatcher every connection of a server uses. */
export function createDispatcher(ctx: ServerContext): Dispatcher {
  return async (connection, type, data): Promise<Reply> => {
    try {
      if (!Object.hasOwn(RequestSchemas, type))
        throw new MeetingError(ErrorCode.UNKNOWN_TYPE, `unknown request type '${excerpt(type)}'`);
      const requestType = type as RequestType;
      const parsed = RequestSchemas[requestType].safeParse(data);
      if (!parsed.success) {
        throw new MeetingError(
          ErrorCode.BAD_REQUEST,
          `invalid ${type} request: ${describeIssues(parsed.error)}`,
        );
      }
      const handler = HANDLERS[requestType] as Handler<RequestType>;
      const out = await handler(connection, parsed.data as RequestParams<RequestType>, ctx);
      return out instanceof AfterSent
        ? { ok: true, data: out.result, after: out.after }
        : { ok: true, data: out };
    } catch (error) {
      if (error instanceof MeetingError) return { ok: false, error: error.toJSON() };
      ctx.logger.error({ err: error, type: excerpt(type) }, 'request failed');
      return { ok: false, error: { code: ErrorCode.INTERNAL, message: 'internal error' } };
    }
  };
}
