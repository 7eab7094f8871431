/** The request being served in this async context: the logger stamps its ids on every line. */
import { AsyncLocalStorage } from 'node:async_hooks';

/** What every log line of a request carries. */
export interface RequestContext {
  reqId: string;
  memberId?: number;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();
