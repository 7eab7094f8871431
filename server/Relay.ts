/**
 * The media relay: forwards each frame from a member to every other member of its room without
 * decoding it. The received bytes are reused: the sender id is written in place once and the same
 * buffer goes to every receiver. Runs on the main thread, never on the worker pool.
 */
import { MediaKind } from '../common/constants';
import { mediaKindOf, stampSender } from '../common/media';
import type { Member } from './Member';
import type { Room } from './Room';

export class Relay {
  /** Frames received from senders and forwarded (once per frame, not per receiver). */
  framesIn = 0;
  /** Frames that arrived on the wrong kind of link and were ignored. */
  rejected = 0;

  forward(room: Room, from: Member, link: 'audio' | 'video', frame: Buffer): void {
    const expected = link === 'audio' ? MediaKind.AUDIO : MediaKind.VIDEO;
    if (mediaKindOf(frame) !== expected) {
      this.rejected++;
      return;
    }
    this.framesIn++;
    stampSender(frame, from.id);
    for (const member of room.members()) {
      if (member === from) continue;
      const consumer = link === 'audio' ? member.audioConsumer : member.videoConsumer;
      consumer?.push(frame);
    }
  }
}
