/**
 * Paints video into the tiles' labels, outside React: a frame never causes a re-render. Frames are
 * coalesced per tile (only the newest JPEG waiting for a tile is decoded; older ones are counted as
 * skipped), decoded by Qt (`QPixmap.loadFromData`), scaled to the label once and set as its pixmap.
 * The last picture of each member is kept so a tile that is re-created (grid re-flow) or resized
 * shows it at once.
 */
import type { QLabel, QPixmap } from '@nodegui/nodegui';
import type { MediaSessionLike, RemoteVideoFrameLike } from './mediaTypes';

type NodeGui = typeof import('@nodegui/nodegui');

export interface VideoRendererStats {
  /** Frames painted into a tile. */
  rendered: number;
  /** Frames replaced by a newer one before they were painted. */
  skipped: number;
  /** JPEGs Qt could not decode. */
  failed: number;
  /** Mean time to decode, scale and set one frame (ms). */
  meanRenderMs: number;
  /** Frames painted per member. */
  perMember: Record<number, number>;
}

export class VideoRenderer {
  readonly #qt: NodeGui;
  readonly #labels = new Map<number, QLabel>();
  readonly #pending = new Map<number, Buffer>();
  readonly #last = new Map<number, QPixmap>();
  readonly #placeholders = new Map<number, string>();
  readonly #perMember = new Map<number, number>();
  #scheduled: NodeJS.Immediate | null = null;
  #selfId: number | null = null;
  #media: MediaSessionLike | null = null;
  #stats = { rendered: 0, skipped: 0, failed: 0, renderMs: 0 };

  readonly #onVideo = (frame: RemoteVideoFrameLike): void => {
    // Screen share (source 1) has no tile yet.
    if (frame.source === 0) this.push(frame.memberId, frame.jpeg);
  };
  readonly #onLocal = (frame: { jpeg: Buffer }): void => {
    if (this.#selfId !== null) this.push(this.#selfId, frame.jpeg);
  };

  constructor(qt: NodeGui) {
    this.#qt = qt;
  }

  /** Follows a media session's remote and self-view frames (null detaches). */
  attach(media: MediaSessionLike | null, selfId: number | null): void {
    if (this.#media) {
      this.#media.off('video', this.#onVideo);
      this.#media.off('localVideo', this.#onLocal);
    }
    this.#media = media;
    this.#selfId = selfId;
    if (media) {
      media.on('video', this.#onVideo);
      media.on('localVideo', this.#onLocal);
    }
  }

  /** Registers the label of a member's tile. */
  setLabel(memberId: number, label: QLabel): void {
    this.#labels.set(memberId, label);
    label.setAlignment(this.#qt.AlignmentFlag.AlignCenter);
    label.setSizePolicy(this.#qt.QSizePolicyPolicy.Ignored, this.#qt.QSizePolicyPolicy.Ignored);
    this.#repaint(memberId);
  }

  /** Unregisters a tile's label (only if it is still the registered one: a re-created tile may already have replaced it). */
  unsetLabel(memberId: number, label: QLabel): void {
    if (this.#labels.get(memberId) === label) this.#labels.delete(memberId);
  }

  /** The label of a member's tile, if one is shown. */
  label(memberId: number): QLabel | undefined {
    return this.#labels.get(memberId);
  }

  /** Shows `text` instead of video in a tile (camera off), or video again (null). */
  setPlaceholder(memberId: number, text: string | null): void {
    if ((this.#placeholders.get(memberId) ?? null) === text) return;
    if (text === null) this.#placeholders.delete(memberId);
    else {
      this.#placeholders.set(memberId, text);
      this.#last.delete(memberId);
    }
    this.#repaint(memberId);
  }

  /** Forgets a member who left. */
  forget(memberId: number): void {
    this.#labels.delete(memberId);
    this.#pending.delete(memberId);
    this.#last.delete(memberId);
    this.#placeholders.delete(memberId);
  }

  /** Queues a JPEG for a member's tile; painted on the next turn of the event loop. */
  push(memberId: number, jpeg: Buffer): void {
    if (!this.#labels.has(memberId) || this.#placeholders.has(memberId)) return;
    if (this.#pending.has(memberId)) this.#stats.skipped++;
    this.#pending.set(memberId, jpeg);
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Paints every pending frame now. */
  flush(): void {
    this.#scheduled = null;
    for (const [memberId, jpeg] of this.#pending) {
      const label = this.#labels.get(memberId);
      if (!label) continue;
      const started = performance.now();
      const pixmap = new this.#qt.QPixmap();
      if (!pixmap.loadFromData(jpeg, 'JPG')) {
        this.#stats.failed++;
        continue;
      }
      this.#last.set(memberId, pixmap);
      this.#paint(label, pixmap);
      this.#stats.rendered++;
      this.#stats.renderMs += performance.now() - started;
      this.#perMember.set(memberId, (this.#perMember.get(memberId) ?? 0) + 1);
    }
    this.#pending.clear();
  }

  /** Re-scales the last picture of every tile (after the window was resized). */
  repaintAll(): void {
    for (const id of this.#labels.keys()) this.#repaint(id);
  }

  #repaint(memberId: number): void {
    const label = this.#labels.get(memberId);
    if (!label) return;
    const placeholder = this.#placeholders.get(memberId);
    const last = this.#last.get(memberId);
    if (placeholder !== undefined) {
      label.clear();
      label.setText(placeholder);
    } else if (last) this.#paint(label, last);
    else {
      label.clear();
      label.setText('Waiting for video…');
    }
  }

  #paint(label: QLabel, pixmap: QPixmap): void {
    const w = label.width();
    const h = label.height();
    if (w < 4 || h < 4) return;
    label.setPixmap(
      pixmap.scaled(
        w,
        h,
        this.#qt.AspectRatioMode.KeepAspectRatio,
        this.#qt.TransformationMode.FastTransformation,
      ),
    );
  }

  stats(): VideoRendererStats {
    const s = this.#stats;
    return {
      rendered: s.rendered,
      skipped: s.skipped,
      failed: s.failed,
      meanRenderMs: s.rendered ? s.renderMs / s.rendered : 0,
      perMember: Object.fromEntries(this.#perMember),
    };
  }

  /** Detaches from the media session and drops every picture. */
  clear(): void {
    this.attach(null, null);
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    this.#pending.clear();
    this.#last.clear();
    this.#labels.clear();
    this.#placeholders.clear();
  }
}
