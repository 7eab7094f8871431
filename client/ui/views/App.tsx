/**
 * The window and its pages. Load this module only after `loadNodeGui()` (client/ui/qt.ts): it
 * imports react-nodegui, which needs NodeGui's addon to be loadable on plain Node.
 */
import type { QMainWindow } from '@nodegui/nodegui';
import { Renderer, View, Window } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useRef } from 'react';
import type { DesktopApp, Page } from '../DesktopApp';
import type { VideoRenderer } from '../VideoRenderer';
import { useAppState } from './hooks';
import { LobbyView } from './LobbyView';
import { LoginView } from './LoginView';
import { MeetingView } from './MeetingView';
import { StatusLine } from './StatusLine';

/** Window size per page (the Xvfb screen of the tests is 1280x800). */
const SIZES: Record<Page, { width: number; height: number }> = {
  login: { width: 460, height: 440 },
  lobby: { width: 860, height: 600 },
  meeting: { width: 1200, height: 760 },
};

const STYLE = `
  QWidget { font-size: 13px; }
  #loginError, #lobbyError, #meetingError, #toolbarError { color: #c0392b; }
  QPushButton { padding: 5px 12px; }
  #leaveButton { color: white; background-color: #c0392b; border: 1px solid #922b21; border-radius: 3px; }
  QListWidget { background-color: white; }
`;

function App({ app, renderer, onWindow }: AppProps): React.ReactElement {
  const page = useAppState(app, (a) => a.state.page);
  const title = useAppState(app, (a) => {
    if (a.state.page === 'meeting' && a.meeting)
      return `${a.meeting.name} (${a.meeting.id}) — Meeting`;
    if (a.state.page === 'lobby') return `${a.username} — Meeting`;
    return 'Log in — Meeting';
  });
  const window = useRef<QMainWindow | null>(null);
  const setWindow = useCallback(
    (w: QMainWindow | null) => {
      if (w && window.current !== w) {
        window.current = w;
        onWindow(w);
      }
    },
    [onWindow],
  );
  useEffect(() => {
    const size = SIZES[page];
    window.current?.resize(size.width, size.height);
  }, [page]);

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
      w.resize(SIZES.login.width, SIZES.login.height);
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
