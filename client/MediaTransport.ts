/**
 * The one door for media frames. Every frame a client sends leaves through `send(kind, frame)`,
 * every frame it receives arrives as a 'frame' event, and backpressure is reported per kind with
 * 'drain'. The links behind the door may be replaced (a reconnect attaches new ones): listeners
 * belong to the transport, not to a socket, so they keep working across the swap.
 */
import type { FramedSocket } from '../common/FramedSocket';
import { LINK_SPECS, MEDIA_LINK_KINDS, type MediaLinkKind } from '../common/links';
import { TypedEmitter } from '../common/TypedEmitter';
import { connectSocket, type LinkSecurity, type ServerAddress } from './connect';
import { RequestChannel } from './RequestChannel';

export type MediaTransportEvents = {
  /** A media frame arrived on the link of `kind` (whole frame, length prefix included). */
  frame: [frame: Buffer, kind: MediaLinkKind];
  /** The link of `kind` can take frames again: a backed-up link drained, or a new one attached. */
  drain: [kind: MediaLinkKind];
  /** The link of `kind` closed (a link replaced by a new one does not report this). */
  close: [kind: MediaLinkKind, reason: string];
};

/** What the media pipeline sees of the network: one door per direction, kinds as data. */
export interface MediaTransport {
  /** Writes a whole media frame; false when the link is backed up (wait for 'drain') or absent. */
  send(kind: MediaLinkKind, frame: Buffer): boolean;
  /** True while a link of `kind` is attached and open. */
  isOpen(kind: MediaLinkKind): boolean;
  /** Bytes written on the link of `kind` but not yet handed to the kernel (0 without a link). */
  queuedBytes(kind: MediaLinkKind): number;
  /** Listens to the transport (not to a socket, so the listener outlives a replaced link). */
  on<K extends keyof MediaTransportEvents>(
    event: K,
    listener: (...args: MediaTransportEvents[K]) => void,
  ): this;
  /** Stops listening. */
  off<K extends keyof MediaTransportEvents>(
    event: K,
    listener: (...args: MediaTransportEvents[K]) => void,
  ): this;
}

interface Link {
  readonly socket: FramedSocket;
  /** False once the link was replaced or closed by this side: its frames are no longer delivered. */
  live: boolean;
  /** Set when a newer link took its place. */
  replaced: boolean;
}

/** The media links of one session, behind the `MediaTransport` door. */
export class MediaLinks extends TypedEmitter<MediaTransportEvents> implements MediaTransport {
  readonly #links: Record<MediaLinkKind, Link | null> = { audio: null, video: null };
  /** Bumped by closeAll(), so a link still attaching then is not installed afterwards. */
  #generation = 0;

  /**
   * Connects a link of `kind`, attaches it to the session `token` names, and puts it behind the
   * door, replacing the current link of that kind. Rejects (and drops the socket) when the server
   * refuses the attach.
   */
  async open(
    address: ServerAddress,
    security: LinkSecurity,
    kind: MediaLinkKind,
    token: string,
    timeoutMs: number,
  ): Promise<void> {
    const generation = this.#generation;
    // Until the server accepts the attach, the link is a control link (and limited like one).
    const socket = await connectSocket(
      address,
      LINK_SPECS.control.maxFrameSize,
      security,
      timeoutMs,
    );
    const link: Link = { socket, live: true, replaced: false };
    const channel = new RequestChannel(socket, {
      timeoutMs,
      onMedia: (frame) => {
        if (link.live) this.safeEmit('frame', frame, kind);
      },
    });
    try {
      await channel.request('attach', { token, link: kind });
    } catch (error) {
      socket.destroy('attach failed');
      throw error;
    }
    if (generation !== this.#generation) {
      socket.close('client closing');
      return;
    }
    socket.maxFrameSize = LINK_SPECS[kind].maxFrameSize;
    this.#install(kind, link);
  }

  /** Writes a whole media frame; false when the link is backed up (wait for 'drain') or absent. */
  send(kind: MediaLinkKind, frame: Buffer): boolean {
    const link = this.#links[kind];
    return link ? link.socket.writeFrame(frame) : false;
  }

  /** True while a link of `kind` is attached and open. */
  isOpen(kind: MediaLinkKind): boolean {
    const link = this.#links[kind];
    return link !== null && !link.socket.closed;
  }

  /** Bytes written on the link of `kind` but not yet handed to the kernel (0 without a link). */
  queuedBytes(kind: MediaLinkKind): number {
    return this.#links[kind]?.socket.queuedBytes ?? 0;
  }

  /** Closes every link after flushing what is queued ('close' follows for each). */
  closeAll(reason: string): void {
    this.#generation++;
    for (const kind of MEDIA_LINK_KINDS) {
      const link = this.#links[kind];
      if (!link) continue;
      this.#links[kind] = null;
      link.live = false;
      link.socket.close(reason);
    }
  }

  /**
   * The raw link of `kind`, for tests only: hostile input (a control frame on a media link, a
   * forged length prefix) and stalls (pausing its socket). Media goes through `send()`.
   */
  linkForTests(kind: MediaLinkKind): FramedSocket | null {
    return this.#links[kind]?.socket ?? null;
  }

  #install(kind: MediaLinkKind, link: Link): void {
    const previous = this.#links[kind];
    if (previous) {
      previous.live = false;
      previous.replaced = true;
      previous.socket.close('replaced by a new link');
    }
    this.#links[kind] = link;
    link.socket.on('drain', () => {
      if (this.#links[kind] === link) this.safeEmit('drain', kind);
    });
    link.socket.on('close', (reason) => {
      link.live = false;
      if (this.#links[kind] === link) this.#links[kind] = null;
      if (!link.replaced) this.safeEmit('close', kind, reason);
    });
    // Whoever held back frames while the old link was backed up may send on the new one.
    this.safeEmit('drain', kind);
  }
}
