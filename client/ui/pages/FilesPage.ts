/**
 * The meeting's Files panel intents: send a file to everyone or one member, the files offered to
 * this member (with a notice when one arrives), download to a chosen folder, open that folder, and
 * every transfer with its progress, rate and time left, and a cancel. The work is MeetingClient's
 * (`client.files`); this keeps what the panel shows and tells it through the app's 'files' event.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { FileInfo } from '../../../common/protocol';
import type { Transfer, TransferProgress } from '../../files/FileTransfers';
import type { MeetingClient } from '../../MeetingClient';
import { describeError } from '../format';
import type { AppContext } from './AppContext';
import { formatBytes } from '../../files/format';

/** One transfer as the panel shows it. */
export interface TransferRow {
  key: number;
  direction: 'up' | 'down';
  name: string;
  progress: TransferProgress;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** Why it failed, or where a download was saved. */
  detail: string;
  transfer: Transfer;
}

/** Transfers the panel keeps listing once finished, at most (newest kept). */
const FINISHED_KEPT = 4;

export class FilesPage {
  readonly #app: AppContext;
  readonly #rows: TransferRow[] = [];
  #nextKey = 1;
  #notice = '';
  #unseen = 0;
  #open = false;
  #downloadDir: string;
  #attached: MeetingClient | null = null;

  constructor(app: AppContext, env: NodeJS.ProcessEnv) {
    this.#app = app;
    this.#downloadDir = env.MEETING_DOWNLOAD_DIR ?? path.join(os.homedir(), 'Downloads');
  }

  get transfers(): readonly TransferRow[] {
    return this.#rows;
  }
  /** The files offered to this member in the meeting, newest first. */
  get offered(): FileInfo[] {
    return this.#app.client?.files.offered ?? [];
  }
  /** The last "a file arrived" notification. */
  get notice(): string {
    return this.#notice;
  }
  get downloadDir(): string {
    return this.#downloadDir;
  }
  /** The panel is expanded (collapsed, the chat has the side pane to itself). */
  get open(): boolean {
    return this.#open;
  }
  /** Files offered since the panel was last opened. */
  get unseen(): number {
    return this.#unseen;
  }

  /** Expands or collapses the panel; expanding marks the offers seen. */
  toggle(): void {
    this.#open = !this.#open;
    if (this.#open) this.#unseen = 0;
    this.#changed();
  }

  /** Follows a logged-in client's file events (DesktopApp calls this on login). */
  adopt(client: MeetingClient): void {
    if (this.#attached === client) return;
    this.#attached = client;
    client.files.on('files', () => this.#changed());
    client.on('fileOffered', (f) => {
      this.#notice = `${f.from.username} shared ${f.name} (${formatBytes(f.size)})${f.to ? ' with you' : ''}`;
      if (!this.#open) this.#unseen++;
      this.#changed();
    });
    client.on('joined', () => {
      this.#notice = '';
      this.#unseen = 0;
      void client.files.refresh().catch(() => undefined);
    });
  }

  setDownloadDir(dir: string): void {
    this.#downloadDir = dir.trim() || this.#downloadDir;
    this.#changed();
  }

  /** Offers the file at `filePath` to `to` (a username) or to everyone. */
  send(filePath: string, to: string | null): void {
    const client = this.#app.client;
    if (!client?.meeting || !filePath.trim()) return;
    this.#track(
      client.files.send(filePath.trim(), to ? { to } : {}),
      'up',
      path.basename(filePath.trim()),
    );
  }

  /** Downloads an offered file into the download folder. */
  download(fileId: number): void {
    const client = this.#app.client;
    const file = this.offered.find((f) => f.id === fileId);
    if (!client || !file) return;
    this.#track(client.files.download(file, this.#downloadDir), 'down', file.name);
  }

  /** Turns saving the chat on leaving on or off. */
  setSaveChat(on: boolean): void {
    this.#app.set({ saveChat: on });
    const client = this.#app.client;
    if (client) client.chatLog = on ? this.#app.state.chatLogDir : null;
  }

  cancel(key: number): void {
    this.#rows.find((r) => r.key === key)?.transfer.cancel();
  }

  /** Opens the download folder in the desktop's file manager. */
  openFolder(): void {
    try {
      const child = spawn('xdg-open', [this.#downloadDir], { stdio: 'ignore', detached: true });
      child.on('error', () => undefined);
      child.unref();
    } catch {
      // No file manager: nothing to open.
    }
  }

  #track(t: Transfer, direction: 'up' | 'down', name: string): void {
    const row: TransferRow = {
      key: this.#nextKey++,
      direction,
      name,
      progress: t.progress,
      state: 'running',
      detail: '',
      transfer: t,
    };
    this.#rows.unshift(row);
    t.on('progress', (p) => {
      row.progress = p;
      this.#changed();
    });
    t.finished.then(
      () => {
        row.state = 'done';
        row.progress = { ...t.progress, bytes: t.progress.total, etaSeconds: 0 };
        row.detail =
          t.direction === 'down' ? ((t as { savedAs?: string | null }).savedAs ?? '') : '';
        this.#finished();
      },
      (error: unknown) => {
        row.state = t.cancelled ? 'cancelled' : 'failed';
        row.detail = t.cancelled ? '' : describeError(error);
        this.#finished();
      },
    );
    this.#changed();
  }

  #finished(): void {
    const done = this.#rows.filter((r) => r.state !== 'running');
    for (const old of done.slice(FINISHED_KEPT)) this.#rows.splice(this.#rows.indexOf(old), 1);
    this.#changed();
  }

  #changed(): void {
    if (!this.#app.closed) this.#app.emit('files');
  }
}

/** A transfer's progress in thousandths, for its bar (0 until the size is known). */
export function transferPermille(r: TransferRow): number {
  const p = r.progress;
  if (p.total > 0) return Math.floor((1000 * p.bytes) / p.total);
  return r.state === 'done' ? 1000 : 0;
}

/** "↑ report.pdf  45%  12 MB/s  3 s left" (or done / failed / cancelled). */
export function transferText(r: TransferRow): string {
  const arrow = r.direction === 'up' ? '↑' : '↓';
  const p = r.progress;
  const pct = p.total > 0 ? Math.floor((100 * p.bytes) / p.total) : 100;
  if (r.state === 'done')
    return `${arrow} ${r.name}  done (${formatBytes(p.total)})${r.detail ? ` → ${r.detail}` : ''}`;
  if (r.state === 'cancelled') return `${arrow} ${r.name}  cancelled`;
  if (r.state === 'failed') return `${arrow} ${r.name}  failed: ${r.detail}`;
  // An upload hashes its file first; nothing has moved yet.
  if (p.bytes === 0 && p.rate === 0) return `${arrow} ${r.name}  starting (checking SHA-256)…`;
  const eta =
    p.etaSeconds === null ? '' : `  ${p.etaSeconds < 1 ? '<1' : Math.round(p.etaSeconds)} s left`;
  return `${arrow} ${r.name}  ${pct}%  ${formatBytes(p.rate)}/s${eta}`;
}
