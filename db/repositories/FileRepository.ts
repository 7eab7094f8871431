import type { Knex } from 'knex';
import { checkInteger, checkString, toNullableNumber, toNumber } from '../rows';

export type FileStatus = 'uploading' | 'complete' | 'failed' | 'cancelled';
const STATUSES: readonly FileStatus[] = ['uploading', 'complete', 'failed', 'cancelled'];

/** A shared file as stored (its bytes are on disk, found by `sha256`). */
export interface StoredFile {
  id: number;
  meetingId: string;
  senderUserId: number;
  senderName: string;
  /** Set for a file offered to one member; null for the whole meeting. */
  recipientUserId: number | null;
  recipientName: string | null;
  laterJoiners: boolean;
  name: string;
  mime: string;
  size: number;
  sha256: string;
  status: FileStatus;
  createdAt: number;
  completedAt: number | null;
}

/** A recipient of a file and when its client received the whole file (null: not yet). */
export interface FileRecipient {
  userId: number;
  downloadedAt: number | null;
}

interface FileRow {
  id: number | string;
  meeting_id: string;
  sender_user_id: number | string;
  sender_name: string;
  recipient_user_id: number | string | null;
  recipient_name: string | null;
  later_joiners: number | boolean;
  name: string;
  mime: string;
  size: number | string;
  sha256: string;
  status: string;
  created_at: number | string;
  completed_at: number | string | null;
}

function fromRow(row: FileRow): StoredFile {
  if (!(STATUSES as readonly string[]).includes(row.status))
    throw new TypeError(`Column files.status has an unknown value`);
  return {
    id: toNumber(row.id, 'files.id'),
    meetingId: row.meeting_id,
    senderUserId: toNumber(row.sender_user_id, 'files.sender_user_id'),
    senderName: row.sender_name,
    recipientUserId: toNullableNumber(row.recipient_user_id, 'files.recipient_user_id'),
    recipientName: row.recipient_name,
    laterJoiners: Boolean(row.later_joiners),
    name: row.name,
    mime: row.mime,
    size: toNumber(row.size, 'files.size'),
    sha256: row.sha256,
    status: row.status as FileStatus,
    createdAt: toNumber(row.created_at, 'files.created_at'),
    completedAt: toNullableNumber(row.completed_at, 'files.completed_at'),
  };
}

/** Shared files (`files`) and who may download them (`file_recipients`). */
export class FileRepository {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  /** Stores a new file row (status 'uploading' or 'complete') and returns it with its id. */
  async create(f: Omit<StoredFile, 'id'>): Promise<StoredFile> {
    checkString(f.meetingId, 'meetingId', 16);
    checkInteger(f.senderUserId, 'senderUserId');
    checkString(f.senderName, 'senderName', 32);
    if (f.recipientUserId !== null) checkInteger(f.recipientUserId, 'recipientUserId');
    checkString(f.name, 'name', 255);
    checkString(f.mime, 'mime', 100);
    checkInteger(f.size, 'size');
    checkString(f.sha256, 'sha256', 64);
    checkInteger(f.createdAt, 'createdAt');
    const ids: number[] = await this.#knex('files').insert({
      meeting_id: f.meetingId,
      sender_user_id: f.senderUserId,
      sender_name: f.senderName,
      recipient_user_id: f.recipientUserId,
      recipient_name: f.recipientName,
      later_joiners: f.laterJoiners,
      name: f.name,
      mime: f.mime,
      size: f.size,
      sha256: f.sha256,
      status: f.status,
      created_at: f.createdAt,
      completed_at: f.completedAt,
    });
    return { ...f, id: toNumber(ids[0], 'files.id') };
  }

  async findById(id: number): Promise<StoredFile | undefined> {
    checkInteger(id, 'id');
    const row = (await this.#knex('files').where({ id }).first()) as FileRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** This user's unfinished upload of the same bytes to the same place, if any (to resume it). */
  async findUnfinished(f: {
    senderUserId: number;
    meetingId: string;
    recipientUserId: number | null;
    sha256: string;
    size: number;
  }): Promise<StoredFile | undefined> {
    const row = (await this.#knex('files')
      .where({
        sender_user_id: f.senderUserId,
        meeting_id: f.meetingId,
        sha256: f.sha256,
        size: f.size,
        status: 'uploading',
      })
      .modify((q) => {
        if (f.recipientUserId === null) q.whereNull('recipient_user_id');
        else q.where('recipient_user_id', f.recipientUserId);
      })
      .orderBy('id', 'desc')
      .first()) as FileRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Bytes of this user's files that count against the quota (stored or being uploaded). */
  async bytesInUse(userId: number): Promise<number> {
    checkInteger(userId, 'userId');
    const row = (await this.#knex('files')
      .where({ sender_user_id: userId })
      .whereIn('status', ['uploading', 'complete'])
      .sum({ n: 'size' })
      .first()) as { n: number | string | null } | undefined;
    return toNullableNumber(row?.n ?? null, 'sum') ?? 0;
  }

  /** This user's unfinished uploads. */
  async unfinishedCount(userId: number): Promise<number> {
    const row = (await this.#knex('files')
      .where({ sender_user_id: userId, status: 'uploading' })
      .count({ n: '*' })
      .first()) as { n: number | string } | undefined;
    return row === undefined ? 0 : toNumber(row.n, 'count');
  }

  async setStatus(
    id: number,
    status: FileStatus,
    completedAt: number | null = null,
  ): Promise<void> {
    await this.#knex('files').where({ id }).update({ status, completed_at: completedAt });
  }

  /** Whether any complete file has these bytes (another row still needs the stored blob). */
  async blobInUse(sha256: string): Promise<boolean> {
    const row = (await this.#knex('files').where({ sha256, status: 'complete' }).first('id')) as
      { id: number } | undefined;
    return row !== undefined;
  }

  /** Makes `userIds` recipients of the file (once each). */
  async addRecipients(fileId: number, userIds: readonly number[]): Promise<void> {
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return;
    await this.#knex('file_recipients')
      .insert(unique.map((user_id) => ({ file_id: fileId, user_id, downloaded_at: null })))
      .onConflict(['file_id', 'user_id'])
      .ignore();
  }

  async isRecipient(fileId: number, userId: number): Promise<boolean> {
    const row = (await this.#knex('file_recipients')
      .where({ file_id: fileId, user_id: userId })
      .first('file_id')) as { file_id: number } | undefined;
    return row !== undefined;
  }

  /** Records that `userId` received the whole file (a later joiner becomes a recipient then). */
  async markDownloaded(fileId: number, userId: number, at: number): Promise<void> {
    await this.addRecipients(fileId, [userId]);
    await this.#knex('file_recipients')
      .where({ file_id: fileId, user_id: userId })
      .update({ downloaded_at: at });
  }

  /** The recipients of a file and when they downloaded it. */
  async recipients(fileId: number): Promise<FileRecipient[]> {
    const rows = (await this.#knex('file_recipients')
      .where({ file_id: fileId })
      .orderBy('user_id')) as Array<{
      user_id: number | string;
      downloaded_at: number | string | null;
    }>;
    return rows.map((r) => ({
      userId: toNumber(r.user_id, 'file_recipients.user_id'),
      downloadedAt: toNullableNumber(r.downloaded_at, 'file_recipients.downloaded_at'),
    }));
  }

  /**
   * The complete files of a meeting `userId` may download, newest first: those it sent, those it
   * is a recipient of, and (when `member` is true: the user is in the meeting now) room files
   * offered to later joiners.
   */
  async visibleTo(
    meetingId: string,
    userId: number,
    member: boolean,
    limit: number,
  ): Promise<StoredFile[]> {
    checkInteger(userId, 'userId');
    checkInteger(limit, 'limit');
    const rows = (await this.#knex('files')
      .where({ meeting_id: meetingId, status: 'complete' })
      .andWhere((v) => {
        v.where('sender_user_id', userId).orWhereExists((q) =>
          q
            .select('file_id')
            .from('file_recipients')
            .whereRaw('file_recipients.file_id = files.id')
            .andWhere('file_recipients.user_id', userId),
        );
        if (member) v.orWhere((q) => q.where('later_joiners', true).whereNull('recipient_user_id'));
      })
      .orderBy('id', 'desc')
      .limit(limit)) as FileRow[];
    return rows.map(fromRow);
  }
}
