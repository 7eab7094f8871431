/**
 * Entry point of the desktop client (`meeting client --server HOST:PORT`, `npm start`): loads
 * NodeGui (through the qode shim on plain Node), renders the React window and resolves when the
 * window is closed. MEETING_UI_AUTOMATION=1 adds the JSON-line automation channel on stdin/stdout
 * (tests); MEETING_UI_MEDIA=off runs without the media layer; MEETING_UI_VIDEO / _AUDIO / _SPEAKER
 * preset the device pickers (see devices.ts).
 */
import v8 from 'node:v8';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DESKTOP_RESIZE_REPAINT_MS,
  DESKTOP_SEMI_SPACE_MB,
} from '../../common/constants';
import type { QMainWindow } from '@nodegui/nodegui';
import { Automation } from './automation';
import { DesktopApp } from './DesktopApp';
import { loadMediaSessionFactory, type MediaLayer } from './mediaTypes';
import { loadNodeGui, QT_PUMP_INTERVAL_MS, stopNodeGui } from './qt';
import { SettingsStore, settingsPath } from './settings';
import { VideoRenderer } from './VideoRenderer';

export interface DesktopClientOptions {
  /** Server address prefilled in the login window (HOST:PORT); default: the last one used. */
  server?: string;
}

function debug(message: string): void {
  if (process.env.MEETING_UI_DEBUG) process.stderr.write(`[ui] ${message}\n`);
}

/** Memoises the media layer's loading: it is required once, on first use. */
function mediaLoader(env: NodeJS.ProcessEnv): () => MediaLayer {
  let loaded: MediaLayer | null = null;
  return () => {
    if (env.MEETING_UI_MEDIA === 'off')
      return {
        factory: null,
        preview: null,
        cue: null,
        reason: 'media off (MEETING_UI_MEDIA=off)',
      };
    loaded ??= loadMediaSessionFactory();
    return loaded;
  };
}

/** Opens the desktop client and resolves once its window is closed. */
export async function runDesktopClient(opts: DesktopClientOptions): Promise<void> {
  // React's production build (its development build checks and warns on every render); set
  // NODE_ENV=development to get React's warnings.
  process.env.NODE_ENV ??= 'production';
  // The window paints with Qt's raster engine and uses no OpenGL; without this Qt's xcb plugin
  // loads GLX and Mesa (llvmpipe: about 50 MB resident) at start for nothing.
  process.env.QT_XCB_GL_INTEGRATION ??= 'none';
  // NodeGui asks for a shared OpenGL context at start; without GLX Qt then prints one
  // uncategorised warning. Those developer warnings stay off stderr unless MEETING_UI_DEBUG is set.
  if (!process.env.MEETING_UI_DEBUG) process.env.QT_LOGGING_RULES ??= 'default.warning=false';
  // The UI's garbage is short-lived (frames, buffers): a small young generation collects it
  // often and cheaply instead of letting it grow to V8's default tens of MB.
  v8.setFlagsFromString(`--max-semi-space-size=${DESKTOP_SEMI_SPACE_MB}`);
  const qt = loadNodeGui();
  // react-nodegui may only be required once NodeGui is loaded (above).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { mountApp, unmountApp } = require('./views/App') as typeof import('./views/App');
  const settings = new SettingsStore(settingsPath(process.env));
  const app = new DesktopApp({
    server: opts.server ?? settings.data.server ?? `${DEFAULT_HOST}:${DEFAULT_PORT}`,
    loadMedia: mediaLoader(process.env),
    settings,
  });
  const renderer = new VideoRenderer(qt);
  const window: QMainWindow = await mountApp(app, renderer);

  // Pictures are scaled to their tiles: re-scale them shortly after the window's size settles.
  let resizeTimer: NodeJS.Timeout | null = null;
  window.addEventListener(qt.WidgetEventTypes.Resize, () => {
    if (resizeTimer) clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => renderer.repaintAll(), DESKTOP_RESIZE_REPAINT_MS);
  });

  let automation: Automation | null = null;
  if (process.env.MEETING_UI_AUTOMATION === '1') {
    automation = new Automation({
      qt,
      window,
      app,
      renderer,
      input: process.stdin,
      output: process.stdout,
    });
    // "Interactive": the window is shown and the pump has processed its first events.
    setTimeout(
      () =>
        automation?.event('ready', {
          launchMs: Math.round(process.uptime() * 1000),
          page: app.state.page,
        }),
      2 * QT_PUMP_INTERVAL_MS,
    );
  }

  await new Promise<void>((resolve) =>
    window.addEventListener(qt.WidgetEventTypes.Close, () => resolve()),
  );
  debug('window closed');
  if (resizeTimer) clearTimeout(resizeTimer);
  automation?.stop();
  if (automation) process.stdin.destroy();
  await app.close();
  debug('app closed');
  await unmountApp();
  renderer.clear();
  stopNodeGui();
  debug('pump stopped');
}
