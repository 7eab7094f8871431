/** The outgoing-queue policy of every delivery mode of `common/links.ts`. */
import type { FramedSocket } from '../../common/FramedSocket';
import { LINK_SPECS, type Delivery, type MediaLinkKind } from '../../common/links';
import type { RoomObserver } from '../RoomObserver';
import { AudioQueue } from './AudioQueue';
import type { OutgoingQueue } from './OutgoingQueue';
import { VideoQueue } from './VideoQueue';

export type { OutgoingQueue };
export { LosslessQueue } from './LosslessQueue';

type Policy = new (
  kind: MediaLinkKind,
  socket: FramedSocket,
  observer: RoomObserver,
) => OutgoingQueue;

/**
 * Media delivery modes with a policy the relay pushes to. 'lossless' (the files link) is not relayed
 * frame by frame: its producers await `LosslessQueue.send`, so it has a class of its own.
 */
const POLICIES: Partial<Record<Delivery, Policy>> = {
  audio: AudioQueue,
  'video-newest': VideoQueue,
};

/** The outgoing queue for a receiver's media link of `kind`, chosen by the kind's delivery mode. */
export function createOutgoingQueue(
  kind: MediaLinkKind,
  socket: FramedSocket,
  observer: RoomObserver,
): OutgoingQueue {
  const Policy = POLICIES[LINK_SPECS[kind].delivery];
  if (!Policy) throw new TypeError(`no outgoing queue policy for link kind '${kind}'`);
  return new Policy(kind, socket, observer);
}
