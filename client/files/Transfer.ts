/**
 * One file transfer of this client, up or down, with its progress (bytes, rate, time left), a
 * cancel, and resumption: when the files link drops, the transfer opens a new one and continues
 * from the last offset the server acknowledged (upload) or the bytes already on disk (download),
 * up to FILE_RESUME_ATTEMPTS times. The SHA-256 is checked end to end: the server refuses an
 * upload whose bytes differ from the declared digest, and a download whose digest differs is not
 * kept.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  FILE_CHUNK_BYTES,
  FILE_PROGRESS_INTERVAL_MS,
  FILE_RESUME_ATTEMPTS,
  FILE_RESUME_DELAY_MS,
  FILE_UPLOAD_WINDOW_BYTES,
  FRAME_PREFIX_BYTES,
  FILE_HEADER_BYTES,
  FrameType,
} from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { FileChunk } from '../../common/files';
import type { FileInfo, RequestParams, RequestResults, RequestType } from '../../common/protocol';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { FilesLink } from './FilesLink';
import { safeTarget } from './paths';

/** What a transfer needs from the client that runs it. */
export interface TransferHost {
  /** The files link (opened when absent). */
  link(): Promise<FilesLink>;
  request<K extends RequestType>(type: K, data: RequestParams<K>): Promise<RequestResults[K]>;
}

export interface TransferProgress {
  /** Bytes done (acknowledged by the server for an upload; written to disk for a download). */
  bytes: number;
  total: number;
  /** Bytes per second, smoothed. */
  rate: number;
  /** Seconds left at that rate, or null before the rate is known. */
  etaSeconds: number | null;
}

export type TransferEvents = {
  progress: [progress: TransferProgress];
  /** The link dropped; the transfer continues from `offset`. */
  resumed: [offset: number];
  done: [];
  error: [error: MeetingError];
};

/**
 * Link-level failures a transfer survives by resuming on a new link; a session being resumed by
 * the client (after a dropped control link) has a new token, so an attach refused meanwhile is
 * tried again too.
 */
const RETRYABLE = new Set<string>([
  ErrorCode.CONNECTION_CLOSED,
  ErrorCode.CONNECT_FAILED,
  ErrorCode.TIMEOUT,
  ErrorCode.BAD_TOKEN,
  ErrorCode.NOT_LOGGED_IN,
  // A connection reset during the handshake (the network is still down) reads as a TLS failure.
  ErrorCode.TLS_FAILED,
]);

const HEADER = FRAME_PREFIX_BYTES + 1 + FILE_HEADER_BYTES;

export abstract class Transfer extends TypedEmitter<TransferEvents> {
  readonly direction: 'up' | 'down';
  /** The file's description (known at once for a download, after the offer for an upload). */
  file: FileInfo | null = null;
  /** Bytes that crossed the network for this transfer (more than the size after a resume). */
  wireBytes = 0;
  /** Times the transfer continued on a new link. */
  resumes = 0;
  /** Resolves when the transfer succeeded; rejects with a MeetingError. */
  readonly finished: Promise<void>;
  protected readonly host: TransferHost;
  protected readonly abort = new AbortController();
  #bytes = 0;
  #total = 0;
  #rate = 0;
  #rateAt = Date.now();
  #rateBytes = 0;
  #lastProgress = 0;

  protected constructor(direction: 'up' | 'down', host: TransferHost) {
    super();
    this.direction = direction;
    this.host = host;
    this.finished = new Promise<void>((resolve, reject) => {
      this.once('done', resolve);
      this.once('error', reject);
    });
    // A caller that only listens to events must not get an unhandled rejection.
    this.finished.catch(() => undefined);
  }

  get progress(): TransferProgress {
    const left = this.#total - this.#bytes;
    return {
      bytes: this.#bytes,
      total: this.#total,
      rate: this.#rate,
      etaSeconds: this.#rate > 0 ? left / this.#rate : null,
    };
  }

  get cancelled(): boolean {
    return this.abort.signal.aborted;
  }

  /** Stops the transfer and tells the server; it fails with ERR_FILE_CANCELLED. */
  cancel(): void {
    if (this.cancelled) return;
    this.abort.abort();
    this.onCancel();
  }

  /**
   * Stops the transfer on this side only (the client is closing): it fails with
   * ERR_CONNECTION_CLOSED, and the server keeps what it has, so another login may resume it.
   */
  stop(): void {
    if (this.cancelled) return;
    this.#stopped = true;
    this.abort.abort();
  }
  #stopped = false;

  protected abstract attempt(): Promise<void>;
  protected abstract onCancel(): void;

  /** Runs attempts until one succeeds, resuming after link failures. */
  protected async run(): Promise<void> {
    for (let tries = 0; ; tries++) {
      try {
        if (this.cancelled) throw cancelledError();
        await this.attempt();
        this.report(this.#total, true);
        this.safeEmit('done');
        return;
      } catch (raw) {
        const error =
          raw instanceof MeetingError
            ? raw
            : new MeetingError(ErrorCode.INTERNAL, (raw as Error).message ?? String(raw));
        if (this.cancelled) {
          this.safeEmit(
            'error',
            this.#stopped
              ? new MeetingError(ErrorCode.CONNECTION_CLOSED, 'client closed')
              : cancelledError(),
          );
          return;
        }
        if (!RETRYABLE.has(error.code) || tries >= FILE_RESUME_ATTEMPTS) {
          this.safeEmit('error', error);
          return;
        }
        this.resumes++;
        // Backing off (0.2, 0.4 … 3.2 s: about 6 s in all) lets a reconnecting client come back.
        await new Promise((r) => setTimeout(r, FILE_RESUME_DELAY_MS * 2 ** tries));
      }
    }
  }

  protected setTotal(total: number): void {
    this.#total = total;
  }

  /** Updates the progress; emitted at most every FILE_PROGRESS_INTERVAL_MS (and when forced). */
  protected report(bytes: number, force = false): void {
    this.#bytes = bytes;
    const now = Date.now();
    const dt = (now - this.#rateAt) / 1000;
    if (dt >= 0.2) {
      const instant = Math.max(0, bytes - this.#rateBytes) / dt;
      this.#rate = this.#rate === 0 ? instant : 0.7 * this.#rate + 0.3 * instant;
      this.#rateAt = now;
      this.#rateBytes = bytes;
    }
    if (force || now - this.#lastProgress >= FILE_PROGRESS_INTERVAL_MS) {
      this.#lastProgress = now;
      this.safeEmit('progress', this.progress);
    }
  }
}

function cancelledError(): MeetingError {
  return new MeetingError(ErrorCode.FILE_CANCELLED, 'transfer cancelled');
}

/** Resolves when the link closes, the transfer is cancelled, or `check` says so. */
function closedError(reason: string): MeetingError {
  return new MeetingError(ErrorCode.CONNECTION_CLOSED, `files link closed: ${reason}`);
}

/** The SHA-256 of the first `length` bytes of a file (all of it without `length`). */
export async function hashFile(file: string, length?: number): Promise<string> {
  return (await hashState(file, length)).digest('hex');
}

async function hashState(file: string, length?: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (length === 0) return hash;
  const stream = fs.createReadStream(
    file,
    length === undefined ? {} : { start: 0, end: length - 1 },
  );
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash;
}

// ---- upload --------------------------------------------------------------------------------------

export interface UploadOptions {
  /** Username of the one recipient; without it the file goes to the whole meeting. */
  to?: string;
  /** A room file stays available to members who join later. */
  laterJoiners?: boolean;
  /** Name to offer (default: the file's own name). */
  name?: string;
  mime?: string;
}

export class Upload extends Transfer {
  readonly path: string;
  readonly #options: UploadOptions;

  constructor(host: TransferHost, filePath: string, options: UploadOptions = {}) {
    super('up', host);
    this.path = filePath;
    this.#options = options;
    void this.#start();
  }

  async #start(): Promise<void> {
    try {
      const stat = await fsp.stat(this.path);
      this.setTotal(stat.size);
      this.#sha256 = await hashFile(this.path);
      this.#size = stat.size;
    } catch (error) {
      this.safeEmit(
        'error',
        new MeetingError(
          ErrorCode.FILE_NOT_FOUND,
          `cannot read ${this.path}: ${(error as Error).message}`,
        ),
      );
      return;
    }
    await this.run();
  }

  #sha256 = '';
  #size = 0;

  protected async attempt(): Promise<void> {
    const link = await this.host.link();
    const o = this.#options;
    const { file, offset } = await this.host.request('fileOffer', {
      name: o.name ?? path.basename(this.path),
      size: this.#size,
      sha256: this.#sha256,
      ...(o.mime ? { mime: o.mime } : {}),
      ...(o.to ? { to: o.to } : {}),
      ...(o.laterJoiners ? { laterJoiners: true } : {}),
    });
    if (this.file && offset < this.#size) this.safeEmit('resumed', offset);
    this.file = file;
    if (file.complete) return;
    await this.#sendFrom(link, file.id, offset);
  }

  protected onCancel(): void {
    const id = this.file?.id;
    if (id !== undefined)
      void this.host.request('fileCancel', { fileId: id }).catch(() => undefined);
  }

  /** Sends from `offset` within the acknowledgement window; resolves on the final ack. */
  async #sendFrom(link: FilesLink, fileId: number, offset: number): Promise<void> {
    const size = this.#size;
    let acked = offset;
    let wake: (() => void) | null = null;
    let failure: MeetingError | null = null;
    const poke = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    const onAck = (id: number, at: number): void => {
      if (id !== fileId) return;
      acked = Math.max(acked, at);
      this.report(acked);
      poke();
    };
    const onFail = (id: number, code: string, message: string): void => {
      if (id !== fileId && id !== 0) return;
      failure = new MeetingError(code as MeetingError['code'], message);
      poke();
    };
    const onClose = (reason: string): void => {
      failure ??= this.cancelled ? cancelledError() : closedError(reason);
      poke();
    };
    const onAbort = (): void => onClose('cancelled');
    link.on('ack', onAck);
    link.on('fail', onFail);
    link.on('close', onClose);
    let backedUp = false;
    const onDrain = (): void => {
      backedUp = false;
      poke();
    };
    link.on('drain', onDrain);
    this.abort.signal.addEventListener('abort', onAbort);
    if (link.closed) onClose('closed');
    const handle = await fsp.open(this.path, 'r');
    try {
      let sent = offset;
      this.report(acked, true);
      const wait = (): Promise<void> => new Promise((r) => (wake = r));
      while (acked < size) {
        if (failure) throw failure;
        // Within the window, and while the socket takes bytes (write() false: wait for 'drain').
        const canSend = sent < size && sent - acked < FILE_UPLOAD_WINDOW_BYTES && !backedUp;
        if (!canSend) {
          await wait();
          continue;
        }
        const length = Math.min(FILE_CHUNK_BYTES, size - sent);
        const frame = Buffer.allocUnsafe(HEADER + length);
        frame.writeUInt32BE(frame.length - FRAME_PREFIX_BYTES, 0);
        frame[FRAME_PREFIX_BYTES] = FrameType.FILE;
        frame.writeUInt32BE(fileId, FRAME_PREFIX_BYTES + 1);
        frame.writeBigUInt64BE(BigInt(sent), FRAME_PREFIX_BYTES + 5);
        for (let got = 0; got < length;) {
          const { bytesRead } = await handle.read(frame, HEADER + got, length - got, sent + got);
          if (bytesRead === 0)
            throw new MeetingError(ErrorCode.FILE_CORRUPT, 'the file shrank while sent');
          got += bytesRead;
        }
        if (failure) throw failure;
        backedUp = !link.send(frame);
        sent += length;
        this.wireBytes += length;
      }
    } finally {
      await handle.close();
      link.off('ack', onAck);
      link.off('fail', onFail);
      link.off('close', onClose);
      link.off('drain', onDrain);
      this.abort.signal.removeEventListener('abort', onAbort);
    }
  }
}

// ---- download ------------------------------------------------------------------------------------

export class Download extends Transfer {
  readonly dir: string;
  /** Where the file was written, once done. */
  savedAs: string | null = null;
  readonly #part: string;

  constructor(host: TransferHost, file: FileInfo, dir: string) {
    super('down', host);
    this.file = file;
    this.dir = dir;
    this.setTotal(file.size);
    this.#part = path.join(dir, `.${file.id}-${file.sha256.slice(0, 16)}.part`);
    void this.run();
  }

  protected onCancel(): void {
    const id = this.file?.id;
    if (id !== undefined)
      void this.host.request('fileCancel', { fileId: id }).catch(() => undefined);
    void fsp.rm(this.#part, { force: true });
  }

  protected async attempt(): Promise<void> {
    const file = this.file as FileInfo;
    await fsp.mkdir(this.dir, { recursive: true });
    let offset = await fsp.stat(this.#part).then(
      (s) => s.size,
      () => 0,
    );
    if (offset > file.size) {
      await fsp.rm(this.#part, { force: true });
      offset = 0;
    }
    const hash = await hashState(this.#part, offset).catch(() => createHash('sha256'));
    if (offset > 0 && this.resumes > 0) this.safeEmit('resumed', offset);
    const link = await this.host.link();
    if (offset < file.size) await this.#receive(link, file, offset, hash);
    else if (file.size === 0) await fsp.writeFile(this.#part, '');
    const digest = offset < file.size ? hash.digest('hex') : await hashFile(this.#part);
    if (digest !== file.sha256) {
      await fsp.rm(this.#part, { force: true });
      throw new MeetingError(
        ErrorCode.FILE_CORRUPT,
        `${file.name}: the SHA-256 does not match; not kept`,
      );
    }
    const target = safeTarget(this.dir, file.name, `file-${file.id}`);
    await fsp.rename(this.#part, target);
    this.savedAs = target;
  }

  /** Asks for the file from `offset` and writes what arrives, in order, until the end. */
  async #receive(link: FilesLink, file: FileInfo, offset: number, hash: Hash): Promise<void> {
    const handle = await fsp.open(this.#part, offset === 0 ? 'w' : 'r+');
    let expected = offset;
    let stored = offset;
    let pending = 0;
    let held = false;
    let chain = Promise.resolve();
    let settle: ((error: MeetingError | null) => void) | null = null;
    const done = new Promise<MeetingError | null>((r) => (settle = r));
    const finish = (error: MeetingError | null): void => {
      const s = settle;
      settle = null;
      s?.(error);
    };
    const onChunk = (chunk: FileChunk): void => {
      if (chunk.fileId !== file.id || settle === null) return;
      if (chunk.offset !== expected || expected + chunk.data.length > file.size) {
        finish(new MeetingError(ErrorCode.FILE_OFFSET, 'the server sent a chunk out of order'));
        return;
      }
      expected += chunk.data.length;
      this.wireBytes += chunk.data.length;
      pending += chunk.data.length;
      if (!held && pending > 4 * FILE_CHUNK_BYTES) {
        held = true;
        link.hold(true);
      }
      chain = chain
        .then(async () => {
          if (settle === null) return;
          for (let put = 0; put < chunk.data.length;) {
            const { bytesWritten } = await handle.write(
              chunk.data,
              put,
              chunk.data.length - put,
              chunk.offset + put,
            );
            put += bytesWritten;
          }
          hash.update(chunk.data);
          stored += chunk.data.length;
          pending -= chunk.data.length;
          if (held && pending <= FILE_CHUNK_BYTES) {
            held = false;
            link.hold(false);
          }
          this.report(stored);
          if (stored === file.size) finish(null);
        })
        .catch((error: unknown) =>
          finish(new MeetingError(ErrorCode.INTERNAL, `cannot write: ${(error as Error).message}`)),
        );
    };
    const onFail = (id: number, code: string, message: string): void => {
      if (id === file.id || id === 0)
        finish(new MeetingError(code as MeetingError['code'], message));
    };
    const onClose = (reason: string): void =>
      finish(this.cancelled ? cancelledError() : closedError(reason));
    const onAbort = (): void => onClose('cancelled');
    link.on('chunk', onChunk);
    link.on('fail', onFail);
    link.on('close', onClose);
    this.abort.signal.addEventListener('abort', onAbort);
    try {
      if (link.closed) onClose('closed');
      else await this.host.request('fileDownload', { fileId: file.id, offset });
      this.report(stored, true);
      const error = await done;
      await chain;
      if (error) throw error;
    } finally {
      if (held) link.hold(false);
      link.off('chunk', onChunk);
      link.off('fail', onFail);
      link.off('close', onClose);
      this.abort.signal.removeEventListener('abort', onAbort);
      await handle.close();
    }
  }
}
