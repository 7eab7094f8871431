/**
 * Files on the server's disk: complete files content-addressed by SHA-256
 * (`<dir>/blobs/ab/abcdef…`, stored once however often they are shared) and unfinished uploads
 * (`<dir>/partial/<fileId>`), whose size is the offset an upload resumes from.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { SHA256_PATTERN } from '../../common/files';

export class FileStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    fs.mkdirSync(path.join(dir, 'blobs'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'partial'), { recursive: true });
  }

  blobPath(sha256: string): string {
    // The digest was validated by the request schema; checked again: it becomes a path.
    if (!SHA256_PATTERN.test(sha256))
      throw new TypeError('sha256 must be 64 lower-case hex digits');
    return path.join(this.dir, 'blobs', sha256.slice(0, 2), sha256);
  }

  partialPath(fileId: number): string {
    if (!Number.isSafeInteger(fileId) || fileId <= 0)
      throw new TypeError('fileId must be positive');
    return path.join(this.dir, 'partial', String(fileId));
  }

  async hasBlob(sha256: string): Promise<boolean> {
    return fsp.stat(this.blobPath(sha256)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /** Bytes of the unfinished upload stored so far (0 when none). */
  async partialSize(fileId: number): Promise<number> {
    return fsp.stat(this.partialPath(fileId)).then(
      (s) => s.size,
      () => 0,
    );
  }

  /** SHA-256 state of the first `length` bytes of the partial file (to resume hashing). */
  async hashPartial(fileId: number, length: number): Promise<ReturnType<typeof createHash>> {
    const hash = createHash('sha256');
    if (length === 0) return hash;
    const stream = fs.createReadStream(this.partialPath(fileId), { start: 0, end: length - 1 });
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return hash;
  }

  /** Moves a finished upload to its content address (dropping it when those bytes are stored). */
  async commit(fileId: number, sha256: string): Promise<void> {
    const target = this.blobPath(sha256);
    if (await this.hasBlob(sha256)) {
      await this.removePartial(fileId);
      return;
    }
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.rename(this.partialPath(fileId), target);
  }

  async removePartial(fileId: number): Promise<void> {
    await fsp.rm(this.partialPath(fileId), { force: true });
  }

  async removeBlob(sha256: string): Promise<void> {
    await fsp.rm(this.blobPath(sha256), { force: true });
  }
}
