/**
 * The window's keyboard shortcuts, one row each: keys, the page they work on, what they do and how
 * a tooltip names them. A new toolbar action (the host's raise-hand button: Alt+H) is one more row.
 */
import type { DesktopApp, Page } from '../DesktopApp';

export interface Shortcut {
  keys: string;
  page: Page;
  /** What it does, for tooltips ("Mute or unmute the microphone"). */
  what: string;
  run(app: DesktopApp): void;
}

export const SHORTCUTS: readonly Shortcut[] = [
  {
    keys: 'Alt+A',
    page: 'meeting',
    what: 'microphone',
    run: (app) => void app.meetingPage.toggleMicrophone(),
  },
  {
    keys: 'Alt+V',
    page: 'meeting',
    what: 'camera',
    run: (app) => void app.meetingPage.toggleCamera(),
  },
  {
    keys: 'Alt+S',
    page: 'meeting',
    what: 'screen share',
    run: (app) => void app.meetingPage.toggleScreenShare(),
  },
  { keys: 'Alt+C', page: 'meeting', what: 'chat', run: (app) => app.toggleSidePane() },
  {
    keys: 'Alt+G',
    page: 'meeting',
    what: 'view',
    run: (app) => app.setViewMode(app.state.viewMode === 'gallery' ? 'speaker' : 'gallery'),
  },
  {
    keys: 'Alt+H',
    page: 'meeting',
    what: 'raise hand',
    run: (app) => void app.hostPage.toggleHand(),
  },
  { keys: 'F11', page: 'meeting', what: 'full screen', run: (app) => app.toggleFullScreen() },
  { keys: 'Alt+F', page: 'meeting', what: 'full screen', run: (app) => app.toggleFullScreen() },
];

/** The keys of the shortcut for `what`, for a tooltip: " (Alt+A)", or ''. */
export function keysOf(what: string): string {
  const found = SHORTCUTS.find((s) => s.what === what);
  return found ? ` (${found.keys})` : '';
}
