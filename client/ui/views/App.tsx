/**
 * The window and its pages. Load this module only after `loadNodeGui()` (client/ui/qt.ts): it
 * imports react-nodegui, which needs NodeGui's addon to be loadable on plain Node.
 *
 * The window takes a default size per page once; a size the user gives it on a page is remembered
 * (settings file) and used whenever that page is shown again, never forced back.
 */
import { QKeySequence, QShortcut, WidgetEventTypes, type QMainWindow } from '@nodegui/nodegui';
import { Renderer, View, Window } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useRef } from 'react';
import { DESKTOP_PAGE_SIZES } from '../../../common/constants';
import type { DesktopApp, Page } from '../DesktopApp';
import type { VideoRenderer } from '../VideoRenderer';
import { useAppState } from './hooks';
import { JoinView } from './JoinView';
import { WaitingScreen } from './HostControls';
import { LobbyView } from './LobbyView';
import { LoginView } from './LoginView';
import { MeetingView } from './MeetingView';
import { SHORTCUTS } from './shortcuts';
import { StatusLine } from './StatusLine';

const STYLE = `
  QWidget { font-size: 13px; }
  QMainWindow, #pageRoot { background-color: #f4f6f8; }
  #loginError, #lobbyError, #meetingError, #toolbarError { color: #c0392b; }
  #loginInfo, #lobbyInfo, #joinInfo, #meetingNotice, #mediaNote { color: #1f5f8b; }
  QPushButton { padding: 5px 12px; border: 1px solid #b8c2cc; border-radius: 4px; background-color: #ffffff; }
  QPushButton:hover { background-color: #eaf2fb; border-color: #5b9bd5; }
  QPushButton:pressed, QPushButton:checked { background-color: #d6e6f5; }
  QPushButton:disabled { color: #9aa5b1; background-color: #eef0f2; }
  #loginButton, #joinNowButton, #createButton, #joinButton { background-color: #2d7dd2; color: white; border-color: #1f5f9e; }
  #loginButton:disabled, #joinNowButton:disabled { background-color: #8fb5dd; }
  #leaveButton { color: white; background-color: #c0392b; border: 1px solid #922b21; }
  #toolbar { background-color: #ffffff; border-top: 1px solid #d5dbe1; }
  QLineEdit, QComboBox { padding: 3px 4px; border: 1px solid #b8c2cc; border-radius: 3px; background-color: white; }
  QLineEdit:focus { border-color: #2d7dd2; }
  QListWidget { background-color: white; border: 1px solid #d5dbe1; }
  QToolTip { color: #1b1b1b; background-color: #fffbe6; border: 1px solid #c8b560; }
`;

function App({ app, renderer, onWindow }: AppProps): React.ReactElement {
  const page = useAppState(app, (a) => a.state.page);
  const fullScreen = useAppState(app, (a) => a.state.fullScreen);
  const title = useAppState(app, (a) => {
    if (a.state.page === 'meeting' && a.meeting)
      return `${a.meeting.name} (${a.meeting.id}) — Meeting`;
    if (a.state.page === 'join') return 'Get ready — Meeting';
    if (a.state.page === 'lobby') return `${a.username} — Meeting`;
    return 'Log in — Meeting';
  });
  const window = useRef<QMainWindow | null>(null);
  /** The size this code last asked for: a Resize to anything else is the user's choice. */
  const requested = useRef<{ width: number; height: number } | null>(null);
  const pageRef = useRef<Page>(page);
  pageRef.current = page;
  const setWindow = useCallback(
    (w: QMainWindow | null) => {
      if (w && window.current !== w) {
        window.current = w;
        onWindow(w);
      }
    },
    [onWindow],
  );

  // Each page gets the size the user gave it before, else its default.
  useEffect(() => {
    const w = window.current;
    if (!w || app.state.fullScreen) return;
    const size = app.settings.data.windowSizes?.[page] ?? DESKTOP_PAGE_SIZES[page];
    requested.current = { width: size.width, height: size.height };
    if (w.size().width() !== size.width || w.size().height() !== size.height)
      w.resize(size.width, size.height);
  }, [page]);

  // A resize nobody here asked for is the user's: remember it for this page.
  useEffect(() => {
    const w = window.current;
    if (!w) return;
    let timer: NodeJS.Timeout | null = null;
    const onResize = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        if (!w.native || app.state.fullScreen || w.isFullScreen()) return;
        const size = { width: w.size().width(), height: w.size().height() };
        const asked = requested.current;
        if (asked && asked.width === size.width && asked.height === size.height) return;
        requested.current = null;
        app.settings.rememberSize(pageRef.current, size);
      }, 300);
    };
    w.addEventListener(WidgetEventTypes.Resize, onResize);
    return () => {
      if (timer) clearTimeout(timer);
      if (w.native) w.removeEventListener(WidgetEventTypes.Resize, onResize);
    };
  }, [app]);

  useEffect(() => {
    const w = window.current;
    if (!w) return;
    if (fullScreen) w.showFullScreen();
    else if (w.isFullScreen()) w.showNormal();
  }, [fullScreen]);

  // Keyboard shortcuts (Alt+A microphone, Alt+V camera…), live on the meeting page only.
  useEffect(() => {
    const w = window.current;
    if (!w) return;
    const made = SHORTCUTS.map((s) => {
      const shortcut = new QShortcut(w);
      shortcut.setKey(new QKeySequence(s.keys));
      shortcut.setEnabled(true);
      shortcut.addEventListener('activated', () => {
        if (app.state.page === s.page) s.run(app);
      });
      return shortcut;
    });
    return () => {
      for (const s of made) if (s.native) s.setEnabled(false);
    };
  }, [app]);

  return (
    <Window
      ref={setWindow}
      windowTitle={title}
      styleSheet={STYLE}
      minSize={{ width: 420, height: 400 }}
    >
      <View id="pageRoot" style="flex: 1; flex-direction: column;">
        {page === 'login' ? <LoginView app={app} /> : null}
        {page === 'lobby' ? <LobbyView app={app} /> : null}
        {page === 'join' ? <WaitingScreen app={app} /> : null}
        {page === 'join' ? <JoinView app={app} renderer={renderer} /> : null}
        {page === 'meeting' ? <MeetingView app={app} renderer={renderer} /> : null}
        {page !== 'login' ? <StatusLine app={app} renderer={renderer} /> : null}
      </View>
    </Window>
  );
}

interface AppProps {
  app: DesktopApp;
  renderer: VideoRenderer;
  onWindow: (window: QMainWindow) => void;
}

type Reconciler = Parameters<
  NonNullable<NonNullable<Parameters<typeof Renderer.render>[1]>['onInit']>
>[0];
let reconciler: Reconciler | null = null;

/** Renders the app; resolves with its window once it is on screen. */
export function mountApp(app: DesktopApp, renderer: VideoRenderer): Promise<QMainWindow> {
  return new Promise((resolve) => {
    const onWindow = (w: QMainWindow): void => {
      const size = app.settings.data.windowSizes?.login ?? DESKTOP_PAGE_SIZES.login;
      w.resize(size.width, size.height);
      resolve(w);
    };
    Renderer.render(<App app={app} renderer={renderer} onWindow={onWindow} />, {
      onInit: (r) => (reconciler = r),
    });
  });
}

/** Unmounts the app (its effects' timers stop, so the process can end). */
export function unmountApp(): Promise<void> {
  return new Promise((resolve) => {
    const container = Renderer.container;
    if (!reconciler || !container) return resolve();
    reconciler.updateContainer(null, container, null, () => resolve());
  });
}
