/** Every limit the server enforces, with defaults from common/constants; tests may tighten them. */
import {
  AUTH_TIMEOUT_MS,
  LOGIN_FAILURE_RATE,
  CHAT_RATE,
  CONNECTIONS_PER_ADDRESS,
  CONNECTIONS_TOTAL,
  JOIN_RATE,
  JOIN_RATE_PER_ADDRESS,
  LOGIN_RATE,
  REGISTER_RATE,
  REGISTRATIONS_IN_FLIGHT,
  HEARTBEAT_TIMEOUT_MS,
  LINK_OUTPUT_MAX_BYTES,
  LINK_OUTPUT_PAUSE_BYTES,
  LINK_REQUESTS_IN_FLIGHT,
  LINK_STALL_MS,
  MEDIA_RATE_CAPS,
  REACTION_RATE,
  RESUME_GRACE_MS,
  RESUME_RATE,
  FILE_MAX_BYTES,
  FILE_QUOTA_BYTES,
  FILE_OFFER_RATE,
} from '../common/constants';
import type { ConnectionLimits } from './Connection';
import type { ConnectionCaps } from './Connections';
import type { FileLimits } from './files/FileTransfers';
import type { MediaRateCaps } from './Member';
import type { Limiters } from './handlers/context';
import { Throttle, type Rate, type RateLimiter } from './Throttle';

export interface ServerLimits extends ConnectionLimits, ConnectionCaps, FileLimits {
  /** Bit-rate caps per sender and media link. */
  rateCaps: MediaRateCaps;
  registerRate: Rate;
  loginRate: Rate;
  registrationsInFlight: number;
  joinRate: Rate;
  joinAddressRate: Rate;
  chatRate: Rate;
  /** How long a session whose link dropped waits for its client to resume it. */
  resumeGraceMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = {
  heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
  authTimeoutMs: AUTH_TIMEOUT_MS,
  requestsInFlight: LINK_REQUESTS_IN_FLIGHT,
  outputPauseBytes: LINK_OUTPUT_PAUSE_BYTES,
  outputMaxBytes: LINK_OUTPUT_MAX_BYTES,
  stallMs: LINK_STALL_MS,
  rateCaps: MEDIA_RATE_CAPS,
  connectionsPerAddress: CONNECTIONS_PER_ADDRESS,
  connectionsTotal: CONNECTIONS_TOTAL,
  registerRate: REGISTER_RATE,
  loginRate: LOGIN_RATE,
  registrationsInFlight: REGISTRATIONS_IN_FLIGHT,
  joinRate: JOIN_RATE,
  joinAddressRate: JOIN_RATE_PER_ADDRESS,
  chatRate: CHAT_RATE,
  resumeGraceMs: RESUME_GRACE_MS,
  fileMaxBytes: FILE_MAX_BYTES,
  fileQuotaBytes: FILE_QUOTA_BYTES,
};

/** Makes a named limiter (a cluster's shared one); default: in this process's memory. */
export type LimiterFactory = (name: string, rate: Rate) => RateLimiter;

/** The rate limiters of one server, from its limits; `shared` makes those several nodes share. */
export function createLimiters(
  limits: ServerLimits,
  shared: LimiterFactory = (_name, rate) => new Throttle(rate),
): Limiters {
  return {
    loginFailures: shared('login-failures', LOGIN_FAILURE_RATE),
    loginPerAddress: shared('login-address', limits.loginRate),
    registerPerAddress: shared('register-address', limits.registerRate),
    registrations: { inFlight: 0, max: limits.registrationsInFlight },
    joinPerAccount: shared('join-account', limits.joinRate),
    joinPerAddress: shared('join-address', limits.joinAddressRate),
    chat: new Throttle(limits.chatRate),
    resumePerAddress: new Throttle(RESUME_RATE),
    reactions: new Throttle(REACTION_RATE),
    fileOffers: new Throttle(FILE_OFFER_RATE),
  };
}
