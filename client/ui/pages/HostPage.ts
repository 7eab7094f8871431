/**
 * The meeting's host controls, waiting room, raised hands and reactions for the desktop client:
 * follows the client's events (notices for what a host did to this member, reactions shown for
 * REACTION_SHOW_MS, the joiner's "waiting for the host" state) and runs the intents through
 * `client.host.*`. The server enforces every rule; a refusal is shown in the toolbar's error line,
 * as the other toolbar actions show theirs. Which actions the viewer is offered: `memberActions`.
 */
import { REACTION_SHOW_MS, type MeetingRole, type ReactionName } from '../../../common/constants';
import type { HandInfo, MemberInfo, ModerationAction, WaitingInfo } from '../../../common/protocol';
import type { MeetingClient } from '../../MeetingClient';
import { describeError } from '../format';
import type { MediaSessionLike } from '../mediaTypes';
import type { AppContext } from './AppContext';

/** One entry of a member row's context menu. */
export type MemberAction =
  | 'mute'
  | 'ask-unmute'
  | 'camera-off'
  | 'stop-screen'
  | 'lower-hand'
  | 'remove'
  | 'remove-bar'
  | 'make-host'
  | 'make-co-host'
  | 'make-member';

export const MEMBER_ACTION_LABELS: Record<MemberAction, string> = {
  mute: 'Mute',
  'ask-unmute': 'Ask to unmute',
  'camera-off': 'Turn camera off',
  'stop-screen': 'Stop screen share',
  'lower-hand': 'Lower hand',
  remove: 'Remove',
  'remove-bar': 'Remove and bar',
  'make-host': 'Make host',
  'make-co-host': 'Make co-host',
  'make-member': 'Remove co-host',
};

/** A member's role (older servers: only `isHost`). */
export function roleOf(member: MemberInfo): MeetingRole {
  return member.role ?? (member.isHost ? 'host' : 'member');
}

/**
 * The actions `viewer` may take on `target`, in menu order (the server's rules: the host or a
 * co-host moderates, a co-host cannot act on the host, only the host hands out roles; nobody acts
 * on themself from this menu). Empty for a plain member.
 */
export function memberActions(
  viewer: MemberInfo | null,
  target: MemberInfo,
  handRaised: boolean,
): MemberAction[] {
  if (!viewer || viewer.memberId === target.memberId) return [];
  const mine = roleOf(viewer);
  const theirs = roleOf(target);
  if (mine === 'member' || (mine === 'co-host' && theirs === 'host')) return [];
  const out: MemberAction[] = [];
  out.push(target.audio ? 'mute' : 'ask-unmute');
  if (target.video) out.push('camera-off');
  if (target.screen) out.push('stop-screen');
  if (handRaised) out.push('lower-hand');
  out.push('remove', 'remove-bar');
  if (mine === 'host') {
    out.push('make-host');
    out.push(theirs === 'co-host' ? 'make-member' : 'make-co-host');
  }
  return out;
}

/** What a host's action on this member says to it. */
const MODERATED_NOTICE: Record<ModerationAction, string> = {
  mute: 'The host muted you',
  'ask-unmute': 'The host asks you to unmute',
  'camera-off': 'The host turned your camera off',
  'stop-screen': 'The host stopped your screen share',
  'lower-hand': 'The host lowered your hand',
};

/** Emoji shown for each reaction (an unknown name is shown as its text). */
export const REACTION_EMOJI: Record<ReactionName, string> = {
  'thumbs-up': '👍',
  clap: '👏',
  laugh: '😂',
  heart: '❤️',
  surprised: '😮',
  celebrate: '🎉',
};

export function reactionText(name: string): string {
  return (REACTION_EMOJI as Record<string, string>)[name] ?? name;
}

/**
 * The member list's rows: raised hands first (the earliest first, marked ✋), then the others in
 * the server's order; a co-host is marked, a reaction shown for a few seconds after the name.
 */
export function memberRows(
  members: readonly MemberInfo[],
  hands: readonly HandInfo[],
  reactions: ReadonlyMap<number, string>,
  format: (m: MemberInfo) => string,
): Array<{ member: MemberInfo; text: string }> {
  const raised = new Map(hands.map((h) => [h.memberId, h.at]));
  const up = members
    .filter((m) => raised.has(m.memberId))
    .sort((a, b) => (raised.get(a.memberId) ?? 0) - (raised.get(b.memberId) ?? 0));
  const rest = members.filter((m) => !raised.has(m.memberId));
  return [...up, ...rest].map((m) => {
    const reaction = reactions.get(m.memberId);
    const text =
      (raised.has(m.memberId) ? '✋ ' : '') +
      format(m) +
      (roleOf(m) === 'co-host' ? '  — co-host' : '') +
      (reaction ? `  ${reactionText(reaction)}` : '');
    return { member: m, text };
  });
}

/** What a video tile shows after the name: ✋ for a raised hand, the reaction for a few seconds. */
export function tileMarks(
  hands: readonly HandInfo[],
  reactions: ReadonlyMap<number, string>,
): Map<number, string> {
  const marks = new Map<number, string>();
  for (const h of hands) marks.set(h.memberId, '✋');
  for (const [id, r] of reactions) marks.set(id, `${marks.has(id) ? '✋ ' : ''}${reactionText(r)}`);
  return marks;
}

export interface HostPageOptions {
  /** Shows a short notice in the meeting window. */
  notify: (text: string) => void;
  /** The running media session, or null (a host's mute closes its microphone too). */
  media: () => MediaSessionLike | null;
}

export class HostPage {
  readonly #app: AppContext;
  readonly #options: HostPageOptions;
  #attached: MeetingClient | null = null;
  /** Member id -> the reaction shown on it and its timer. */
  readonly #reactions = new Map<number, { reaction: string; timer: NodeJS.Timeout }>();
  /** The meeting this client waits to be let into, or null. */
  #waitingFor: string | null = null;
  /** The joiner gave up waiting: leave at once if let in after all. */
  #cancelled = false;
  /** The inline host prompt shown: meeting password, or "end for everyone?". */
  #prompt: 'password' | 'end' | null = null;
  /** Why this client is out of the meeting (removed, ended), shown in the lobby. */
  #lastOut = '';
  /** The entries of the member menu opened last (for automation and tests). */
  #menu: string[] = [];

  constructor(app: AppContext, options: HostPageOptions) {
    this.#app = app;
    this.#options = options;
  }

  // ---- what the views read ----------------------------------------------------------------------

  /** The meeting this client waits to be let into, or null. */
  get waitingFor(): string | null {
    return this.#waitingFor;
  }
  /** The inline host prompt shown, or null. */
  get prompt(): 'password' | 'end' | null {
    return this.#prompt;
  }
  /** Reactions shown now: member id -> reaction name. */
  get reactions(): ReadonlyMap<number, string> {
    return new Map([...this.#reactions].map(([id, r]) => [id, r.reaction]));
  }
  /** Raised hands, the earliest first. */
  get hands(): HandInfo[] {
    return this.#app.client?.hands ?? [];
  }
  /** Who waits to be let in (for the host and co-hosts). */
  get waiting(): readonly WaitingInfo[] {
    return this.#app.client?.waiting ?? [];
  }
  /** This member's role in the meeting. */
  get role(): MeetingRole {
    const self = this.#app.client?.self;
    return self ? roleOf(self) : 'member';
  }
  /** The host or a co-host. */
  get moderator(): boolean {
    return this.role !== 'member';
  }
  /** This member's hand is up. */
  get handRaised(): boolean {
    const self = this.#app.client?.self;
    return self ? this.hands.some((h) => h.memberId === self.memberId) : false;
  }
  /** What this viewer may do to `memberId` (context menu entries). */
  actionsFor(memberId: number): MemberAction[] {
    const client = this.#app.client;
    const target = client?.members.find((m) => m.memberId === memberId);
    if (!client || !target) return [];
    return memberActions(
      client.self ?? null,
      target,
      this.hands.some((h) => h.memberId === memberId),
    );
  }
  /** Why the last meeting ended for this client (removed, ended for all), or ''. */
  get lastOut(): string {
    return this.#lastOut;
  }

  /** The entries of the member menu opened last. */
  get menu(): readonly string[] {
    return this.#menu;
  }
  menuOpened(entries: string[]): void {
    this.#menu = entries;
  }

  // ---- following the client ---------------------------------------------------------------------

  adopt(client: MeetingClient): void {
    if (this.#attached === client) return;
    this.#attached = client;
    const changed = (): void => {
      this.#app.emit('meeting');
    };
    client.on('hand', changed);
    client.on('roleChanged', (r) => {
      if (r.memberId === client.self?.memberId)
        this.#options.notify(
          r.role === 'host'
            ? 'You are the host now'
            : r.role === 'co-host'
              ? 'You are a co-host now'
              : 'You are no longer a co-host',
        );
      changed();
    });
    client.on('waitingList', (w) => {
      if (w.waiting.length > 0 && this.moderator)
        this.#options.notify(
          `${w.waiting.length} waiting to be let in: ${w.waiting.map((x) => x.username).join(', ')}`,
        );
      changed();
    });
    client.on('reaction', (r) => this.#showReaction(r.memberId, r.reaction));
    client.on('moderated', (m) => {
      this.#options.notify(MODERATED_NOTICE[m.action]);
      void this.#follow(m.action).finally(changed);
    });
    client.on('waiting', ({ meetingId }) => {
      this.#waitingFor = meetingId;
      this.#cancelled = false;
      changed();
    });
    const stopWaiting = (): void => {
      if (this.#waitingFor === null) return;
      this.#waitingFor = null;
      changed();
    };
    client.on('waitingDenied', stopWaiting);
    client.on('joined', () => {
      this.#lastOut = '';
      this.#prompt = null;
      const cancelled = this.#cancelled;
      this.#cancelled = false;
      stopWaiting();
      // Let in after the joiner gave up: out again at once.
      if (cancelled) void client.leaveMeeting().catch(() => undefined);
    });
    client.on('removed', (r) => {
      this.#lastOut = r.barred
        ? `${r.by} removed you from the meeting; you cannot come back`
        : `${r.by} removed you from the meeting`;
    });
    client.on('meetingEnded', (e) => {
      this.#lastOut = `${e.by} ended the meeting for everyone`;
    });
    client.on('left', () => {
      for (const r of this.#reactions.values()) clearTimeout(r.timer);
      this.#reactions.clear();
      this.#prompt = null;
      // The lobby shows why (the page change cleared its lines).
      if (this.#lastOut) setImmediate(() => this.#app.set({ lobbyError: this.#lastOut }));
    });
    client.on('close', stopWaiting);
  }

  /**
   * Brings the media session in line with what the host did: the server already drops the audio
   * (or video, or screen), but the session would keep capturing and think itself on, so that the
   * toolbar's Unmute / Start video would do nothing.
   */
  async #follow(action: ModerationAction): Promise<void> {
    const media = this.#options.media();
    if (!media) return;
    try {
      if (action === 'mute') await media.setMicrophone(false);
      else if (action === 'camera-off') await media.setCamera(false);
      else if (action === 'stop-screen' && media.screenSharing) await media.stopScreenShare();
    } catch (error) {
      this.#app.set({ mediaError: describeError(error) });
    }
  }

  #showReaction(memberId: number, reaction: string): void {
    const previous = this.#reactions.get(memberId);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => {
      this.#reactions.delete(memberId);
      this.#app.emit('meeting');
    }, REACTION_SHOW_MS);
    timer.unref();
    this.#reactions.set(memberId, { reaction, timer });
    this.#app.emit('meeting');
  }

  // ---- intents ----------------------------------------------------------------------------------

  /** Runs one host request; a refusal goes to the toolbar's error line. */
  async #run<T>(step: (client: MeetingClient) => Promise<T>): Promise<T | undefined> {
    const client = this.#app.client;
    if (!client?.meeting) return undefined;
    this.#app.set({ toolbarError: '' });
    try {
      return await step(client);
    } catch (error) {
      this.#app.set({ toolbarError: describeError(error) });
      return undefined;
    } finally {
      this.#app.emit('meeting');
    }
  }

  /** One context-menu action on a member. */
  async act(memberId: number, action: MemberAction): Promise<void> {
    await this.#run(async (c) => {
      const h = c.host;
      switch (action) {
        case 'mute':
          return h.mute(memberId);
        case 'ask-unmute':
          return h.askUnmute(memberId);
        case 'camera-off':
          return h.stopVideo(memberId);
        case 'stop-screen':
          return h.stopScreenShare(memberId);
        case 'lower-hand':
          return h.lowerHand(memberId);
        case 'remove':
          return h.remove(memberId);
        case 'remove-bar':
          return h.remove(memberId, true);
        case 'make-host':
          return h.setRole(memberId, 'host');
        case 'make-co-host':
          return h.setRole(memberId, 'co-host');
        case 'make-member':
          return h.setRole(memberId, 'member');
      }
    });
  }

  /** Raises this member's hand, or lowers it. */
  async toggleHand(): Promise<void> {
    const raise = !this.handRaised;
    await this.#run((c) => c.host.raiseHand(raise));
  }

  async react(reaction: ReactionName): Promise<void> {
    await this.#run((c) => c.host.react(reaction));
  }

  async setLocked(locked: boolean): Promise<void> {
    await this.#run((c) => c.host.setLocked(locked));
  }

  async setWaitingRoom(on: boolean): Promise<void> {
    await this.#run((c) => c.host.setWaitingRoom(on));
  }

  /** Shows (or hides, with null) the inline password / end-meeting prompt. */
  showPrompt(prompt: 'password' | 'end' | null): void {
    this.#prompt = prompt;
    this.#app.set({ toolbarError: '' });
    this.#app.emit('meeting');
  }

  /** Sets the meeting password, or clears it (empty or null). */
  async setPassword(password: string | null): Promise<void> {
    const value = password ? password : null;
    const has = await this.#run((c) => c.host.setPassword(value));
    if (has === undefined) return;
    this.#prompt = null;
    this.#options.notify(has ? 'Meeting password set' : 'Meeting password cleared');
  }

  /** Ends the meeting for everyone (after the prompt's confirmation). */
  async endMeeting(): Promise<void> {
    this.#prompt = null;
    await this.#run((c) => c.host.endMeeting());
  }

  async admit(userId: number | 'all'): Promise<void> {
    await this.#run((c) => c.host.admit(userId));
  }

  async deny(userId: number): Promise<void> {
    await this.#run((c) => c.host.deny(userId));
  }

  /**
   * The joiner stops waiting: back to the lobby. The server keeps the place until
   * the host decides; if let in after all, this client leaves at once.
   */
  cancelWaiting(): void {
    if (this.#waitingFor === null) return;
    this.#cancelled = true;
    this.#waitingFor = null;
    this.#app.set({ page: 'lobby', busy: false, lobbyInfo: 'You stopped waiting for the host' });
    this.#app.emit('meeting');
  }
}
