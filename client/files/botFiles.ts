/**
 * File sharing and the chat log for the `meeting bot`: `--send-file PATH [--to USER]`,
 * `--download-all DIR`, `--save-chat FILE` / `--chat-log-dir DIR`. Progress goes to a terminal
 * progress bar (cli-progress, on stderr) or, with --json, to `file-progress` events.
 */
import path from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { FileInfo } from '../../common/protocol';
import type { MeetingClient } from '../MeetingClient';
import type { Transfer } from './FileTransfers';
import { formatBytes } from './format';

export interface BotFileOptions {
  sendFile: string[];
  to?: string;
  laterJoiners?: boolean;
  downloadAll?: string;
  saveChat?: string;
  chatLogDir?: string;
  json?: boolean;
}

type Print = (event: string, data: Record<string, unknown>) => void;

/** The bot's file work: started once it joined, awaited before it leaves. */
export class BotFiles {
  readonly #client: MeetingClient;
  readonly #options: BotFileOptions;
  readonly #print: Print;
  readonly #bars: MultiBar | null;
  readonly #running = new Set<Promise<void>>();
  readonly #seen = new Set<number>();
  /** Transfers that failed. */
  failures = 0;

  constructor(client: MeetingClient, options: BotFileOptions, print: Print) {
    this.#client = client;
    this.#options = options;
    this.#print = print;
    this.#bars =
      options.json || (options.sendFile.length === 0 && !options.downloadAll)
        ? null
        : new MultiBar(
            {
              format: '{dir} {name} [{bar}] {percentage}% {done}/{size} {rate} eta {eta_formatted}',
              hideCursor: false,
              clearOnComplete: false,
              stopOnComplete: false,
            },
            Presets.shades_classic,
          );
    if (options.saveChat) {
      const file = path.resolve(options.saveChat);
      client.chatLog = () => file;
    } else if (options.chatLogDir) client.chatLog = path.resolve(options.chatLogDir);
    client.on('chatSaved', (file) => print('chat-saved', { file }));
    client.on('chatSaveFailed', (message) => print('chat-save-failed', { message }));
    client.on('fileOffered', (f) => {
      print('file-offered', describe(f));
      this.#maybeDownload(f);
    });
  }

  /** After joining: downloads what is offered already (with --download-all). */
  async joined(): Promise<void> {
    if (!this.#options.downloadAll) return;
    for (const f of await this.#client.files.refresh()) this.#maybeDownload(f);
  }

  /** Sends every --send-file and waits for them. */
  async sendAll(): Promise<void> {
    for (const file of this.#options.sendFile) {
      const up = this.#client.files.send(file, {
        ...(this.#options.to ? { to: this.#options.to } : {}),
        ...(this.#options.laterJoiners ? { laterJoiners: true } : {}),
      });
      await this.#follow(up, path.basename(file), () => ({
        ...(up.file ? describe(up.file) : {}),
        resumes: up.resumes,
      }));
    }
  }

  /** Waits for the downloads still running, then stops the progress bars. */
  async settle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    this.#bars?.stop();
  }

  #maybeDownload(f: FileInfo): void {
    const dir = this.#options.downloadAll;
    if (!dir || !f.complete || this.#seen.has(f.id)) return;
    if (f.from.userId === this.#client.session?.userId) return;
    this.#seen.add(f.id);
    const down = this.#client.files.download(f, path.resolve(dir));
    const job = this.#follow(down, f.name, () => ({
      ...describe(f),
      savedAs: down.savedAs,
      resumes: down.resumes,
    }));
    this.#running.add(job);
    void job.finally(() => this.#running.delete(job));
  }

  async #follow(t: Transfer, name: string, result: () => Record<string, unknown>): Promise<void> {
    const dir = t.direction === 'up' ? 'send' : 'recv';
    let bar: SingleBar | null = null;
    t.on('progress', (p) => {
      if (this.#bars) {
        bar ??= this.#bars.create(Math.max(1, p.total), 0, payload(dir, name, p));
        bar.update(p.bytes, payload(dir, name, p));
      } else {
        this.#print('file-progress', {
          direction: t.direction,
          fileId: t.file?.id ?? null,
          name,
          bytes: p.bytes,
          total: p.total,
          rate: Math.round(p.rate),
          etaSeconds: p.etaSeconds === null ? null : Math.round(p.etaSeconds * 10) / 10,
        });
      }
    });
    t.on('resumed', (offset) => this.#print('file-resumed', { name, offset }));
    try {
      await t.finished;
      this.#print(t.direction === 'up' ? 'file-sent' : 'file-received', result());
    } catch (error) {
      this.failures++;
      const e = error as { code?: string; message?: string };
      this.#print('file-failed', {
        direction: t.direction,
        name,
        code: e.code ?? 'ERR_INTERNAL',
        message: e.message ?? String(error),
      });
    }
  }
}

function describe(f: FileInfo): Record<string, unknown> {
  return {
    fileId: f.id,
    name: f.name,
    size: f.size,
    sha256: f.sha256,
    from: f.from.username,
    to: f.to,
  };
}

function payload(
  dir: string,
  name: string,
  p: { bytes: number; total: number; rate: number },
): Record<string, string> {
  return {
    dir,
    name: name.length > 30 ? `${name.slice(0, 29)}…` : name,
    done: formatBytes(p.bytes),
    size: formatBytes(p.total),
    rate: `${formatBytes(p.rate)}/s`,
  };
}
