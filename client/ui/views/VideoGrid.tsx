/**
 * The video area. In the gallery view a grid of camera tiles: self view first, then one tile per
 * remote member, re-flowed as people join and leave (1→1x1, 2→2x1, 3-4→2x2, 5-6→3x2…). In the
 * speaker view one member large (the pinned one, else who speaks) over a strip of the others. Tiles
 * keep the camera's shape (DESKTOP_TILE_ASPECT) inside their cell; each has a Pin button. While other members
 * share their screens it switches to the screen layout: one large tile per shared screen
 * (`screen-<memberId>`) over a strip of small camera tiles, and back to the grid when the shares
 * end. React lays the tiles out; pictures are painted into each tile's label by the VideoRenderer,
 * never through a re-render.
 */
import { WidgetEventTypes, type QLabel, type QPushButton, type QWidget } from '@nodegui/nodegui';
import { Button, Text, View } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { DESKTOP_TILE_ASPECT, MediaSource } from '../../../common/constants';
import { fitTile, gridRows, gridShape, screenLayout, speakerViewMain } from '../format';
import { icon } from './icons';
import type { VideoRenderer } from '../VideoRenderer';
import { useRemovable } from './hooks';

export interface TileInfo {
  memberId: number;
  username: string;
  isHost: boolean;
  audio: boolean;
  video: boolean;
  self: boolean;
  /** A raised hand and / or a reaction shown after the name (views/HostControls.tsx). */
  mark?: string;
}

/** A shared screen shown in the screen layout. */
export interface ScreenInfo {
  memberId: number;
  username: string;
}

/** Margin around a tile, width of its frame and height of its caption (px). */
const TILE_MARGIN = 4;
const TILE_FRAME = 4;
const CAPTION_HEIGHT = 24;
const GRID_PADDING = 4;

function tileStyle(active: boolean, size: TileSize): string {
  // Explicit sizes everywhere: the flex layout measures leaf widgets by their size hint (a label's
  // text, or its pixmap: the last picture would hold the tile at its old size after a re-flow).
  // The frame is the tile's background showing through its padding (the active speaker's is
  // green). Margin and padding are given to the layout only (qproperty-y…): as Qt style sheet
  // properties they would also inset the painted background under the children.
  return (
    `width: ${size.width}px; height: ${size.height}px; flex-direction: column; ` +
    `qproperty-yMargin: ${TILE_MARGIN}px; qproperty-yPadding: ${TILE_FRAME}px; ` +
    `background-color: ${active ? '#2ecc71' : '#3a3a3a'};`
  );
}

interface TileSize {
  width: number;
  height: number;
}

interface TileProps {
  tile: TileInfo;
  active: boolean;
  renderer: VideoRenderer;
  width: number;
  height: number;
  pinned: boolean;
  onPin: (memberId: number) => void;
}

/** A ref callback registering a tile's picture label with the renderer while it exists. */
function useTileLabel(
  renderer: VideoRenderer,
  memberId: number,
  source: number,
): (label: QLabel | null) => void {
  const current = useRef<QLabel | null>(null);
  return useCallback(
    (label: QLabel | null) => {
      if (label) {
        current.current = label;
        renderer.setLabel(memberId, label, source);
      } else if (current.current) {
        renderer.unsetLabel(memberId, current.current, source);
        current.current = null;
      }
    },
    [renderer, memberId, source],
  );
}

function TileImpl({
  tile,
  active,
  renderer,
  width,
  height,
  pinned,
  onPin,
}: TileProps): React.ReactElement {
  const { memberId } = tile;
  const root = useRemovable<QWidget>();
  const pinButton = useRef<QPushButton | null>(null);
  const pinRef = useRemovable(pinButton);
  useEffect(() => {
    const b = pinButton.current;
    if (!b) return;
    b.setIcon(icon('pin', pinned ? '#f1c40f' : '#d0d0d0'));
    b.setToolTip(
      pinned ? 'Unpin: back to the active speaker' : `Pin ${tile.username} large (speaker view)`,
    );
  }, [pinned, tile.username]);
  const pinOn = useMemo(() => ({ clicked: () => onPin(memberId) }), [onPin, memberId]);
  const labelRef = useTileLabel(renderer, memberId, MediaSource.CAMERA);
  // A narrow tile (the speaker view's strip) keeps its caption to the name.
  const narrow = width < 220;
  const flags = [
    tile.audio ? '' : 'muted',
    tile.video ? '' : 'camera off',
    active ? 'speaking' : '',
  ]
    .filter((f) => f && !narrow)
    .join(' · ');
  const name = narrow
    ? tile.username
    : `${tile.username}${tile.self ? ' (you)' : ''}${tile.isHost ? ' ★' : ''}`;
  const marked = tile.mark ? `${name}  ${tile.mark}` : name;
  const inner = {
    width: Math.max(8, width - 2 * TILE_FRAME),
    height: Math.max(8, height - 2 * TILE_FRAME - CAPTION_HEIGHT),
  };
  return (
    <View id={`tile-${memberId}`} ref={root} style={tileStyle(active, { width, height })}>
      <Text
        id={`video-${memberId}`}
        ref={labelRef}
        style={`width: ${inner.width}px; height: ${inner.height}px; color: #9a9a9a; background-color: #141414;`}
      />
      <View
        id={`tileCaption-${memberId}`}
        style={`width: ${inner.width}px; height: ${CAPTION_HEIGHT}px; flex-direction: row; align-items: 'center'; qproperty-yPaddingHorizontal: 4px; background-color: #262626;`}
      >
        <Text
          id={`tileName-${memberId}`}
          style={`flex-grow: 3; flex-basis: 0; color: #f0f0f0; font-weight: ${active ? 'bold' : 'normal'};`}
        >
          {marked}
        </Text>
        {/* Both captions share the row by ratio: a leaf's width is measured once, not per text. */}
        <Text
          id={`tileFlags-${memberId}`}
          style="flex-grow: 2; flex-basis: 0; color: #f39c12; qproperty-alignment: 'AlignRight | AlignVCenter';"
        >
          {flags}
        </Text>
        <Button
          id={`pin-${memberId}`}
          ref={pinRef}
          text={width < 260 ? '' : pinned ? 'Unpin' : 'Pin'}
          on={pinOn}
          style="padding: 0px 4px; margin-left: 4px; height: 20px; color: #f0f0f0; background-color: #3a3a3a; border: 1px solid #555;"
        />
      </View>
    </View>
  );
}

const Tile = React.memo(TileImpl);

interface ScreenTileProps {
  screen: ScreenInfo;
  renderer: VideoRenderer;
  width: number;
  height: number;
}

function ScreenTileImpl({ screen, renderer, width, height }: ScreenTileProps): React.ReactElement {
  const { memberId } = screen;
  const root = useRemovable<QWidget>();
  const labelRef = useTileLabel(renderer, memberId, MediaSource.SCREEN);
  const inner = {
    width: Math.max(8, width - 2 * TILE_FRAME),
    height: Math.max(8, height - 2 * TILE_FRAME - CAPTION_HEIGHT),
  };
  return (
    <View id={`screen-${memberId}`} ref={root} style={tileStyle(false, { width, height })}>
      <Text
        id={`screenVideo-${memberId}`}
        ref={labelRef}
        style={`width: ${inner.width}px; height: ${inner.height}px; color: #9a9a9a; background-color: #141414;`}
      />
      <View
        id={`screenCaption-${memberId}`}
        style={`width: ${inner.width}px; height: ${CAPTION_HEIGHT}px; flex-direction: row; align-items: 'center'; qproperty-yPaddingHorizontal: 4px; background-color: #262626;`}
      >
        <Text id={`screenName-${memberId}`} style="flex: 1; color: #f0f0f0;">
          {`${screen.username}'s screen`}
        </Text>
      </View>
    </View>
  );
}

const ScreenTile = React.memo(ScreenTileImpl);

function GridRow({ id, children }: { id: string; children: React.ReactNode }): React.ReactElement {
  const root = useRemovable<QWidget>();
  // A short last row is centred.
  return (
    <View id={id} ref={root} style="flex-direction: row; justify-content: 'center';">
      {children}
    </View>
  );
}

export interface VideoGridProps {
  tiles: TileInfo[];
  viewMode: 'gallery' | 'speaker';
  /** The member pinned large in the speaker view, or null. */
  pinned: number | null;
  /** Pins (or unpins) a member. */
  onPin: (memberId: number) => void;
  selfId: number | null;
  /** Screens shared by other members: non-empty switches to the screen layout. */
  screens: ScreenInfo[];
  activeSpeaker: number | null;
  renderer: VideoRenderer;
  /** False when there is no media session: tiles say so instead of waiting for video. */
  hasMedia: boolean;
}

function VideoGridImpl({
  tiles,
  viewMode,
  pinned,
  onPin,
  selfId,
  screens,
  activeSpeaker,
  renderer,
  hasMedia,
}: VideoGridProps): React.ReactElement {
  const known = useRef(new Set<number>());
  useEffect(() => {
    const now = new Set(tiles.map((t) => t.memberId));
    for (const id of known.current) if (!now.has(id)) renderer.forget(id);
    known.current = now;
    for (const t of tiles)
      renderer.setPlaceholder(
        t.memberId,
        !hasMedia ? 'Video unavailable' : t.video ? null : 'Camera off',
      );
  }, [tiles, hasMedia, renderer]);
  // A share that ended leaves no picture behind for the next one.
  const knownScreens = useRef(new Set<number>());
  useEffect(() => {
    const now = new Set(screens.map((s) => s.memberId));
    for (const id of knownScreens.current)
      if (!now.has(id)) renderer.forget(id, MediaSource.SCREEN);
    knownScreens.current = now;
  }, [screens, renderer]);

  // Tile sizes follow the grid's size (tracked through its Resize events).
  const grid = useRef<QWidget | null>(null);
  const [area, setArea] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const widget = grid.current;
    if (!widget) return;
    const onResize = (): void => {
      const width = widget.width();
      const height = widget.height();
      setArea((a) => (a.width === width && a.height === height ? a : { width, height }));
    };
    widget.addEventListener(WidgetEventTypes.Resize, onResize);
    onResize();
    return () => {
      if (widget.native) widget.removeEventListener(WidgetEventTypes.Resize, onResize);
    };
  }, []);

  const inner = {
    width: Math.max(0, area.width - 2 * GRID_PADDING),
    height: Math.max(0, area.height - 2 * GRID_PADDING),
  };
  const chrome = { width: 2 * TILE_FRAME, height: 2 * TILE_FRAME + CAPTION_HEIGHT };
  const margins = 2 * TILE_MARGIN;
  // The speaker view's large tile: pinned, else who speaks (not when screens are shared).
  const main =
    screens.length === 0 && viewMode === 'speaker' && tiles.length > 1
      ? speakerViewMain(
          tiles.map((t) => t.memberId),
          selfId,
          pinned,
          activeSpeaker,
        )
      : null;
  let tileWidth: number;
  let tileHeight: number;
  let screenWidth = 0;
  let screenHeight = 0;
  if (screens.length > 0 || main !== null) {
    const rest = main !== null ? tiles.length - 1 : tiles.length;
    const layout = screenLayout(inner, Math.max(1, screens.length), rest, {
      margin: TILE_MARGIN,
      chrome,
    });
    ({ width: screenWidth, height: screenHeight } = layout.screen);
    ({ width: tileWidth, height: tileHeight } = layout.camera);
    if (main !== null)
      ({ width: screenWidth, height: screenHeight } = fitTile(
        layout.screen,
        DESKTOP_TILE_ASPECT,
        chrome,
      ));
  } else {
    const { cols, rows: rowCount } = gridShape(tiles.length);
    const cell = {
      width: cols ? Math.floor(inner.width / cols) - margins : 0,
      height: rowCount ? Math.floor(inner.height / rowCount) - margins : 0,
    };
    ({ width: tileWidth, height: tileHeight } = fitTile(cell, DESKTOP_TILE_ASPECT, chrome));
  }
  // Pictures are scaled to their labels: re-scale once the new tile sizes are laid out.
  useEffect(() => {
    const timer = setTimeout(() => renderer.repaintAll(), 50);
    return () => clearTimeout(timer);
  }, [renderer, tileWidth, tileHeight, screenWidth, screenHeight]);

  const cameraTile = (t: TileInfo, large = false): React.ReactElement => (
    <Tile
      key={t.memberId}
      tile={t}
      active={t.memberId === activeSpeaker}
      renderer={renderer}
      width={large ? screenWidth : tileWidth}
      height={large ? screenHeight : tileHeight}
      pinned={t.memberId === pinned}
      onPin={onPin}
    />
  );
  const mainTile = main !== null ? tiles.find((t) => t.memberId === main) : undefined;
  const content = mainTile
    ? [
        <GridRow key="speaker" id="speakerRow">
          {[cameraTile(mainTile, true)]}
        </GridRow>,
        <GridRow key="strip" id="cameraStrip">
          {tiles.filter((t) => t !== mainTile).map((t) => cameraTile(t))}
        </GridRow>,
      ]
    : screens.length > 0
      ? [
          <GridRow key="screens" id="screenRow">
            {screens.map((s) => (
              <ScreenTile
                key={s.memberId}
                screen={s}
                renderer={renderer}
                width={screenWidth}
                height={screenHeight}
              />
            ))}
          </GridRow>,
          <GridRow key="strip" id="cameraStrip">
            {tiles.map((t) => cameraTile(t))}
          </GridRow>,
        ]
      : gridRows(tiles).map((row, r) => (
          <GridRow key={`row-${r}`} id={`videoRow-${r}`}>
            {row.map((t) => cameraTile(t))}
          </GridRow>
        ));
  return (
    <View
      id="videoGrid"
      ref={grid}
      style={`flex: 3; flex-direction: column; justify-content: 'center'; background-color: #1b1b1b; padding: ${GRID_PADDING}px;`}
    >
      {content}
    </View>
  );
}

export const VideoGrid = React.memo(VideoGridImpl);
