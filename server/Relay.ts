/**
 * The media relay: forwards each frame from a member to every other member of its room without
 * decoding it. The received bytes are reused: the sender id is written in place once and the same
 * buffer goes to every receiver. Runs on the main thread, never on the worker pool.
 */
import { MediaKind, MediaSource } from '../common/constants';
import { mediaKindOf, mediaSourceOf, stampSender } from '../common/media';
import type { FrameTrace } from './Consumer';
import type { Member } from './Member';
import type { Room } from './Room';

/** Measurement hook (set by bench/relay.ts, unset in production): times every relayed write. */
export interface RelayProbe {
  /** A frame went out on one receiver's socket `ns` nanoseconds after the relay took it. */
  written(kind: 'audio' | 'video', ns: number): void;
}

export class Relay {
  /** Frames received from senders and forwarded (once per frame, not per receiver). */
  framesIn = 0;
  /** Frames that arrived on the wrong kind of link and were ignored. */
  rejected = 0;
  /** When set, each frame is stamped on arrival and every write to a receiver is reported. */
  probe: RelayProbe | null = null;

  forward(room: Room, from: Member, link: 'audio' | 'video', frame: Buffer): void {
    const expected = link === 'audio' ? MediaKind.AUDIO : MediaKind.VIDEO;
    // Screen frames go out only while the sender holds a share grant (one sharer per room by default).
    if (
      mediaKindOf(frame) !== expected ||
      (link === 'video' && mediaSourceOf(frame) === MediaSource.SCREEN && !from.screenSharing)
    ) {
      this.rejected++;
      return;
    }
    this.framesIn++;
    // One stamp per frame, shared by all its receivers; nothing is allocated without a probe.
    const trace: FrameTrace | undefined = this.probe
      ? { probe: this.probe, receivedAt: process.hrtime.bigint() }
      : undefined;
    stampSender(frame, from.id);
    for (const member of room.members()) {
      if (member === from) continue;
      const consumer = link === 'audio' ? member.audioConsumer : member.videoConsumer;
      consumer?.push(frame, trace);
    }
  }
}
