/** Every limit the server enforces, with defaults from common/constants; tests may tighten them. */
import {
  AUTH_TIMEOUT_MS,
  HEARTBEAT_TIMEOUT_MS,
  LINK_OUTPUT_MAX_BYTES,
  LINK_OUTPUT_PAUSE_BYTES,
  LINK_REQUESTS_IN_FLIGHT,
  LINK_STALL_MS,
  MEDIA_RATE_CAPS,
} from '../common/constants';
import type { ConnectionLimits } from './Connection';
import type { MediaRateCaps } from './Member';

export interface ServerLimits extends ConnectionLimits {
  rateCaps: MediaRateCaps;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
  authTimeoutMs: AUTH_TIMEOUT_MS,
  requestsInFlight: LINK_REQUESTS_IN_FLIGHT,
  outputPauseBytes: LINK_OUTPUT_PAUSE_BYTES,
  outputMaxBytes: LINK_OUTPUT_MAX_BYTES,
  stallMs: LINK_STALL_MS,
  rateCaps: MEDIA_RATE_CAPS,
};
