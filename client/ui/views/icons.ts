/**
 * The toolbar's icons: small SVG drawings (24x24, stroked) turned into QIcons through Qt's SVG image
 * plugin (load this module only after `loadNodeGui()`, like the views). Drawn here rather than shipped as files so they need no asset path and follow one style.
 */
import { QIcon, QPixmap } from '@nodegui/nodegui';

const SHAPES = {
  mic: '<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3M8 21h8"/>',
  micOff:
    '<rect x="9" y="3" width="6" height="11" rx="3"/><path d="M5 11a7 7 0 0 0 14 0M12 18v3M8 21h8"/><path d="M3 3l18 18" stroke="#e74c3c"/>',
  camera: '<rect x="2" y="6" width="14" height="12" rx="2"/><path d="M16 10l6-3v10l-6-3z"/>',
  cameraOff:
    '<rect x="2" y="6" width="14" height="12" rx="2"/><path d="M16 10l6-3v10l-6-3z"/><path d="M3 3l18 18" stroke="#e74c3c"/>',
  screen:
    '<rect x="2" y="4" width="20" height="13" rx="1"/><path d="M8 21h8M12 17v4M12 14V7M9 10l3-3 3 3"/>',
  chat: '<path d="M4 4h16v11H9l-5 4z"/>',
  settings:
    '<circle cx="12" cy="12" r="3"/><path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1"/>',
  fullScreen: '<path d="M3 9V3h6M15 3h6v6M21 15v6h-6M9 21H3v-6"/>',
  gallery:
    '<rect x="3" y="3" width="8" height="8"/><rect x="13" y="3" width="8" height="8"/><rect x="3" y="13" width="8" height="8"/><rect x="13" y="13" width="8" height="8"/>',
  speaker:
    '<rect x="3" y="3" width="18" height="12"/><rect x="3" y="17" width="5" height="4"/><rect x="9.5" y="17" width="5" height="4"/><rect x="16" y="17" width="5" height="4"/>',
  copy: '<rect x="8" y="8" width="12" height="13" rx="1"/><path d="M16 8V4H4v13h4"/>',
  leave: '<path d="M10 4H4v16h6M14 8l4 4-4 4M18 12H9"/>',
  pin: '<path d="M9 3h6l-1 6 4 4H6l4-4zM12 13v8"/>',
  sound: '<path d="M4 9h4l5-4v14l-5-4H4zM16 9a4 4 0 0 1 0 6M18.5 6.5a8 8 0 0 1 0 11"/>',
  // host controls, raised hands and reactions
  hand: '<path d="M8 13V5a1.5 1.5 0 0 1 3 0v6M11 11V3.5a1.5 1.5 0 0 1 3 0V11M14 11V5a1.5 1.5 0 0 1 3 0v7c0 5-3 9-7 9s-5-3-7-6l-1-2a1.5 1.5 0 0 1 2.6-1.5L8 14"/>',
  react: '<circle cx="12" cy="12" r="9"/><path d="M8 14a5 5 0 0 0 8 0M9 9h.01M15 9h.01"/>',
  host: '<path d="M12 3l8 3v6c0 5-4 8-8 9-4-1-8-4-8-9V6z"/>',
} as const;

export type IconName = keyof typeof SHAPES;

function svg(shape: string, colour: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 24 24" fill="none" ` +
    `stroke="${colour}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${shape}</svg>`
  );
}

const cache = new Map<string, QIcon>();

/** The icon `name` drawn in `colour` (cached); an empty icon if Qt cannot load SVG. */
export function icon(name: IconName, colour = '#2c3e50'): QIcon {
  const key = `${name}:${colour}`;
  let found = cache.get(key);
  if (!found) {
    const pixmap = new QPixmap();
    pixmap.loadFromData(Buffer.from(svg(SHAPES[name], colour)), 'SVG');
    found = new QIcon(pixmap);
    cache.set(key, found);
  }
  return found;
}
