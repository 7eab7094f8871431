/**
 * The client's file sharing, used by MeetingClient: the files link (opened on first use, reopened
 * after a drop), uploads and downloads as `Transfer`s, and the files offered to this member.
 */
import { ErrorCode, MeetingError } from '../../common/errors';
import type { FileInfo, RequestParams, RequestResults, RequestType } from '../../common/protocol';
import { TypedEmitter } from '../../common/TypedEmitter';
import type { LinkSecurity, ServerAddress } from '../connect';
import { FilesLink } from './FilesLink';
import { Download, Upload, type Transfer, type TransferHost, type UploadOptions } from './Transfer';

export { Download, Upload, type Transfer, type UploadOptions };
export type { TransferProgress } from './Transfer';

/** What file sharing needs from the client. */
export interface FileClient {
  readonly address: ServerAddress;
  /** The session token, or null when logged out. */
  token(): string | null;
  readonly requestTimeoutMs: number;
  /** How links are secured (TLS pinned like the control link, or plain). */
  security(): LinkSecurity;
  request<K extends RequestType>(type: K, data: RequestParams<K>): Promise<RequestResults[K]>;
}

export type FileTransfersEvents = {
  /** A transfer started (upload or download). */
  transfer: [transfer: Transfer];
  /** The list of files offered to this member changed. */
  files: [files: readonly FileInfo[]];
};

export class FileTransfers extends TypedEmitter<FileTransfersEvents> implements TransferHost {
  readonly #client: FileClient;
  readonly #transfers = new Set<Transfer>();
  readonly #offered = new Map<number, FileInfo>();
  #link: FilesLink | null = null;
  #opening: Promise<FilesLink> | null = null;
  #closed = false;

  constructor(client: FileClient) {
    super();
    this.#client = client;
  }

  /** Files offered to this member in the current meeting, newest first. */
  get offered(): FileInfo[] {
    return [...this.#offered.values()].sort((a, b) => b.id - a.id);
  }

  /** Transfers running now. */
  get active(): Transfer[] {
    return [...this.#transfers];
  }

  /** Offers a file to one member (`options.to`) or the meeting and uploads it. */
  send(filePath: string, options: UploadOptions = {}): Upload {
    return this.#track(new Upload(this, filePath, options));
  }

  /** Downloads a file offered to this member into `dir` (resumable, SHA-256 checked). */
  download(file: FileInfo, dir: string): Download {
    return this.#track(new Download(this, file, dir));
  }

  /** Asks the server which files of the meeting this member may download. */
  async refresh(): Promise<FileInfo[]> {
    const { files } = await this.#client.request('fileList', {});
    for (const f of files) this.#offered.set(f.id, f);
    this.safeEmit('files', this.offered);
    return files;
  }

  /** A fileOffered event (MeetingClient forwards it). */
  offeredEvent(file: FileInfo): void {
    this.#offered.set(file.id, file);
    this.safeEmit('files', this.offered);
  }

  /** The meeting ended for this client: offers are forgotten (transfers keep running). */
  leftMeeting(): void {
    this.#offered.clear();
    this.safeEmit('files', this.offered);
  }

  request<K extends RequestType>(type: K, data: RequestParams<K>): Promise<RequestResults[K]> {
    return this.#client.request(type, data);
  }

  /** The files link, opened when absent (one opening at a time). */
  async link(): Promise<FilesLink> {
    if (this.#closed) throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'client closed');
    if (this.#link && !this.#link.closed) return this.#link;
    this.#opening ??= (async () => {
      const token = this.#client.token();
      if (!token) throw new MeetingError(ErrorCode.NOT_LOGGED_IN, 'log in first');
      const link = await FilesLink.open(
        this.#client.address,
        this.#client.security(),
        token,
        this.#client.requestTimeoutMs,
      );
      // Many transfers may listen to one link.
      link.setMaxListeners(0);
      if (this.#closed) {
        link.close();
        throw new MeetingError(ErrorCode.CONNECTION_CLOSED, 'client closed');
      }
      this.#link = link;
      link.once('close', () => {
        if (this.#link === link) this.#link = null;
      });
      return link;
    })().finally(() => (this.#opening = null));
    return this.#opening;
  }

  /** The current files link, for tests that cut it. */
  linkForTests(): FilesLink | null {
    return this.#link;
  }

  /** Stops every transfer (the server keeps them for a later resume) and closes the link. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#transfers) t.stop();
    this.#link?.close();
    this.#link = null;
  }

  #track<T extends Transfer>(transfer: T): T {
    this.#transfers.add(transfer);
    const forget = (): void => {
      this.#transfers.delete(transfer);
    };
    transfer.finished.then(forget, forget);
    this.safeEmit('transfer', transfer);
    return transfer;
  }
}
