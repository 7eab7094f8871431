/**
 * File sharing on this node: offers (name, size and quota checks, who receives the file), the
 * files link of each user, the uploads being written, and downloads. What must outlive a link is
 * not here but in the database (the file rows, their recipients) and on disk (the partial file,
 * whose size is where an upload resumes), so any new link of the same user continues a transfer by
 * file id and offset. Owned by MeetingServer; `close()` closes every link and upload.
 */
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import { FILE_LIST_MAX, FILE_UPLOADS_PER_USER } from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import { sanitizeFileName, sanitizeMime } from '../../common/files';
import type { FileInfo, RequestParams } from '../../common/protocol';
import type { Database } from '../../db';
import type { StoredFile } from '../../db/repositories/FileRepository';
import type { Connection } from '../Connection';
import type { Logger } from '../logger';
import type { Room } from '../Room';
import type { Rooms } from '../Rooms';
import type { Session } from '../Session';
import type { Writes } from '../Writes';
import { FileLink, type FileLinkOwner } from './FileLink';
import { FileStore } from './FileStore';
import { Upload } from './Upload';

export interface FileLimits {
  /** Largest file one upload may declare (bytes). */
  fileMaxBytes: number;
  /** Bytes of stored and unfinished files per user. */
  fileQuotaBytes: number;
}

export interface FileTransfersOptions {
  dir: string;
  db: Database;
  rooms: Rooms;
  writes: Writes;
  logger: Logger;
  limits: FileLimits;
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** The protocol's description of a stored file. */
export function toFileInfo(f: StoredFile): FileInfo {
  return {
    id: f.id,
    meetingId: f.meetingId,
    from: { userId: f.senderUserId, username: f.senderName },
    to: f.recipientName,
    name: f.name,
    mime: f.mime,
    size: f.size,
    sha256: f.sha256,
    at: f.completedAt ?? f.createdAt,
    laterJoiners: f.laterJoiners,
    complete: f.status === 'complete',
  };
}

export class FileTransfers implements FileLinkOwner {
  readonly store: FileStore;
  readonly #db: Database;
  readonly #rooms: Rooms;
  readonly #writes: Writes;
  readonly #logger: Logger;
  readonly #limits: FileLimits;
  /** Each user's files link (one per session; a new attach replaces it). */
  readonly #links = new Map<number, FileLink>();
  /** Uploads open on this node, by file id (at most one writer per partial file). */
  readonly #uploads = new Map<number, Upload>();
  #closed = false;

  constructor(options: FileTransfersOptions) {
    this.store = new FileStore(options.dir);
    this.#db = options.db;
    this.#rooms = options.rooms;
    this.#writes = options.writes;
    this.#logger = options.logger;
    this.#limits = options.limits;
  }

  /** Makes `connection` the files link of `session`, replacing its earlier one. */
  attach(session: Session, connection: Connection): void {
    if (this.#closed) throw new MeetingError(ErrorCode.SHUTTING_DOWN, 'server stopping');
    const link = new FileLink(session.userId, connection, this, this.#logger);
    this.#links.get(session.userId)?.close();
    this.#links.set(session.userId, link);
    connection.becomeLink('files', (frame) => link.onFrame(frame));
    link.once('@close', () => {
      if (this.#links.get(session.userId) === link) this.#links.delete(session.userId);
    });
    session.once('@close', () => link.close());
  }

  // ---- requests ------------------------------------------------------------------------------

  async offer(
    session: Session,
    room: Room,
    p: RequestParams<'fileOffer'>,
  ): Promise<{ file: FileInfo; offset: number }> {
    const name = sanitizeFileName(p.name);
    if (!name) throw new MeetingError(ErrorCode.FILE_NAME, 'the file name is empty once made safe');
    if (p.size > this.#limits.fileMaxBytes)
      throw new MeetingError(
        ErrorCode.FILE_TOO_LARGE,
        `files are limited to ${this.#limits.fileMaxBytes} bytes`,
      );
    let recipient: { userId: number; username: string } | null = null;
    if (p.to !== undefined) {
      const target = room.findByUsername(p.to);
      if (!target || target.userId === session.userId)
        throw new MeetingError(ErrorCode.RECIPIENT_NOT_FOUND, 'no such member in this meeting');
      recipient = { userId: target.userId, username: target.username };
    }
    const existing = await this.#db.files.findUnfinished({
      senderUserId: session.userId,
      meetingId: room.id,
      recipientUserId: recipient?.userId ?? null,
      sha256: p.sha256,
      size: p.size,
    });
    if (existing) {
      this.#links.get(session.userId)?.forget(existing.id);
      const open = this.#uploads.get(existing.id);
      const offset = open && !open.closed ? open.offset : await this.store.partialSize(existing.id);
      return { file: toFileInfo(existing), offset: Math.min(offset, existing.size) };
    }
    const [inUse, unfinished] = await Promise.all([
      this.#db.files.bytesInUse(session.userId),
      this.#db.files.unfinishedCount(session.userId),
    ]);
    if (inUse + p.size > this.#limits.fileQuotaBytes)
      throw new MeetingError(
        ErrorCode.QUOTA_EXCEEDED,
        `your files would take more than your quota of ${this.#limits.fileQuotaBytes} bytes`,
      );
    if (unfinished >= FILE_UPLOADS_PER_USER)
      throw new MeetingError(ErrorCode.QUOTA_EXCEEDED, 'too many unfinished uploads');
    const empty = p.size === 0;
    if (empty && p.sha256 !== EMPTY_SHA256)
      throw new MeetingError(ErrorCode.FILE_CORRUPT, 'an empty file has another SHA-256');
    const file = await this.#db.files.create({
      meetingId: room.id,
      senderUserId: session.userId,
      senderName: session.username,
      recipientUserId: recipient?.userId ?? null,
      recipientName: recipient?.username ?? null,
      laterJoiners: recipient === null && p.laterJoiners === true,
      name,
      mime: sanitizeMime(p.mime),
      size: p.size,
      sha256: p.sha256,
      status: 'uploading',
      createdAt: Date.now(),
      completedAt: null,
    });
    if (empty) {
      await fsp.writeFile(this.store.partialPath(file.id), '');
      return { file: toFileInfo(await this.#complete(file)), offset: 0 };
    }
    return { file: toFileInfo(file), offset: 0 };
  }

  /** Complete files of the meeting `session` is in that it may download. */
  async list(session: Session, room: Room): Promise<FileInfo[]> {
    const files = await this.#db.files.visibleTo(room.id, session.userId, true, FILE_LIST_MAX);
    return files.map(toFileInfo);
  }

  /** Starts streaming a file this user may download on its files link. */
  async download(session: Session, fileId: number, offset: number): Promise<FileInfo> {
    const file = await this.#readable(session, fileId);
    if (offset > file.size)
      throw new MeetingError(ErrorCode.FILE_OFFSET, `offset ${offset} is past the end`);
    const link = this.#links.get(session.userId);
    if (!link || link.closed)
      throw new MeetingError(ErrorCode.NO_FILE_LINK, 'attach a files link first');
    link.startDownload(file, offset);
    return toFileInfo(file);
  }

  /** Cancels a download of this user, or abandons its unfinished upload. */
  async cancel(session: Session, fileId: number): Promise<void> {
    if (this.#links.get(session.userId)?.cancelDownload(fileId)) return;
    const file = await this.#db.files.findById(fileId);
    if (!file || file.senderUserId !== session.userId || file.status !== 'uploading')
      throw new MeetingError(ErrorCode.FILE_NOT_FOUND, 'no such transfer');
    await this.#db.files.setStatus(file.id, 'cancelled');
    const open = this.#uploads.get(file.id);
    this.#uploads.delete(file.id);
    await open?.close();
    await this.store.removePartial(file.id);
  }

  /** The file if this session may read it, else ERR_FILE_NOT_FOUND (the same for every reason). */
  async #readable(session: Session, fileId: number): Promise<StoredFile> {
    const file = await this.#db.files.findById(fileId);
    const notFound = new MeetingError(ErrorCode.FILE_NOT_FOUND, 'no such file');
    if (!file || file.status !== 'complete') throw notFound;
    if (file.senderUserId === session.userId) return file;
    if (await this.#db.files.isRecipient(file.id, session.userId)) return file;
    const laterJoiner =
      file.laterJoiners && file.recipientUserId === null && session.room?.id === file.meetingId;
    if (laterJoiner) return file;
    throw notFound;
  }

  // ---- FileLinkOwner -------------------------------------------------------------------------

  async upload(userId: number, fileId: number, offset: number): Promise<Upload> {
    const open = this.#uploads.get(fileId);
    if (open && !open.closed) {
      if (open.file.senderUserId !== userId)
        throw new MeetingError(ErrorCode.FILE_OFFSET, 'no upload of yours has this id');
      return open;
    }
    const file = await this.#db.files.findById(fileId);
    if (!file || file.senderUserId !== userId || file.status !== 'uploading')
      throw new MeetingError(ErrorCode.FILE_OFFSET, 'no unfinished upload of yours has this id');
    // Another link may have opened it meanwhile.
    const again = this.#uploads.get(fileId);
    if (again && !again.closed) return again;
    const upload = await Upload.open(this.store, file);
    const raced = this.#uploads.get(fileId);
    if (raced && !raced.closed) {
      await upload.close();
      return raced;
    }
    if (offset !== upload.offset) {
      await upload.close();
      throw new MeetingError(
        ErrorCode.FILE_OFFSET,
        `chunk at offset ${offset}, the server has ${upload.offset} bytes`,
      );
    }
    this.#uploads.set(fileId, upload);
    return upload;
  }

  async finish(upload: Upload): Promise<void> {
    const file = upload.file;
    this.#uploads.delete(file.id);
    await upload.close();
    if (upload.digest() !== file.sha256) {
      await this.store.removePartial(file.id);
      await this.#db.files.setStatus(file.id, 'failed');
      throw new MeetingError(
        ErrorCode.FILE_CORRUPT,
        'the uploaded bytes do not have the declared SHA-256',
      );
    }
    await this.#complete(file);
  }

  drop(upload: Upload): void {
    if (this.#uploads.get(upload.file.id) === upload) this.#uploads.delete(upload.file.id);
    void upload.close();
  }

  openBlob(file: StoredFile): Promise<fsp.FileHandle> {
    return fsp.open(this.store.blobPath(file.sha256), 'r');
  }

  downloaded(file: StoredFile, userId: number): void {
    if (userId === file.senderUserId) return;
    this.#writes.track(this.#db.files.markDownloaded(file.id, userId, Date.now()));
  }

  /** Closes every link and upload (server shutdown). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const link of [...this.#links.values()]) link.close();
    this.#links.clear();
    const uploads = [...this.#uploads.values()];
    this.#uploads.clear();
    await Promise.all(uploads.map((u) => u.close()));
  }

  /** Commits the stored bytes, marks the file complete, names its recipients and tells them. */
  async #complete(file: StoredFile): Promise<StoredFile> {
    await this.store.commit(file.id, file.sha256);
    const completedAt = Date.now();
    await this.#db.files.setStatus(file.id, 'complete', completedAt);
    const done: StoredFile = { ...file, status: 'complete', completedAt };
    const room = this.#rooms.get(file.meetingId);
    const members = room ? [...room.members()] : [];
    const recipients =
      file.recipientUserId !== null
        ? [file.recipientUserId]
        : members.map((m) => m.userId).filter((id) => id !== file.senderUserId);
    await this.#db.files.addRecipients(file.id, recipients);
    const info = toFileInfo(done);
    for (const m of members) if (recipients.includes(m.userId)) m.sendEvent('fileOffered', info);
    return done;
  }
}
