/**
 * Test automation channel, enabled only by MEETING_UI_AUTOMATION=1: JSON-line commands on stdin,
 * JSON-line answers on stdout, each answer line starting with `{"@ui":` so other output (library
 * noise) can be told apart.
 *
 *   {"id":1,"cmd":"tree"}                          every named widget: name, cls, text, visible,
 *                                                  enabled, x, y, width, height (screen), toolTip,
 *                                                  items (lists, combo boxes), checked (buttons)
 *   {"id":2,"cmd":"setText","name":"loginUser","text":"alice"}
 *   {"id":3,"cmd":"click","name":"loginButton"}
 *   {"id":4,"cmd":"select","name":"chatTarget","index":1}   combo box index / list row
 *   {"id":5,"cmd":"focus","name":"chatInput"}
 *   {"id":6,"cmd":"grab","path":"/tmp/w.png","name":"video-3"}   window (or one widget) to PNG
 *   {"id":7,"cmd":"state"}                         page, meeting, members, effect, screen share,
 *                                                  room options, renderer stats, status
 *   {"id":8,"cmd":"quit"}                          closes the window (the app quits)
 *   {"id":9,"cmd":"memory"}                        rss, heapUsed, heapTotal, external (MB)
 *   {"id":10,"cmd":"clipboard"}                    the clipboard's text
 *   {"id":11,"cmd":"itemRect","name":"memberList","index":1}   a list row's x, y, width, height
 *                                                  (screen), to click it with real input
 *
 * Events: {"@ui":"ready","launchMs":…} once the login window is up and the pump runs.
 */
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { NativeElement, QMainWindow, QWidget } from '@nodegui/nodegui';
import type { DesktopApp } from './DesktopApp';
import type { VideoRenderer } from './VideoRenderer';
import { statusText } from './status';
import { topLevelWindows } from './windows';

type NodeGui = typeof import('@nodegui/nodegui');

export interface WidgetInfo {
  name: string;
  cls: string;
  text: string;
  visible: boolean;
  enabled: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
  toolTip: string;
  items?: string[];
  current?: number;
  checked?: boolean;
  /** True for the widget that has the keyboard focus. */
  focused?: boolean;
}

export interface AutomationOptions {
  qt: NodeGui;
  window: QMainWindow;
  app: DesktopApp;
  renderer: VideoRenderer;
  input: Readable;
  output: Writable;
}

interface Command {
  id?: number;
  cmd?: string;
  name?: string;
  text?: string;
  index?: number;
  path?: string;
}

/** Names NodeGui generates for styled widgets without an objectName (cuid). */
const GENERATED_NAME = /^c[a-z0-9]{20,}$/;

export class Automation {
  readonly #qt: NodeGui;
  readonly #window: QMainWindow;
  readonly #app: DesktopApp;
  readonly #renderer: VideoRenderer;
  readonly #output: Writable;
  readonly #lines: readline.Interface;
  /** Native children seen by the last walk (see #walk). */
  #keepAlive = new Set<NativeElement>();

  constructor(options: AutomationOptions) {
    this.#qt = options.qt;
    this.#window = options.window;
    this.#app = options.app;
    this.#renderer = options.renderer;
    this.#output = options.output;
    this.#lines = readline.createInterface({ input: options.input });
    this.#lines.on('line', (line) => this.#onLine(line));
  }

  /** Announces an event line (e.g. 'ready'). */
  event(name: string, data: Record<string, unknown>): void {
    this.#write({ '@ui': name, ...data });
  }

  stop(): void {
    this.#lines.close();
  }

  #write(message: object): void {
    this.#output.write(`${JSON.stringify(message)}\n`);
  }

  #onLine(line: string): void {
    if (!line.trim()) return;
    let command: Command;
    try {
      command = JSON.parse(line) as Command;
    } catch {
      this.#write({ '@ui': 'reply', id: null, ok: false, error: 'not JSON' });
      return;
    }
    try {
      const result = this.#run(command);
      this.#write({ '@ui': 'reply', id: command.id ?? null, ok: true, result });
    } catch (error) {
      this.#write({
        '@ui': 'reply',
        id: command.id ?? null,
        ok: false,
        error:
          error instanceof Error
            ? process.env.MEETING_UI_DEBUG
              ? String(error.stack)
              : error.message
            : String(error),
      });
    }
  }

  #run(c: Command): unknown {
    const qt = this.#qt;
    switch (c.cmd) {
      case 'tree':
        return { widgets: this.tree() };
      case 'find':
        return this.#describe(this.#find(c));
      case 'setText': {
        const w = this.#find(c);
        if (!(w instanceof qt.QLineEdit)) throw new TypeError(`${c.name} is not a line edit`);
        w.setText(c.text ?? '');
        return null;
      }
      case 'click': {
        const w = this.#find(c);
        if (!(w instanceof qt.QAbstractButton)) throw new TypeError(`${c.name} is not a button`);
        if (!w.isEnabled() || !w.isVisible())
          throw new Error(
            `${c.name} is not clickable (enabled ${w.isEnabled()}, visible ${w.isVisible()})`,
          );
        w.click();
        return null;
      }
      case 'select': {
        const w = this.#find(c);
        if (w instanceof qt.QComboBox) w.setCurrentIndex(c.index ?? 0);
        else if (w instanceof qt.QListWidget) w.setCurrentRow(c.index ?? 0);
        else throw new TypeError(`${c.name} is not a combo box or list`);
        return null;
      }
      case 'focus': {
        const w = this.#find(c);
        this.#window.activateWindow();
        w.setFocus(qt.FocusReason.OtherFocusReason);
        return null;
      }
      case 'grab': {
        if (!c.path) throw new TypeError('grab needs a path');
        const w = c.name ? this.#find(c) : this.#window;
        const pixmap = w.grab();
        const saved = pixmap.save(c.path, 'PNG');
        return { saved, width: pixmap.width(), height: pixmap.height(), widget: this.#describe(w) };
      }
      case 'state':
        return this.#state();
      case 'memory': {
        // MB of the process: resident, V8's heap, and memory V8 knows about outside its heap.
        const m = process.memoryUsage();
        const mb = (n: number): number => Math.round((n / 1048576) * 10) / 10;
        return {
          rss: mb(m.rss),
          heapUsed: mb(m.heapUsed),
          heapTotal: mb(m.heapTotal),
          external: mb(m.external),
        };
      }
      case 'itemRect': {
        const w = this.#find(c);
        if (!(w instanceof qt.QListWidget)) throw new TypeError(`${c.name} is not a list`);
        const index = c.index ?? 0;
        if (index < 0 || index >= w.count()) throw new RangeError(`no row ${index}`);
        const rect = w.visualItemRect(w.item(index));
        const origin = w.viewport().mapToGlobal(new qt.QPoint(rect.left(), rect.top()));
        return { x: origin.x(), y: origin.y(), width: rect.width(), height: rect.height() };
      }
      case 'clipboard':
        return { text: this.#qt.QApplication.clipboard()?.text() ?? '' };

      case 'quit':
        setImmediate(() => this.#window.close());
        return null;
      default:
        throw new TypeError(`unknown command '${String(c.cmd)}'`);
    }
  }

  #state(): unknown {
    const app = this.#app;
    return {
      page: app.state.page,
      username: app.username,
      selfId: app.selfId,
      meeting: app.meeting,
      members: app.members,
      chat: app.chat.length,
      media: app.media !== null,
      mediaError: app.state.mediaError,
      effect: app.effect,
      screenSharing: app.screenSharing,
      shareBusy: app.state.shareBusy,
      roomOptions: app.roomOptions,
      toolbarError: app.state.toolbarError,
      activeSpeaker: app.activeSpeaker,
      renderer: this.#renderer.stats(),
      status: statusText(app, this.#renderer),
      fullScreen: this.#window.isFullScreen(),
      nativesKeptAlive: this.#keepAlive.size,
      host: {
        role: app.hostPage.role,
        hands: app.hostPage.hands,
        waiting: app.hostPage.waiting,
        waitingFor: app.hostPage.waitingFor,
        reactions: Object.fromEntries(app.hostPage.reactions),
        menu: app.hostPage.menu,
        notice: app.state.notice,
      },
    };
  }

  #find(c: Command): QWidget {
    if (!c.name) throw new TypeError('missing widget name');
    const found = this.#walk().find((w) => w.objectName() === c.name);
    if (!found) throw new Error(`no widget named '${c.name}'`);
    return found;
  }

  /**
   * Every widget of the window, depth first; composite widgets (lists, combo boxes…) are leaves.
   *
   * NodeGui 0.57 caches wrappers of Qt's own child objects (layouts…) through weak references and
   * its `children()` throws "Invalid argument" once such a wrapper was garbage-collected, so the
   * walk reads the native children itself and keeps every one it saw alive until the next walk.
   */
  #walk(): QWidget[] {
    const qt = this.#qt;
    const out: QWidget[] = [];
    const seen = new Set<NativeElement>();
    // NodeGui logs (to stdout) every child it has no JS wrapper for (layouts, delegates): hush it.
    const log = console.log;
    console.log = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].startsWith('NodeGui: Unable to find JS wrapper'))
        return;
      log(...args);
    };
    try {
      const visit = (w: QWidget): void => {
        out.push(w);
        const leaf =
          w instanceof qt.QAbstractButton ||
          w instanceof qt.QLineEdit ||
          w instanceof qt.QComboBox ||
          w instanceof qt.QAbstractItemView ||
          w instanceof qt.QLabel ||
          w instanceof qt.QProgressBar ||
          w instanceof qt.QAbstractScrollArea;
        if (leaf || !w.native) return;
        const natives = (
          w.native as unknown as { children(): Array<NativeElement | null> }
        ).children();
        for (const native of natives) {
          if (!native) continue;
          seen.add(native);
          const child = qt.wrapperCache.getWrapper(native);
          if (child instanceof qt.QWidget) visit(child);
        }
      };
      visit(this.#window);
      // Other windows (the recording player) are walked too.
      for (const w of topLevelWindows()) visit(w);
    } finally {
      console.log = log;
      this.#keepAlive = seen;
    }
    return out;
  }

  tree(): WidgetInfo[] {
    return this.#walk()
      .filter((w) => {
        const name = w.objectName();
        return name !== '' && !GENERATED_NAME.test(name);
      })
      .map((w) => this.#describe(w));
  }

  #describe(w: QWidget): WidgetInfo {
    const qt = this.#qt;
    const origin = w.mapToGlobal(new qt.QPoint(0, 0));
    const info: WidgetInfo = {
      name: w.objectName(),
      cls: 'QWidget',
      text: '',
      visible: w.isVisible(),
      enabled: w.isEnabled(),
      x: origin.x(),
      y: origin.y(),
      width: w.width(),
      height: w.height(),
      toolTip: w.toolTip(),
    };
    if (w instanceof qt.QMainWindow) {
      info.cls = 'QMainWindow';
      info.text = w.windowTitle();
    } else if (w instanceof qt.QAbstractButton) {
      info.cls =
        w instanceof qt.QPushButton
          ? 'QPushButton'
          : w instanceof qt.QCheckBox
            ? 'QCheckBox'
            : 'QAbstractButton';
      info.text = w.text();
      info.checked = w.isChecked();
    } else if (w instanceof qt.QLineEdit) {
      info.cls = 'QLineEdit';
      info.text = w.text();
    } else if (w instanceof qt.QComboBox) {
      info.cls = 'QComboBox';
      info.text = w.currentText();
      info.current = w.currentIndex();
      info.items = Array.from({ length: w.count() }, (_, i) => w.itemText(i));
    } else if (w instanceof qt.QListWidget) {
      info.cls = 'QListWidget';
      info.current = w.currentRow();
      info.items = Array.from({ length: w.count() }, (_, i) => w.item(i).text());
      info.text = info.items.join('\n');
    } else if (w instanceof qt.QLabel) {
      info.cls = 'QLabel';
      info.text = w.text();
    } else if (w instanceof qt.QProgressBar) {
      info.cls = 'QProgressBar';
      info.current = w.value();
      info.text = String(w.value());
    }
    if (w.hasFocus()) info.focused = true;
    return info;
  }
}
