/**
 * What the desktop client remembers between runs: the server address and username of the last
 * login, and the window size the user chose for each page. One small JSON file, by default
 * `$XDG_CONFIG_HOME/meeting/desktop.json` (`~/.config/…`); MEETING_UI_CONFIG names another file
 * (tests), `off` remembers nothing. A missing or damaged file is the same as an empty one; nothing
 * secret is stored (never the password).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface WindowSize {
  width: number;
  height: number;
}

export interface DesktopSettings {
  server?: string;
  username?: string;
  /** The size the user gave the window on each page (login, lobby, join, meeting). */
  windowSizes?: Record<string, WindowSize>;
}

/** Longest server address or username kept (longer values are not remembered). */
const MAX_FIELD = 256;

function isSize(value: unknown): value is WindowSize {
  const v = value as WindowSize;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isInteger(v.width) &&
    Number.isInteger(v.height) &&
    v.width >= 100 &&
    v.height >= 100 &&
    v.width <= 20_000 &&
    v.height <= 20_000
  );
}

/** Keeps only well-formed fields of what was read from the file. */
function sanitize(raw: unknown): DesktopSettings {
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const out: DesktopSettings = {};
  if (typeof r.server === 'string' && r.server.length <= MAX_FIELD) out.server = r.server;
  if (typeof r.username === 'string' && r.username.length <= MAX_FIELD) out.username = r.username;
  if (typeof r.windowSizes === 'object' && r.windowSizes !== null) {
    const sizes: Record<string, WindowSize> = {};
    for (const [page, size] of Object.entries(r.windowSizes as Record<string, unknown>))
      if (/^[a-z]{1,16}$/.test(page) && isSize(size))
        sizes[page] = { width: size.width, height: size.height };
    out.windowSizes = sizes;
  }
  return out;
}

/** The settings file of this environment, or null when nothing is to be remembered. */
export function settingsPath(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.MEETING_UI_CONFIG === 'off') return null;
  if (env.MEETING_UI_CONFIG) return env.MEETING_UI_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'meeting', 'desktop.json');
}

export class SettingsStore {
  readonly #file: string | null;
  #data: DesktopSettings;

  constructor(file: string | null) {
    this.#file = file;
    this.#data = {};
    if (!file) return;
    try {
      this.#data = sanitize(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch {
      this.#data = {};
    }
  }

  /** What is remembered now. */
  get data(): Readonly<DesktopSettings> {
    return this.#data;
  }

  /** Changes some settings and writes the file (write errors are ignored: nothing depends on it). */
  update(patch: Partial<DesktopSettings>): void {
    this.#data = { ...this.#data, ...patch };
    if (!this.#file) return;
    try {
      fs.mkdirSync(path.dirname(this.#file), { recursive: true });
      const tmp = `${this.#file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${JSON.stringify(this.#data, null, 2)}\n`, { mode: 0o600 });
      fs.renameSync(tmp, this.#file);
    } catch {
      // a read-only home: the client still works, it just forgets
    }
  }

  /** Remembers the window size the user chose on `page`. */
  rememberSize(page: string, size: WindowSize): void {
    if (!isSize(size)) return;
    const current = this.#data.windowSizes?.[page];
    if (current && current.width === size.width && current.height === size.height) return;
    this.update({ windowSizes: { ...this.#data.windowSizes, [page]: size } });
  }
}
