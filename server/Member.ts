/**
 * A logged-in client: its control link, its audio and video links once attached, and the room it is
 * in. `close()` is idempotent and cascades to the links; the owner learns of it through '@close'.
 */
import type { FaceEffectName } from '../common/constants';
import { EncodeError } from '../common/errors';
import type { FramedSocket } from '../common/FramedSocket';
import type { LeaveReason, MemberInfo, ServerEventName, ServerEvents } from '../common/protocol';
import { TypedEmitter } from '../common/TypedEmitter';
import { Consumer } from './Consumer';
import type { Room } from './Room';

export type MemberEvents = {
  '@close': [reason: LeaveReason];
};

export interface MemberOptions {
  id: number;
  userId: number;
  username: string;
  token: string;
  control: FramedSocket;
  effect: FaceEffectName;
}

export class Member extends TypedEmitter<MemberEvents> {
  readonly id: number;
  readonly userId: number;
  readonly username: string;
  readonly token: string;
  readonly control: FramedSocket;
  /** Cancels worker-pool work started for this member once it is gone. */
  readonly abort = new AbortController();
  audio: FramedSocket | null = null;
  video: FramedSocket | null = null;
  /** Outgoing relay queues of the attached media links. */
  audioConsumer: Consumer | null = null;
  videoConsumer: Consumer | null = null;
  room: Room | null = null;
  /** Database row of the current room membership (join/leave times). */
  membershipRowId: number | null = null;
  joinedAt = 0;
  audioOn = true;
  videoOn = true;
  effect: FaceEffectName;
  /** Holds a screen-share grant in its room: its screen-source video frames are relayed. */
  screenSharing = false;
  #closed = false;

  constructor(options: MemberOptions) {
    super();
    this.id = options.id;
    this.userId = options.userId;
    this.username = options.username;
    this.token = options.token;
    this.control = options.control;
    this.effect = options.effect;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Attaches an audio or video link, replacing (and closing) an earlier one. */
  attach(kind: 'audio' | 'video', link: FramedSocket): void {
    const old = this[kind];
    const consumer = new Consumer(kind, link);
    this[kind] = link;
    if (kind === 'audio') this.audioConsumer = consumer;
    else this.videoConsumer = consumer;
    if (old && old !== link) old.close('replaced by a new link');
    link.once('close', () => {
      if (this[kind] !== link) return;
      this[kind] = null;
      if (kind === 'audio') this.audioConsumer = null;
      else this.videoConsumer = null;
    });
  }

  info(isHost: boolean): MemberInfo {
    return {
      memberId: this.id,
      userId: this.userId,
      username: this.username,
      isHost,
      audio: this.audioOn,
      video: this.videoOn,
      effect: this.effect,
      screen: this.screenSharing,
      joinedAt: this.joinedAt,
    };
  }

  /** Sends an event on the control link; one too large for a frame is dropped (returns false). */
  sendEvent<K extends ServerEventName>(event: K, data: ServerEvents[K]): boolean {
    try {
      return this.control.sendControl({ event, data });
    } catch (error) {
      if (error instanceof EncodeError) return false;
      throw error;
    }
  }

  /** Ends the session: closes media links (the control link only when `closeControl`). */
  close(reason: LeaveReason, closeControl = false): void {
    if (this.#closed) return;
    this.#closed = true;
    this.abort.abort();
    this.audio?.close(`member closed: ${reason}`);
    this.video?.close(`member closed: ${reason}`);
    if (closeControl) this.control.close(`member closed: ${reason}`);
    this.safeEmit('@close', reason);
  }
}
