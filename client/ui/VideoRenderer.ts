/**
 * Paints video into the tiles' labels, outside React: a frame never causes a re-render. Each tile
 * shows one source of one member: the camera (source 0, the self view included) or the shared
 * screen (source 1). It paints the `Picture` the media layer hands over, in the form chosen there:
 * received frames as JPEG (Qt decodes them while loading), the self view as raw pixels (wrapped in
 * a BMP header, which Qt loads without decoding). Frames are coalesced per tile (only the newest
 * waiting for a tile is loaded; older ones are counted as skipped), scaled to the label once and
 * set as its pixmap. The last picture of each tile is kept so a tile that is re-created (grid
 * re-flow, layout switch) or resized shows it at once.
 */
import type { QLabel, QPixmap } from '@nodegui/nodegui';
import { MediaSource } from '../../common/constants';
import { bmpFromBgr } from './bmp';
import type { MediaSessionLike, Picture, PreviewLike, RemoteVideoFrame } from './mediaTypes';

/** The tile key of the join screen's camera preview (no member has this id). */
export const PREVIEW_MEMBER = -1;

type NodeGui = typeof import('@nodegui/nodegui');

export interface VideoRendererStats {
  /** Frames painted into a tile. */
  rendered: number;
  /** Frames replaced by a newer one before they were painted. */
  skipped: number;
  /** Pictures Qt could not load. */
  failed: number;
  /** Mean time to load, scale and set one frame (ms). */
  meanRenderMs: number;
  /** Camera frames painted per member. */
  perMember: Record<number, number>;
  /** Screen-share frames painted per member. */
  perScreen: Record<number, number>;
}

/** A tile's key: the member and the source it shows. */
type TileKey = `${number}:${number}`;

function tileKey(memberId: number, source: number): TileKey {
  return `${memberId}:${source}`;
}

export class VideoRenderer {
  readonly #qt: NodeGui;
  readonly #labels = new Map<TileKey, QLabel>();
  readonly #pending = new Map<TileKey, Picture>();
  readonly #last = new Map<TileKey, QPixmap>();
  readonly #placeholders = new Map<TileKey, string>();
  readonly #perMember = new Map<number, number>();
  readonly #perScreen = new Map<number, number>();
  #scheduled: NodeJS.Immediate | null = null;
  #selfId: number | null = null;
  #media: MediaSessionLike | null = null;
  #preview: PreviewLike | null = null;
  /** One pixmap per tile that frames are loaded into, in place (no new native picture per frame). */
  readonly #loaders = new Map<TileKey, QPixmap>();
  #stats = { rendered: 0, skipped: 0, failed: 0, renderMs: 0 };

  readonly #onVideo = (frame: RemoteVideoFrame): void => {
    if (frame.source === MediaSource.CAMERA || frame.source === MediaSource.SCREEN)
      this.push(frame.memberId, frame.picture, frame.source);
  };
  readonly #onLocal = (picture: Picture): void => {
    if (this.#selfId !== null) this.push(this.#selfId, picture);
  };
  readonly #onPreview = (picture: Picture): void => this.push(PREVIEW_MEMBER, picture);

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

  /** Follows the join screen's preview (null detaches). */
  attachPreview(preview: PreviewLike | null): void {
    this.#preview?.off('video', this.#onPreview);
    this.#preview = preview;
    preview?.on('video', this.#onPreview);
  }

  /** Registers the label of a member's camera tile (or, with source 1, screen tile). */
  setLabel(memberId: number, label: QLabel, source: number = MediaSource.CAMERA): void {
    const key = tileKey(memberId, source);
    this.#labels.set(key, label);
    label.setAlignment(this.#qt.AlignmentFlag.AlignCenter);
    label.setSizePolicy(this.#qt.QSizePolicyPolicy.Ignored, this.#qt.QSizePolicyPolicy.Ignored);
    this.#repaint(key);
  }

  /** Unregisters a tile's label (only if it is still the registered one: a re-created tile may already have replaced it). */
  unsetLabel(memberId: number, label: QLabel, source: number = MediaSource.CAMERA): void {
    const key = tileKey(memberId, source);
    if (this.#labels.get(key) === label) this.#labels.delete(key);
  }

  /** The label of a member's tile, if one is shown. */
  label(memberId: number, source: number = MediaSource.CAMERA): QLabel | undefined {
    return this.#labels.get(tileKey(memberId, source));
  }

  /** Shows `text` instead of video in a tile (camera off), or video again (null). */
  setPlaceholder(memberId: number, text: string | null, source: number = MediaSource.CAMERA): void {
    const key = tileKey(memberId, source);
    if ((this.#placeholders.get(key) ?? null) === text) return;
    if (text === null) this.#placeholders.delete(key);
    else {
      this.#placeholders.set(key, text);
      this.#last.delete(key);
    }
    this.#repaint(key);
  }

  /** Forgets a member who left (every source), or one source of a member (a share that ended). */
  forget(memberId: number, source?: number): void {
    const sources = source === undefined ? [MediaSource.CAMERA, MediaSource.SCREEN] : [source];
    for (const s of sources) {
      const key = tileKey(memberId, s);
      this.#labels.delete(key);
      this.#pending.delete(key);
      this.#last.delete(key);
      this.#placeholders.delete(key);
      this.#loaders.delete(key);
    }
  }

  /** Queues a picture for a member's tile; painted on the next turn of the event loop. */
  push(memberId: number, picture: Picture, source: number = MediaSource.CAMERA): void {
    const key = tileKey(memberId, source);
    if (!this.#labels.has(key) || this.#placeholders.has(key)) return;
    if (this.#pending.has(key)) this.#stats.skipped++;
    this.#pending.set(key, picture);
    this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Paints every pending frame now. */
  flush(): void {
    this.#scheduled = null;
    for (const [key, picture] of this.#pending) {
      const label = this.#labels.get(key);
      if (!label) continue;
      const started = performance.now();
      let pixmap = this.#loaders.get(key);
      if (!pixmap) {
        pixmap = new this.#qt.QPixmap();
        this.#loaders.set(key, pixmap);
      }
      // The self view and the preview are mirrored, as people expect to see themselves.
      const [memberId, source] = key.split(':').map(Number) as [number, number];
      const mirror =
        source === MediaSource.CAMERA && (memberId === this.#selfId || memberId === PREVIEW_MEMBER);
      const loaded =
        picture.format === 'jpeg'
          ? pixmap.loadFromData(picture.data, 'JPG')
          : pixmap.loadFromData(
              bmpFromBgr(picture.data, picture.width, picture.height, mirror),
              'BMP',
            );
      if (!loaded) {
        this.#stats.failed++;
        continue;
      }
      this.#last.set(key, pixmap);
      this.#paint(label, pixmap);
      this.#stats.rendered++;
      this.#stats.renderMs += performance.now() - started;
      const counts = source === MediaSource.SCREEN ? this.#perScreen : this.#perMember;
      counts.set(memberId, (counts.get(memberId) ?? 0) + 1);
    }
    this.#pending.clear();
  }

  /** Re-scales the last picture of every tile (after the window was resized). */
  repaintAll(): void {
    for (const id of this.#labels.keys()) this.#repaint(id);
  }

  #repaint(key: TileKey): void {
    const label = this.#labels.get(key);
    if (!label) return;
    const placeholder = this.#placeholders.get(key);
    const last = this.#last.get(key);
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

  /** What was painted, skipped and failed so far. */
  stats(): VideoRendererStats {
    const s = this.#stats;
    return {
      rendered: s.rendered,
      skipped: s.skipped,
      failed: s.failed,
      meanRenderMs: s.rendered ? s.renderMs / s.rendered : 0,
      perMember: Object.fromEntries(this.#perMember),
      perScreen: Object.fromEntries(this.#perScreen),
    };
  }

  /** Detaches from the media session and drops every picture. */
  clear(): void {
    this.attach(null, null);
    this.attachPreview(null);
    this.#loaders.clear();
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    this.#pending.clear();
    this.#last.clear();
    this.#labels.clear();
    this.#placeholders.clear();
  }
}
