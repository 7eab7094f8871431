/**
 * A session's files link on the server: the chunks of its uploads come in here (written to disk in
 * order, acknowledged once stored) and the chunks of its downloads go out through a LosslessQueue
 * (the reader of the disk waits for the socket; nothing is dropped, nothing piles up). While more
 * than FILE_LINK_PAUSE_BYTES of received chunks wait for the disk, the link is not read: the
 * sender's TCP window closes and it waits too. Owned by FileTransfers; emits '@close'.
 */
import type { FileHandle } from 'node:fs/promises';
import {
  FILE_ACK_BYTES,
  FILE_CHUNK_BYTES,
  FILE_DOWNLOADS_PER_LINK,
  FILE_LINK_PAUSE_BYTES,
} from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import { decodeFileChunk, encodeFileChunk } from '../../common/files';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { StoredFile } from '../../db/repositories/FileRepository';
import type { Connection } from '../Connection';
import type { Logger } from '../logger';
import { LosslessQueue } from '../queues';
import type { Upload } from './Upload';

export type FileLinkEvents = { '@close': [] };

/** What a link needs from the service that owns it. */
export interface FileLinkOwner {
  /** The open upload of `fileId` for this user, starting at `offset` (throws a MeetingError). */
  upload(userId: number, fileId: number, offset: number): Promise<Upload>;
  /** The upload stored its last byte: check, commit and announce it (throws a MeetingError). */
  finish(upload: Upload): Promise<void>;
  /** An upload failed on this link: forget it (its partial file stays unless corrupt). */
  drop(upload: Upload): void;
  /** Opens a stored file for reading. */
  openBlob(file: StoredFile): Promise<FileHandle>;
  /** A download sent its last byte. */
  downloaded(file: StoredFile, userId: number): void;
}

/** File ids a link remembers refusing (one error each), at most. */
const REFUSED_MAX = 256;

export class FileLink extends TypedEmitter<FileLinkEvents> {
  readonly userId: number;
  readonly connection: Connection;
  readonly #owner: FileLinkOwner;
  readonly #logger: Logger;
  readonly #queue: LosslessQueue;
  readonly #downloads = new Map<number, AbortController>();
  readonly #refused = new Set<number>();
  #chain: Promise<void> = Promise.resolve();
  #pendingBytes = 0;
  #paused = false;
  #closed = false;

  constructor(userId: number, connection: Connection, owner: FileLinkOwner, logger: Logger) {
    super();
    this.userId = userId;
    this.connection = connection;
    this.#owner = owner;
    this.#logger = logger;
    this.#queue = new LosslessQueue(connection.framed);
    connection.once('@close', () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Downloads streaming now. */
  get downloads(): number {
    return this.#downloads.size;
  }

  /** A new offer of `fileId` clears an earlier refusal on this link. */
  forget(fileId: number): void {
    this.#refused.delete(fileId);
  }

  /** One FILE frame from the client (called by the connection for each). */
  onFrame(frame: Buffer): void {
    if (this.#closed) return;
    let chunk;
    try {
      chunk = decodeFileChunk(frame);
    } catch (error) {
      this.connection.protocolError(ErrorCode.BAD_FRAME, (error as Error).message);
      return;
    }
    if (chunk.data.length > FILE_CHUNK_BYTES) {
      this.connection.protocolError(ErrorCode.FRAME_TOO_LARGE, 'file chunk too large');
      return;
    }
    this.#pendingBytes += frame.length;
    if (!this.#paused && this.#pendingBytes > FILE_LINK_PAUSE_BYTES) {
      this.#paused = true;
      this.connection.framed.socket.pause();
    }
    const { fileId, offset, data } = chunk;
    this.#chain = this.#chain
      .then(() => this.#store(fileId, offset, data))
      .finally(() => {
        this.#pendingBytes -= frame.length;
        if (this.#paused && this.#pendingBytes <= FILE_LINK_PAUSE_BYTES / 2 && !this.#closed) {
          this.#paused = false;
          this.connection.framed.socket.resume();
        }
      });
  }

  /** Streams `file` from `offset`; a second download of the same file replaces the first. */
  startDownload(file: StoredFile, offset: number): void {
    this.#downloads.get(file.id)?.abort();
    this.#downloads.delete(file.id);
    if (this.#downloads.size >= FILE_DOWNLOADS_PER_LINK)
      throw new MeetingError(
        ErrorCode.RATE_LIMITED,
        `at most ${FILE_DOWNLOADS_PER_LINK} downloads at once`,
      );
    const abort = new AbortController();
    this.#downloads.set(file.id, abort);
    void this.#stream(file, offset, abort.signal)
      .then(() => {
        if (!abort.signal.aborted) this.#owner.downloaded(file, this.userId);
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted || this.#closed) return;
        this.#logger.warn({ fileId: file.id, err: error }, 'download failed');
        this.#error(file.id, error);
      })
      .finally(() => {
        if (this.#downloads.get(file.id) === abort) this.#downloads.delete(file.id);
      });
  }

  /** Stops a download of this link; false when none runs. */
  cancelDownload(fileId: number): boolean {
    const abort = this.#downloads.get(fileId);
    if (!abort) return false;
    abort.abort();
    this.#downloads.delete(fileId);
    return true;
  }

  /** Stops the downloads and closes the link. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const abort of this.#downloads.values()) abort.abort();
    this.#downloads.clear();
    this.#queue.close();
    this.connection.close('files link closed');
    this.safeEmit('@close');
  }

  async #store(fileId: number, offset: number, data: Buffer): Promise<void> {
    if (this.#closed || this.#refused.has(fileId)) return;
    let upload: Upload | null = null;
    try {
      upload = await this.#owner.upload(this.userId, fileId, offset);
      if (this.#closed) return;
      const before = upload.offset;
      await upload.write(offset, data);
      if (upload.done) {
        await this.#owner.finish(upload);
        this.#ack(fileId, upload.offset);
      } else if (Math.floor(upload.offset / FILE_ACK_BYTES) > Math.floor(before / FILE_ACK_BYTES)) {
        this.#ack(fileId, upload.offset);
      }
    } catch (error) {
      if (upload) this.#owner.drop(upload);
      if (this.#refused.size >= REFUSED_MAX) this.#refused.clear();
      this.#refused.add(fileId);
      this.#error(fileId, error);
    }
  }

  async #stream(file: StoredFile, offset: number, signal: AbortSignal): Promise<void> {
    const max = this.connection.framed.maxFrameSize;
    const handle = await this.#owner.openBlob(file);
    try {
      for (let at = offset; at < file.size && !signal.aborted;) {
        const length = Math.min(FILE_CHUNK_BYTES, file.size - at);
        // The frame is allocated whole and the disk read lands in its data area: no copy.
        const header = encodeFileChunk(file.id, at, Buffer.alloc(0), max);
        const frame = Buffer.allocUnsafe(header.length + length);
        header.copy(frame);
        frame.writeUInt32BE(header.length - 4 + length, 0);
        for (let got = 0; got < length;) {
          const { bytesRead } = await handle.read(
            frame,
            header.length + got,
            length - got,
            at + got,
          );
          if (bytesRead === 0) throw new Error('stored file shorter than its row says');
          got += bytesRead;
        }
        if (signal.aborted) return;
        await this.#queue.send(frame);
        at += length;
      }
    } finally {
      await handle.close();
    }
  }

  #ack(fileId: number, offset: number): void {
    this.connection.sendEvent('fileAck', { fileId, offset });
  }

  #error(fileId: number, error: unknown): void {
    const e =
      error instanceof MeetingError
        ? error
        : new MeetingError(ErrorCode.INTERNAL, 'the file could not be stored or read');
    if (!(error instanceof MeetingError))
      this.#logger.error({ fileId, err: error }, 'file transfer failed');
    this.connection.sendEvent('fileError', { fileId, code: e.code, message: e.message });
  }
}
