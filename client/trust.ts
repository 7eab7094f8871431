/**
 * Which server certificates this client trusts. The server's certificate is usually self-signed,
 * so the client pins its SHA-256 fingerprint on first use, per `host:port`, as SSH and Mumble do,
 * and refuses a changed one with an error naming both fingerprints until the user accepts it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, MeetingError } from '../common/errors';
import type { ServerAddress } from './connect';

/** Decides whether a server's certificate fingerprint is acceptable. */
export interface TrustPolicy {
  /** Throws MeetingError(ERR_CERT_CHANGED) to refuse `fingerprint` for `address`. */
  check(address: ServerAddress, fingerprint: string): void;
}

const key = (a: ServerAddress): string => `${a.host}:${a.port}`;

/** Normalises a fingerprint as typed by a person (any case, with or without colons). */
export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  if (hex.length !== 64) throw new TypeError('a SHA-256 fingerprint has 64 hex digits');
  return hex.match(/../g)?.join(':') ?? hex;
}

/** A server presented another certificate than the one pinned for it (ERR_CERT_CHANGED). */
export class CertChangedError extends MeetingError {
  readonly address: ServerAddress;
  readonly pinned: string;
  readonly presented: string;
  constructor(address: ServerAddress, pinned: string, presented: string) {
    super(
      ErrorCode.CERT_CHANGED,
      `the certificate of ${key(address)} changed: pinned ${pinned}, presented ${presented}. ` +
        'If the server was reinstalled, accept the new one (bot: --trust-fingerprint); otherwise ' +
        'someone may be intercepting the connection',
    );
    this.address = address;
    this.pinned = pinned;
    this.presented = presented;
  }
}

/** The error for a server whose certificate is not the pinned one. */
export function certChanged(
  address: ServerAddress,
  pinned: string,
  presented: string,
): CertChangedError {
  return new CertChangedError(address, pinned, presented);
}

/** Trusts exactly one fingerprint (tests, and a user who pasted the server's fingerprint). */
export class PinnedFingerprint implements TrustPolicy {
  readonly fingerprint: string;
  constructor(fingerprint: string) {
    this.fingerprint = normalizeFingerprint(fingerprint);
  }
  check(address: ServerAddress, fingerprint: string): void {
    if (fingerprint !== this.fingerprint) throw certChanged(address, this.fingerprint, fingerprint);
  }
}

/**
 * A known-servers file (JSON object `host:port` → fingerprint): an unknown server is trusted and
 * written down on first use; a known one must present the same certificate. `accept` records a
 * new fingerprint on the user's word. With `accepted`, that fingerprint is trusted (and recorded)
 * for any server whose pin differs (the bot's `--trust-fingerprint`).
 */
export class KnownServers implements TrustPolicy {
  readonly file: string;
  readonly #accepted: string | null;
  /** Called when a server is trusted for the first time (for a notice to the user). */
  onFirstUse: ((address: ServerAddress, fingerprint: string) => void) | null = null;

  constructor(file: string, accepted?: string) {
    this.file = file;
    this.#accepted = accepted ? normalizeFingerprint(accepted) : null;
  }

  /** The pinned fingerprint of `address`, if any. */
  pinned(address: ServerAddress): string | undefined {
    return this.#read()[key(address)];
  }

  check(address: ServerAddress, fingerprint: string): void {
    const pinned = this.pinned(address);
    if (pinned === fingerprint) return;
    if (pinned === undefined) {
      this.accept(address, fingerprint);
      this.onFirstUse?.(address, fingerprint);
      return;
    }
    if (this.#accepted === fingerprint) {
      this.accept(address, fingerprint);
      return;
    }
    throw certChanged(address, pinned, fingerprint);
  }

  /** Pins `fingerprint` for `address` (first use, or the user accepted a changed certificate). */
  accept(address: ServerAddress, fingerprint: string): void {
    const all = this.#read();
    all[key(address)] = normalizeFingerprint(fingerprint);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  #read(): Record<string, string> {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return {};
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>))
        if (typeof v === 'string') out[k] = v;
      return out;
    } catch {
      return {};
    }
  }
}

/** Where a user's known-servers file lives unless told otherwise (`MEETING_KNOWN_SERVERS`). */
export function defaultKnownServersFile(home: string, file: string): string {
  if (process.env.MEETING_KNOWN_SERVERS) return process.env.MEETING_KNOWN_SERVERS;
  const base = process.env.XDG_CONFIG_HOME ?? path.join(home, '.config');
  return path.join(base, 'meeting', file);
}
