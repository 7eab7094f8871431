/**
 * The desktop app's state and events, and what a page controller may do with them. DesktopApp owns
 * the state and the current MeetingClient; page controllers (login, lobby, meeting) hold the
 * intents of one page each and reach the app only through an `AppContext`.
 */
import type { ChatMessage, MeetingInfo } from '../../../common/protocol';
import type { TypedEmitter } from '../../../common/TypedEmitter';
import type { MeetingClient } from '../../MeetingClient';
import type { DeviceLists } from '../devices';
import type { MediaChoices, MediaSessionLike } from '../mediaTypes';

export type Page = 'login' | 'lobby' | 'meeting';

export type RecentMeeting = MeetingInfo & { lastJoinedAt: number };

export interface DesktopState {
  page: Page;
  /** Server address as typed (HOST:PORT). */
  server: string;
  /** A request is in flight: buttons that start another are disabled. */
  busy: boolean;
  registerMode: boolean;
  loginError: string;
  lastUsername: string;
  lobbyError: string;
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
