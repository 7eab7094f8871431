/**
 * Drives the desktop client in a child process (Qt must not run inside mocha's process): launches
 * `meeting client` with MEETING_UI_AUTOMATION=1 on a display, talks to its JSON-line automation
 * channel, takes screenshots, and sends real X input with xdotool when it is installed.
 */
import {
  execFile,
  spawn,
  spawnSync,
  type ChildProcessWithoutNullStreams,
} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import type { WidgetInfo } from '../../client/ui/automation';
import { knownServersFile } from './server';

const run = promisify(execFile);

export const REPO_ROOT = path.join(__dirname, '..', '..', '..');
export const ARTIFACTS = path.join(REPO_ROOT, 'artifacts');

/** One named widget, as the automation channel's `tree` describes it (x/y on the screen). */
export type UiWidget = WidgetInfo;

/** What `state` answers. */
export interface UiState {
  page: 'login' | 'lobby' | 'join' | 'meeting';
  username: string;
  selfId: number | null;
  meeting: { id: string; name: string } | null;
  members: Array<{
    memberId: number;
    username: string;
    isHost: boolean;
    audio: boolean;
    video: boolean;
    effect: string;
    screen: boolean;
  }>;
  chat: number;
  media: boolean;
  mediaError: string;
  effect: string;
  screenSharing: boolean;
  shareBusy: boolean;
  roomOptions: { allowMultipleScreens: boolean };
  toolbarError: string;
  renderer: {
    rendered: number;
    skipped: number;
    failed: number;
    meanRenderMs: number;
    /** Camera frames painted per member id. */
    perMember: Record<string, number>;
    /** Screen-share frames painted per member id. */
    perScreen: Record<string, number>;
  };
  status: string;
  /** The window is in full-screen state (Qt's window state). */
  fullScreen?: boolean;
}

interface Reply {
  '@ui': string;
  id?: number | null;
  ok?: boolean;
  result?: unknown;
  error?: string;
  launchMs?: number;
}

export interface LaunchOptions {
  server: string;
  display: string;
  env?: Record<string, string>;
  /** Repository whose `bin/meeting.js` is launched (default: this one; benches compare builds). */
  root?: string;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let runtime: string | null = null;
/** Qt wants an XDG_RUNTIME_DIR (mode 0700): the caller's, or one per test process. */
function runtimeDir(): string {
  if (process.env.XDG_RUNTIME_DIR) return process.env.XDG_RUNTIME_DIR;
  if (!runtime) {
    const dir = fs.mkdtempSync('/tmp/meeting-ui-rt-');
    runtime = dir;
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return runtime;
}

/** True when xdotool is installed (real X input). */
export function hasXdotool(): boolean {
  return spawnSync('which', ['xdotool']).status === 0;
}

export class DesktopUi {
  readonly child: ChildProcessWithoutNullStreams;
  readonly display: string;
  /** Wall time from spawn to the 'ready' event (ms). */
  launchMs = 0;
  /** The client's own process uptime when it was ready (ms). */
  reportedLaunchMs = 0;
  readonly #pending = new Map<
    number,
    { resolve: (r: Reply) => void; reject: (e: Error) => void }
  >();
  readonly #ready: Promise<void>;
  #nextId = 1;
  #stderr = '';
  #exit: Promise<number | null>;

  private constructor(options: LaunchOptions) {
    this.display = options.display;
    const started = Date.now();
    const root = options.root ?? REPO_ROOT;
    this.child = spawn(
      process.execPath,
      // An empty server leaves the address to the client (the one it remembers).
      [
        path.join(root, 'bin', 'meeting.js'),
        'client',
        ...(options.server ? ['--server', options.server] : []),
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          DISPLAY: options.display,
          XDG_RUNTIME_DIR: runtimeDir(),
          MEETING_UI_AUTOMATION: '1',
          MEETING_KNOWN_SERVERS: knownServersFile(),
          MEETING_UI_VIDEO: 'testpattern',
          MEETING_UI_AUDIO: 'none',
          MEETING_UI_SPEAKER: 'none',
          // Nothing remembered from (or for) other runs unless a test asks for a settings file.
          MEETING_UI_CONFIG: 'off',
          ...options.env,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-20_000);
    });
    this.#exit = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
    );
    let readyResolve: () => void = () => undefined;
    let readyReject: (e: Error) => void = () => undefined;
    this.#ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    const lines = readline.createInterface({ input: this.child.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith('{"@ui"')) return;
      const message = JSON.parse(line) as Reply;
      if (message['@ui'] === 'ready') {
        this.launchMs = Date.now() - started;
        this.reportedLaunchMs = message.launchMs ?? 0;
        readyResolve();
      } else if (message['@ui'] === 'reply' && typeof message.id === 'number') {
        this.#pending.get(message.id)?.resolve(message);
        this.#pending.delete(message.id);
      }
    });
    void this.#exit.then((code) => {
      const error = new Error(`desktop client exited (${code}); stderr:\n${this.stderr}`);
      readyReject(error);
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    });
  }

  /** Launches the client and waits for its login window. */
  static async launch(options: LaunchOptions, timeoutMs = 30_000): Promise<DesktopUi> {
    const ui = new DesktopUi(options);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ui.#ready,
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no ready event within ${timeoutMs} ms; stderr:\n${ui.stderr}`)),
            timeoutMs,
          );
        }),
      ]);
    } catch (error) {
      ui.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return ui;
  }

  /** The client's stderr as written (the last 20,000 characters). */
  get rawStderr(): string {
    return this.#stderr;
  }

  /** The last part of the client's stderr without ALSA/JACK device noise. */
  get stderr(): string {
    return this.#stderr
      .split('\n')
      .filter((l) => !/^(ALSA lib|Cannot connect to server|jack server|JackShm)/.test(l))
      .join('\n')
      .slice(-4000);
  }

  async send<T = unknown>(
    cmd: string,
    args: Record<string, unknown> = {},
    timeoutMs = 10_000,
  ): Promise<T> {
    const id = this.#nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no reply to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
    if (!reply.ok) throw new Error(`${cmd} ${JSON.stringify(args)} failed: ${reply.error}`);
    return reply.result as T;
  }

  async tree(): Promise<UiWidget[]> {
    return (await this.send<{ widgets: UiWidget[] }>('tree')).widgets;
  }

  async widget(name: string): Promise<UiWidget | undefined> {
    return (await this.tree()).find((w) => w.name === name);
  }

  state(): Promise<UiState> {
    return this.send<UiState>('state');
  }

  /** Polls the widget tree until `name` exists, is visible and satisfies `predicate`. */
  async waitForWidget(
    name: string,
    predicate: (w: UiWidget) => boolean = () => true,
    ms = 10_000,
  ): Promise<UiWidget> {
    const deadline = Date.now() + ms;
    let last: UiWidget | undefined;
    for (;;) {
      last = await this.widget(name);
      if (last && last.visible && predicate(last)) return last;
      if (Date.now() > deadline)
        throw new Error(
          `widget '${name}' not as expected within ${ms} ms; last: ${JSON.stringify(last)}`,
        );
      await sleep(100);
    }
  }

  /** Polls the widget tree until no visible widget is named `name`. */
  async waitForGone(name: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const w = await this.widget(name);
      if (!w || !w.visible) return;
      if (Date.now() > deadline)
        throw new Error(`widget '${name}' still shown after ${ms} ms: ${JSON.stringify(w)}`);
      await sleep(100);
    }
  }

  /** Polls `state` until `predicate` holds. */
  async waitForState(
    predicate: (s: UiState) => boolean,
    ms = 10_000,
    what = 'state',
  ): Promise<UiState> {
    const deadline = Date.now() + ms;
    for (;;) {
      const s = await this.state();
      if (predicate(s)) return s;
      if (Date.now() > deadline)
        throw new Error(`${what} not reached within ${ms} ms; last: ${JSON.stringify(s)}`);
      await sleep(100);
    }
  }

  setText(name: string, text: string): Promise<unknown> {
    return this.send('setText', { name, text });
  }
  click(name: string): Promise<unknown> {
    return this.send('click', { name });
  }
  select(name: string, index: number): Promise<unknown> {
    return this.send('select', { name, index });
  }
  /** On the join screen: presses "Join now" and waits for the meeting page. */
  async joinNow(): Promise<void> {
    await this.waitForWidget('joinNowButton', (w) => w.enabled);
    await this.click('joinNowButton');
  }

  /** Grabs the window (or one widget) into a PNG. */
  grab(
    file: string,
    name?: string,
  ): Promise<{ saved: boolean; width: number; height: number; widget: UiWidget }> {
    return this.send('grab', name ? { path: file, name } : { path: file });
  }

  /** The whole X screen into a PNG (ImageMagick `import`). */
  async screenshot(file: string): Promise<void> {
    await run('import', ['-window', 'root', file], {
      env: { ...process.env, DISPLAY: this.display },
    });
  }

  // ---- real X input (xdotool) --------------------------------------------------------------------

  async #xdotool(...args: string[]): Promise<void> {
    await run('xdotool', args, { env: { ...process.env, DISPLAY: this.display } });
  }

  /** The widget that has the keyboard focus, if a named one has it. */
  async focused(): Promise<UiWidget | undefined> {
    return (await this.tree()).find((w) => w.focused);
  }

  /** The client's top-level X windows. */
  async #windows(): Promise<string[]> {
    const { stdout } = await run('xdotool', ['search', '--pid', String(this.child.pid)], {
      env: { ...process.env, DISPLAY: this.display },
    }).catch(() => ({ stdout: '' }));
    return stdout.split('\n').filter(Boolean);
  }

  /**
   * Gives the window the keyboard focus, as a window manager does for a new window (Xvfb runs
   * none), so typing reaches the widget that has the focus.
   */
  async xActivate(): Promise<void> {
    for (const id of await this.#windows())
      await this.#xdotool('windowfocus', '--sync', id).catch(() => undefined);
    await sleep(100);
  }

  /** Resizes the window with the X server (as a user dragging its border would). */
  async xResize(width: number, height: number): Promise<void> {
    for (const id of await this.#windows())
      await this.#xdotool('windowsize', id, String(width), String(height)).catch(() => undefined);
    await sleep(400);
  }

  /** Moves the pointer to the middle of a widget and clicks it. */
  async xClick(name: string): Promise<void> {
    // A widget that just appeared may still move while the layout settles: click where it rests.
    // A page change may also resize the window a little later: wait for two still readings.
    let w = await this.waitForWidget(name, (x) => x.enabled);
    for (let i = 0, still = 0; i < 30 && still < 2; i++) {
      await sleep(80);
      const again = await this.waitForWidget(name, (x) => x.enabled);
      still = again.x === w.x && again.y === w.y && again.width === w.width ? still + 1 : 0;
      w = again;
    }
    await this.#xdotool(
      'mousemove',
      '--sync',
      String(w.x + Math.floor(w.width / 2)),
      String(w.y + Math.floor(w.height / 2)),
    );
    await this.#xdotool('click', '1');
    await sleep(60);
  }

  /** Clicks row `index` of a list with real input (`button` 3: right click, a context menu). */
  async xClickRow(name: string, index: number, button = 1): Promise<void> {
    const r = await this.send<{ x: number; y: number; width: number; height: number }>('itemRect', {
      name,
      index,
    });
    await this.#xdotool(
      'mousemove',
      '--sync',
      String(r.x + Math.min(40, Math.floor(r.width / 2))),
      String(r.y + Math.floor(r.height / 2)),
    );
    await this.#xdotool('click', String(button));
    await sleep(150);
  }

  /** Types text with real key events into the focused widget. */
  async xType(text: string): Promise<void> {
    await this.#xdotool('type', '--delay', '12', text);
    await sleep(60);
  }

  /** Presses keys (xdotool names: Return, Tab…). */
  async xKey(...keys: string[]): Promise<void> {
    await this.#xdotool('key', ...keys);
    await sleep(60);
  }

  /** Picks item `index` of a combo box with real input: opens its popup, walks to the item, Return. */
  async xChoose(name: string, index: number): Promise<void> {
    const box = await this.waitForWidget(name, (w) => w.enabled);
    const steps = index - (box.current ?? 0);
    await this.xClick(name);
    await sleep(200);
    for (let i = 0; i < Math.abs(steps); i++) await this.xKey(steps > 0 ? 'Down' : 'Up');
    await this.xKey('Return');
  }

  /** Clicks a line edit, selects its content and types `text` over it. */
  async xFill(name: string, text: string): Promise<void> {
    await this.xClick(name);
    await this.xKey('ctrl+a');
    await this.xType(text);
  }

  /** CPU used by the client process (user+system, ms), from /proc. */
  cpuMs(): number {
    const stat = fs.readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100;
  }

  /** Asks the client to close its window; resolves with the exit code. */
  async quit(ms = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    await this.send('quit').catch(() => undefined);
    const timer = setTimeout(() => this.kill(), ms);
    const code = await this.#exit;
    clearTimeout(timer);
    return code;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
