/**
 * The server's TLS identity: a key and certificate given by the operator (`--tls-cert/--tls-key`),
 * or a self-signed pair the server creates in its data folder on first start and keeps. Clients
 * pin the certificate's SHA-256 fingerprint on first use (as SSH and Mumble do), so a self-signed
 * certificate protects as well as a CA-signed one once pinned.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import selfsigned from 'selfsigned';
import { TLS_CERT_FILE, TLS_KEY_FILE } from '../common/constants';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsIdentity {
  /** PEM certificate and key. */
  cert: string;
  key: string;
  /** SHA-256 fingerprint of the certificate, `AB:CD:…` (what clients pin). */
  fingerprint: string;
  context: tls.SecureContext;
}

/** SHA-256 fingerprint of a PEM certificate, as upper-case hex pairs joined by colons. */
export function certificateFingerprint(certPem: string): string {
  return new crypto.X509Certificate(certPem).fingerprint256;
}

/**
 * Loads the operator's key and certificate (`files`), or the ones in `dataDir`, creating a
 * self-signed pair there when there is none yet. The key file is written readable by its owner only.
 */
export async function loadTlsIdentity(dataDir: string, files?: TlsFiles): Promise<TlsIdentity> {
  const certFile = files?.certFile ?? path.join(dataDir, TLS_CERT_FILE);
  const keyFile = files?.keyFile ?? path.join(dataDir, TLS_KEY_FILE);
  if (!files && !(fs.existsSync(certFile) && fs.existsSync(keyFile))) {
    const made = await selfsigned.generate([{ name: 'commonName', value: 'meeting server' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
    });
    fs.mkdirSync(path.dirname(keyFile), { recursive: true });
    fs.writeFileSync(keyFile, made.private, { mode: 0o600 });
    fs.writeFileSync(certFile, made.cert);
  }
  const cert = fs.readFileSync(certFile, 'utf8');
  const key = fs.readFileSync(keyFile, 'utf8');
  return {
    cert,
    key,
    fingerprint: certificateFingerprint(cert),
    context: tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' }),
  };
}
