/**
 * One upload being written on this node: the partial file open for writing, the running SHA-256
 * and the stored offset. Chunks must arrive in order at exactly the stored offset; the last one
 * checks the digest. Opened from what is on disk, so a new link resumes where the old one stopped.
 */
import type { Hash } from 'node:crypto';
import fsp from 'node:fs/promises';
import { ErrorCode, MeetingError } from '../../common/errors';
import type { StoredFile } from '../../db/repositories/FileRepository';
import type { FileStore } from './FileStore';

export class Upload {
  readonly file: StoredFile;
  /** Bytes stored. */
  offset: number;
  readonly #handle: fsp.FileHandle;
  readonly #hash: Hash;
  #closed = false;

  private constructor(file: StoredFile, handle: fsp.FileHandle, hash: Hash, offset: number) {
    this.file = file;
    this.#handle = handle;
    this.#hash = hash;
    this.offset = offset;
  }

  /** Opens the partial file of `file` and hashes what it holds. */
  static async open(store: FileStore, file: StoredFile): Promise<Upload> {
    const offset = Math.min(await store.partialSize(file.id), file.size);
    const hash = await store.hashPartial(file.id, offset);
    const where = store.partialPath(file.id);
    const handle = await fsp.open(where, 'r+').catch(() => fsp.open(where, 'w+'));
    return new Upload(file, handle, hash, offset);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get done(): boolean {
    return this.offset === this.file.size;
  }

  /** Stores `data` at `offset` (which must be the stored offset); resolves once written. */
  async write(offset: number, data: Buffer): Promise<void> {
    if (this.#closed) throw new MeetingError(ErrorCode.FILE_OFFSET, 'upload closed');
    if (offset !== this.offset)
      throw new MeetingError(
        ErrorCode.FILE_OFFSET,
        `chunk at offset ${offset}, expected ${this.offset}`,
      );
    if (offset + data.length > this.file.size)
      throw new MeetingError(ErrorCode.FILE_OFFSET, 'chunk goes past the declared size');
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.#handle.write(
        data,
        written,
        data.length - written,
        offset + written,
      );
      written += bytesWritten;
    }
    this.#hash.update(data);
    this.offset += data.length;
  }

  /** The SHA-256 of everything stored (call once, when done). */
  digest(): string {
    return this.#hash.digest('hex');
  }

  /** Closes the partial file (it stays on disk for a resume). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close().catch(() => undefined);
  }
}
