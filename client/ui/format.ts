/**
 * Pure helpers of the desktop UI (no Qt, no React): error texts, the video grid shape, chat line
 * formatting and `@name` completion. Kept apart so tests can check them without a display.
 */
import {
  DESKTOP_CAMERA_STRIP,
  DESKTOP_TILE_MIN_PX,
  type FaceEffectName,
} from '../../common/constants';
import { ErrorCode, MeetingError, type ErrorCodeValue } from '../../common/errors';
import type { ChatMessage, MemberInfo } from '../../common/protocol';

const FRIENDLY: Partial<Record<ErrorCodeValue, string>> = {
  [ErrorCode.BAD_CREDENTIALS]: 'Wrong username or password',
  [ErrorCode.USERNAME_TAKEN]: 'That username is already taken',
  [ErrorCode.INVALID_USERNAME]: 'Usernames are 3-32 letters, digits, dots, dashes or underscores',
  [ErrorCode.WEAK_PASSWORD]: 'That password is too short',
  [ErrorCode.CONNECT_FAILED]: 'Cannot reach the server',
  [ErrorCode.CONNECTION_CLOSED]: 'Connection to the server lost',
  [ErrorCode.TIMEOUT]: 'The server did not answer in time',
  [ErrorCode.RATE_LIMITED]: 'Too many attempts; wait a minute and try again',
  [ErrorCode.SERVER_BUSY]: 'The server is busy; try again',
  [ErrorCode.LOGGED_IN_ELSEWHERE]: 'Logged in elsewhere',
  [ErrorCode.HEARTBEAT_TIMEOUT]: 'The server stopped hearing from this client',
  [ErrorCode.MEETING_NOT_FOUND]: 'No meeting has that id',
  [ErrorCode.MEETING_PASSWORD]: 'This meeting needs its password',
  [ErrorCode.ALREADY_IN_MEETING]: 'Already in a meeting',
  [ErrorCode.RECIPIENT_NOT_FOUND]: 'That person is no longer in the meeting',
  [ErrorCode.SHUTTING_DOWN]: 'The server is shutting down',
  [ErrorCode.SCREEN_SHARE_BUSY]: 'Someone else is sharing their screen',
  [ErrorCode.NOT_HOST]: 'Only the host can do that',
  [ErrorCode.BAD_REQUEST]: 'The server could not accept that (too long or malformed)',
};

/** One line for an inline error label: a readable sentence followed by the stable code. */
export function describeError(error: unknown): string {
  if (error instanceof MeetingError)
    return `${FRIENDLY[error.code] ?? error.message} (${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Columns x rows of the video grid for `n` tiles: 1→1x1, 2→2x1, 3-4→2x2, 5-6→3x2, 7-9→3x3… */
export function gridShape(n: number): { cols: number; rows: number } {
  if (n <= 0) return { cols: 0, rows: 0 };
  const cols = Math.ceil(Math.sqrt(n));
  return { cols, rows: Math.ceil(n / cols) };
}

/** Splits `items` into rows of the grid shape (last row may be short). */
export function gridRows<T>(items: readonly T[]): T[][] {
  const { cols } = gridShape(items.length);
  const rows: T[][] = [];
  for (let i = 0; i < items.length; i += cols) rows.push(items.slice(i, i + cols));
  return rows;
}

export interface Size {
  width: number;
  height: number;
}

/**
 * Tile sizes of the screen layout in an area (px): the shared screens side by side take most of
 * it, over a strip of camera tiles (about a quarter of the height, 90-200 px) whose pictures are
 * 4:3. `margin` surrounds every tile; `chrome` is what a tile adds around its picture (frame and
 * caption). Sizes include the chrome, not the margin.
 */
export function screenLayout(
  area: Size,
  screens: number,
  cameras: number,
  options: { margin: number; chrome: Size },
): { screen: Size; camera: Size } {
  const margins = 2 * options.margin;
  const { heightShare, minPx, maxPx } = DESKTOP_CAMERA_STRIP;
  const strip =
    cameras > 0 ? Math.min(maxPx, Math.max(minPx, Math.floor(area.height * heightShare))) : 0;
  const cameraHeight = cameras > 0 ? Math.max(DESKTOP_TILE_MIN_PX, strip - margins) : 0;
  const fourThirds =
    Math.round(((cameraHeight - options.chrome.height) * 4) / 3) + options.chrome.width;
  const cameraWidth =
    cameras > 0
      ? Math.max(
          DESKTOP_TILE_MIN_PX,
          Math.min(fourThirds, Math.floor(area.width / cameras) - margins),
        )
      : 0;
  return {
    screen: {
      width: Math.max(DESKTOP_TILE_MIN_PX, Math.floor(area.width / Math.max(1, screens)) - margins),
      height: Math.max(DESKTOP_TILE_MIN_PX, area.height - strip - margins),
    },
    camera: { width: cameraWidth, height: cameraHeight },
  };
}

/**
 * The largest tile (picture plus `chrome`: frame and caption) that fits `cell` while its picture
 * keeps `aspect` (width / height); the rest of the cell is left empty, not filled with black bars.
 */
export function fitTile(cell: Size, aspect: number, chrome: Size, min = DESKTOP_TILE_MIN_PX): Size {
  let pw = Math.max(1, cell.width - chrome.width);
  let ph = Math.max(1, cell.height - chrome.height);
  if (pw / ph > aspect) pw = Math.floor(ph * aspect);
  else ph = Math.floor(pw / aspect);
  return {
    width: Math.max(min, pw + chrome.width),
    height: Math.max(min, ph + chrome.height),
  };
}

/**
 * Who the speaker view shows large: the pinned member, else the active speaker (someone else
 * before oneself), else the first other member, else oneself.
 */
export function speakerViewMain(
  memberIds: readonly number[],
  selfId: number | null,
  pinned: number | null,
  activeSpeaker: number | null,
): number | null {
  if (pinned !== null && memberIds.includes(pinned)) return pinned;
  if (activeSpeaker !== null && activeSpeaker !== selfId && memberIds.includes(activeSpeaker))
    return activeSpeaker;
  return memberIds.find((id) => id !== selfId) ?? memberIds[0] ?? null;
}

/** How a chat message relates to the viewer, for marking it. */
export type ChatKind = 'public' | 'private' | 'mention';

export function chatKind(message: ChatMessage): ChatKind {
  if (message.to !== null) return 'private';
  if (message.mentions !== null && message.mentions.length > 0) return 'mention';
  return 'public';
}

function clock(at: number): string {
  const d = new Date(at);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/**
 * The chat log line of a message as `me` sees it, with its audience: private messages and
 * mention-only messages say who got them ("to everyone" is said for one's own lines).
 */
export function formatChatLine(message: ChatMessage, me: string): string {
  const mine = message.from.username === me;
  const from = mine ? 'you' : message.from.username;
  switch (chatKind(message)) {
    case 'private': {
      const to = message.to === me ? 'you' : message.to;
      return `${clock(message.at)}  [private] ${from} → ${to}: ${message.text}`;
    }
    case 'mention': {
      const names = (message.mentions ?? []).map((n) => `@${n}`).join(' ');
      return `${clock(message.at)}  [only ${names}] ${from}: ${message.text}`;
    }
    default:
      return `${clock(message.at)}  ${mine ? '[everyone] ' : ''}${from}: ${message.text}`;
  }
}

/** The pattern the server reads `@name` mentions with (common to both, see server/handlers/chat.ts). */
const MENTION = /@([A-Za-z0-9_.-]{3,32})/g;

/**
 * Who a message typed now would reach: 'everyone', or the members it mentions (the server then
 * delivers it to them only), in the order typed. Names not in the meeting do not count.
 */
export function mentionedMembers(text: string, members: readonly string[]): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(MENTION)) {
    const name = m[1] as string;
    if (members.includes(name) && !found.includes(name)) found.push(name);
  }
  return found;
}

/** True when the message names `me` (a mention of me, or a private message to me). */
export function concernsMe(message: ChatMessage, me: string): boolean {
  return (
    message.to === me ||
    (message.mentions ?? []).includes(me) ||
    (message.from.username !== me && mentionedMembers(message.text, [me]).length > 0)
  );
}

const EFFECT_LABELS: Record<FaceEffectName, string> = {
  none: 'No effect',
  blur: 'Blur',
  pixelate: 'Pixelate',
  glasses: 'Glasses',
  beauty: 'Beauty',
  'background-blur': 'Background blur',
};

/** The effect selector's label of a face effect ('pixelate' → 'Pixelate'). */
export function effectLabel(effect: FaceEffectName): string {
  return EFFECT_LABELS[effect] ?? effect;
}

/**
 * Member list line: name, (you), host mark, muted / camera-off flags, the face effect (when not
 * 'none') and a sharing-screen mark.
 */
export function formatMember(member: MemberInfo, selfId: number | null): string {
  const marks: string[] = [];
  if (member.isHost) marks.push('host');
  if (!member.audio) marks.push('muted');
  if (!member.video) marks.push('camera off');
  if (member.effect && member.effect !== 'none')
    marks.push(effectLabel(member.effect).toLowerCase());
  if (member.screen) marks.push('sharing screen');
  if (member.reconnecting) marks.push('reconnecting…');
  const you = member.memberId === selfId ? ' (you)' : '';
  return `${member.isHost ? '★ ' : '   '}${member.username}${you}${marks.length ? `  — ${marks.join(', ')}` : ''}`;
}

/** The `@prefix` being typed just before `cursor`, or null. */
export function mentionPrefix(
  text: string,
  cursor: number,
): { start: number; prefix: string } | null {
  const match = /(^|\s)@([A-Za-z0-9_.-]*)$/.exec(text.slice(0, cursor));
  if (!match) return null;
  return { start: cursor - match[2].length - 1, prefix: match[2] };
}

/** Member names completing `prefix` (case-insensitive), in the given order. */
export function mentionCandidates(prefix: string, names: readonly string[]): string[] {
  const p = prefix.toLowerCase();
  return names.filter((n) => n.toLowerCase().startsWith(p));
}

/**
 * Tab completion of `@name` at `cursor`: one candidate completes to `@name `, several complete to
 * their longest common prefix. Returns null when there is nothing to complete.
 */
export function completeMention(
  text: string,
  cursor: number,
  names: readonly string[],
): { text: string; cursor: number; candidates: string[] } | null {
  const at = mentionPrefix(text, cursor);
  if (!at) return null;
  const candidates = mentionCandidates(at.prefix, names);
  if (candidates.length === 0) return null;
  let completion: string;
  if (candidates.length === 1) completion = `${candidates[0]} `;
  else {
    completion = candidates[0];
    for (const c of candidates) {
      let i = 0;
      while (
        i < completion.length &&
        i < c.length &&
        completion[i].toLowerCase() === c[i].toLowerCase()
      )
        i++;
      completion = completion.slice(0, i);
    }
    if (completion.length < at.prefix.length) completion = at.prefix;
  }
  const before = text.slice(0, at.start + 1);
  const after = text.slice(cursor);
  return {
    text: before + completion + after,
    cursor: before.length + completion.length,
    candidates,
  };
}
