/**
 * The host's and co-hosts' actions, raised hands and reactions, as methods over the client's request
 * channel (`client.host.mute(id)` …). The server enforces every rule (a member without the power gets
 * ERR_NOT_HOST) and tells the room; the client's state follows the events, not these replies.
 */
import type { MeetingRole, ReactionName } from '../common/constants';
import type { RequestParams, RequestResults, RequestType, WaitingInfo } from '../common/protocol';

/** The client's typed request function. */
export type RequestFn = <K extends RequestType>(
  type: K,
  data: RequestParams<K>,
) => Promise<RequestResults[K]>;

export class HostControls {
  readonly #request: RequestFn;

  constructor(request: RequestFn) {
    this.#request = request;
  }

  /** Mutes a member: the server drops its audio until it unmutes itself. */
  async mute(memberId: number): Promise<void> {
    await this.#request('muteMember', { memberId });
  }
  /** Asks a member to unmute (it is only told). */
  async askUnmute(memberId: number): Promise<void> {
    await this.#request('askUnmute', { memberId });
  }
  /** Turns a member's camera off until it turns it on itself. */
  async stopVideo(memberId: number): Promise<void> {
    await this.#request('stopMemberVideo', { memberId });
  }
  async stopScreenShare(memberId: number): Promise<void> {
    await this.#request('stopMemberScreen', { memberId });
  }
  /** Removes a member; with `bar`, it cannot come back to this meeting. */
  async remove(memberId: number, bar = false): Promise<void> {
    await this.#request('removeMember', bar ? { memberId, bar } : { memberId });
  }
  async setLocked(locked: boolean): Promise<void> {
    await this.#request('setRoomOptions', { locked });
  }
  async setWaitingRoom(waitingRoom: boolean): Promise<void> {
    await this.#request('setRoomOptions', { waitingRoom });
  }
  /** Sets, changes or (null) clears the meeting's password; host only. */
  async setPassword(password: string | null): Promise<boolean> {
    return (await this.#request('setMeetingPassword', { password })).hasPassword;
  }
  /** Ends the meeting for everyone; host only. */
  async endMeeting(): Promise<void> {
    await this.#request('endMeeting', {});
  }
  /** Makes a member host (this client becomes co-host), co-host or a plain member; host only. */
  async setRole(memberId: number, role: MeetingRole): Promise<void> {
    await this.#request('setRole', { memberId, role });
  }
  /** Lets one waiting user, or everyone waiting, in; resolves with how many. */
  async admit(userId: number | 'all'): Promise<number> {
    return (await this.#request('admitWaiting', { userId })).admitted;
  }
  async deny(userId: number): Promise<void> {
    await this.#request('denyWaiting', { userId });
  }
  async listWaiting(): Promise<WaitingInfo[]> {
    return (await this.#request('listWaiting', {})).waiting;
  }
  async raiseHand(raised = true): Promise<void> {
    await this.#request('raiseHand', { raised });
  }
  /** Lowers another member's hand (host or co-host). */
  async lowerHand(memberId: number): Promise<void> {
    await this.#request('lowerHand', { memberId });
  }
  async react(reaction: ReactionName): Promise<void> {
    await this.#request('react', { reaction });
  }
}
