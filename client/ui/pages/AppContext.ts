/**
 * The desktop app's state and events, and what a page controller may do with them. DesktopApp owns
 * the state and the current MeetingClient; page controllers (login, lobby, meeting) hold the
 * intents of one page each and reach the app only through an `AppContext`.
 */
import type { ChatMessage, MeetingInfo } from '../../../common/protocol';
import type { TypedEmitter } from '../../../common/TypedEmitter';
import type { MeetingClient } from '../../MeetingClient';
import type { DeviceLists } from '../devices';
import type { MediaChoices, MediaSessionLike, PreviewLike } from '../mediaTypes';

export type Page = 'login' | 'lobby' | 'join' | 'meeting';

/** A field of the login form (where the cursor goes after an error). */
export type LoginField = 'server' | 'user' | 'password' | 'confirm';

/** What the join screen will do when the user presses Join: create a meeting or join one. */
export type PendingEntry =
  | { kind: 'create'; name: string; password: string }
  | { kind: 'join'; meetingId: string; password: string };

/** How the video area is laid out. */
export type ViewMode = 'gallery' | 'speaker';

export type RecentMeeting = MeetingInfo & { lastJoinedAt: number };

export interface DesktopState {
  page: Page;
  /** Server address as typed (HOST:PORT). */
  server: string;
  /** A request is in flight: buttons that start another are disabled. */
  busy: boolean;
  registerMode: boolean;
  loginError: string;
  /** An informational line on the login page (not an error: shown in a calm colour). */
  loginInfo: string;
  /** The field the cursor goes to after an error, re-applied whenever the tick changes. */
  loginFocus: LoginField | null;
  loginFocusTick: number;
  lastUsername: string;
  lobbyError: string;
  /** An informational line in the lobby (e.g. this meeting needs a password). */
  lobbyInfo: string;
  /** The meeting the join screen is about to create or join, or null. */
  pending: PendingEntry | null;
  /** Join screen choices: enter with the microphone off / the camera off. */
  startMuted: boolean;
  startCameraOff: boolean;
  /** The join screen's speaker test is playing. */
  speakerTest: boolean;
  /** A short notice in the meeting window (who joined or left, invite copied); '' when none. */
  notice: string;
  viewMode: ViewMode;
  /** The member shown large in the speaker view whatever the active speaker, or null. */
  pinned: number | null;
  /** The side pane (people and chat) is shown. */
  sidePane: boolean;
  /** Chat messages received while the side pane was hidden. */
  unreadChat: number;
  /** The developer figures of the status bar are shown ("Connection details"). */
  connectionDetails: boolean;
  /** The in-meeting device settings are shown. */
  settingsOpen: boolean;
  /** The window fills the screen. */
  fullScreen: boolean;
  /** The last join failed for want of a (correct) password: the lobby shows the password field. */
  joinNeedsPassword: boolean;
  /** Meeting id to prefill in the join field (after a password prompt or a recent-list click). */
  joinId: string;
  recent: RecentMeeting[];
  devices: MediaChoices;
  deviceLists: DeviceLists | null;
  videoFile: string | null;
  /** Media problems (session could not start, capture failed), shown in the status bar. */
  mediaError: string;
  meetingError: string;
  /** The last face-effect, screen-share or room-option request failed: why (shown in the toolbar). */
  toolbarError: string;
  /** A screen-share start or stop is in flight. */
  shareBusy: boolean;
  /** The link dropped and the client is resuming its session: the banner's attempt and delay. */
  reconnecting: { attempt: number; nextInS: number } | null;
  /** The server's certificate changed since it was pinned: the user accepts or refuses it. */
  trustPrompt: { server: string; pinned: string; presented: string } | null;
  // ---- files panel and chat log
  /** Write the meeting's chat to `chatLogDir` when leaving. */
  saveChat: boolean;
  chatLogDir: string;
  /** Where the chat of the last meeting was saved (or why not), shown in the lobby. */
  chatSaved: string;
}

export type DesktopAppEvents = {
  /** `state` changed. */
  state: [];
  /** Members, host, media flags or chat of the current meeting changed. */
  meeting: [];
  /** A chat message arrived (or was sent). */
  chat: [message: ChatMessage];
  /** The media session was created or stopped. */
  media: [session: MediaSessionLike | null];
  activeSpeaker: [memberId: number | null];
  /** The join screen's preview started, stopped or changed its effect. */
  preview: [preview: PreviewLike | null];
  /** Offered files, transfers or their progress changed (the Files panel). */
  files: [];
};

/** What a page controller sees of the app. */
export interface AppContext {
  readonly state: Readonly<DesktopState>;
  /** The logged-in client, or null. */
  readonly client: MeetingClient | null;
  /** True once the window closed: nothing is shown any more. */
  readonly closed: boolean;
  /** Changes the state and tells the views. */
  set(patch: Partial<DesktopState>): void;
  /** Tells the views something other than a state change (the app's own `safeEmit`). */
  readonly emit: TypedEmitter<DesktopAppEvents>['safeEmit'];
}
