/**
 * The current meeting as the server described it: the meeting, its members (self included), its
 * chat and the host's options. MeetingClient fills it from join results, its own confirmed
 * requests and validated server events; UIs read it through MeetingClient's getters. Nothing here
 * talks to the network.
 */
import type {
  ChatMessage,
  HandInfo,
  JoinResult,
  MeetingInfo,
  MemberInfo,
  RoomOptions,
  ServerEvent,
  WaitingInfo,
} from '../common/protocol';

export class MeetingState {
  #meeting: MeetingInfo | null = null;
  #members = new Map<number, MemberInfo>();
  #chat: ChatMessage[] = [];
  #options: RoomOptions = { allowMultipleScreens: false };
  /** Raised hands: member id -> since when, the earliest first. */
  #hands = new Map<number, number>();
  /** Who waits to be let in (known to the host and co-hosts). */
  #waiting: WaitingInfo[] = [];

  /** The meeting this client is in, or null. */
  get meeting(): MeetingInfo | null {
    return this.#meeting;
  }
  /** Members of the current meeting, oldest first (self included). */
  get members(): MemberInfo[] {
    return [...this.#members.values()];
  }
  /** Chat of the current meeting: history on join, then live messages. */
  get chat(): readonly ChatMessage[] {
    return this.#chat;
  }
  /** Options the host set for the current meeting. */
  get options(): RoomOptions {
    return this.#options;
  }

  /** Raised hands, the earliest first. */
  get hands(): HandInfo[] {
    return [...this.#hands].map(([memberId, at]) => ({ memberId, at }));
  }
  /** Who waits to be let in (for the host and co-hosts; empty for others). */
  get waiting(): readonly WaitingInfo[] {
    return this.#waiting;
  }

  /** One member of the current meeting. */
  member(memberId: number): MemberInfo | undefined {
    return this.#members.get(memberId);
  }

  /** Starts over with the meeting a create or join returned. */
  enter(result: JoinResult): void {
    this.#meeting = result.meeting;
    this.#options = { ...result.options };
    this.#members = new Map(result.members.map((m) => [m.memberId, m]));
    this.#chat = [...result.history];
    this.#hands = new Map((result.hands ?? []).map((h) => [h.memberId, h.at]));
    this.#waiting = result.waiting ?? [];
  }

  /**
   * Takes the meeting as a resume found it: members and options replaced, chat merged by id (what
   * arrived meanwhile added, nothing twice).
   */
  refresh(result: JoinResult): void {
    this.#meeting = result.meeting;
    this.#options = { ...result.options };
    this.#members = new Map(result.members.map((m) => [m.memberId, m]));
    const byId = new Map(this.#chat.map((m) => [m.id, m]));
    for (const m of result.history) byId.set(m.id, m);
    this.#chat = [...byId.values()].sort((a, b) => a.id - b.id);
  }

  /** Forgets the meeting; false when there was none. */
  reset(): boolean {
    if (!this.#meeting) return false;
    this.#meeting = null;
    this.#members.clear();
    this.#chat = [];
    this.#hands.clear();
    this.#waiting = [];
    return true;
  }

  /** Puts an older page of history in front of what the client has. */
  prependChat(messages: readonly ChatMessage[]): void {
    this.#chat = [...messages, ...this.#chat];
  }

  /** Adds a chat message (one this client sent, once the server stored it), once. */
  addChat(message: ChatMessage): void {
    if (!this.#chat.some((m) => m.id === message.id)) this.#chat.push(message);
  }

  /** Changes fields of a member (after the server confirmed a request of this client). */
  patchMember(memberId: number, patch: Partial<MemberInfo>): void {
    const member = this.#members.get(memberId);
    if (member) this.#members.set(memberId, { ...member, ...patch });
  }

  /** The host's options as the server confirmed them. */
  setOptions(options: RoomOptions): void {
    this.#options = { ...options };
  }

  /** Applies a validated server event (kicked and protocolError change nothing here). */
  apply(event: ServerEvent): void {
    switch (event.name) {
      case 'memberJoined':
        this.#members.set(event.data.memberId, event.data);
        break;
      case 'memberLeft':
        this.#members.delete(event.data.memberId);
        this.#hands.delete(event.data.memberId);
        break;
      case 'hostChanged':
        for (const [id, m] of this.#members) {
          const isHost = id === event.data.memberId;
          const role = isHost ? 'host' : m.role === 'host' ? 'member' : m.role;
          this.#members.set(id, { ...m, isHost, ...(role ? { role } : {}) });
        }
        break;
      case 'roleChanged':
        this.patchMember(event.data.memberId, {
          role: event.data.role,
          isHost: event.data.role === 'host',
        });
        break;
      case 'hand':
        if (!event.data.raised) this.#hands.delete(event.data.memberId);
        else if (!this.#hands.has(event.data.memberId))
          this.#hands.set(event.data.memberId, event.data.at);
        break;
      case 'waitingList':
        this.#waiting = event.data.waiting;
        break;
      case 'mediaState':
        this.patchMember(event.data.memberId, { audio: event.data.audio, video: event.data.video });
        break;
      case 'effectChanged':
        this.patchMember(event.data.memberId, { effect: event.data.effect });
        break;
      case 'screenShare':
        this.patchMember(event.data.memberId, { screen: event.data.active });
        break;
      case 'roomOptions':
        this.setOptions(event.data);
        break;
      case 'memberConnection':
        this.patchMember(event.data.memberId, {
          reconnecting: event.data.state === 'reconnecting',
        });
        break;
      case 'chat':
        this.#chat.push(event.data);
        break;
      case 'kicked':
      case 'protocolError':
      case 'goingAway':
      case 'redirect':
        break;
    }
  }

  /**
   * The member whose share keeps `selfId` from starting one, or null when a start would be granted:
   * derived from what the server reported (members' screen flags, the host's options), so a UI can
   * show the share button's state without knowing the server's rule.
   */
  shareBlockedBy(selfId: number | null): MemberInfo | null {
    if (this.#options.allowMultipleScreens) return null;
    if (selfId !== null && this.#members.get(selfId)?.screen) return null;
    return this.members.find((m) => m.screen && m.memberId !== selfId) ?? null;
  }
}
