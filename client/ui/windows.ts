/**
 * Top-level windows besides the main one (the recording player): the automation channel walks
 * them too, so tests reach their widgets by name.
 */
import type { QWidget } from '@nodegui/nodegui';

const windows = new Set<QWidget>();

export function addTopLevelWindow(w: QWidget): void {
  windows.add(w);
}

export function removeTopLevelWindow(w: QWidget): void {
  windows.delete(w);
}

export function topLevelWindows(): QWidget[] {
  return [...windows];
}
