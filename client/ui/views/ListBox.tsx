/**
 * A list widget whose rows are synced imperatively. react-nodegui 0.14's ListItem cannot be used
 * with NodeGui 0.57 (its List.appendChild calls a `layout()` the list's native object lacks), and
 * JS-created QListWidgetItems are deleted twice after `clear()`; rows are therefore added as plain
 * texts (`addItems`) and decorated through `item(row)`, whose wrappers never delete their item.
 * Rows whose keys extend the previous keys are appended; any other change rebuilds the list.
 */
import {
  ContextMenuPolicy,
  QBrush,
  QColor,
  QPoint,
  type QListWidget,
  type QListWidgetSignals,
} from '@nodegui/nodegui';
import { List } from '@nodegui/react-nodegui';
import React, { useEffect, useRef } from 'react';

export interface ListRow {
  /** Identity of the row; a changed key (or text) rebuilds the list from that point. */
  key: string;
  text: string;
  color?: string;
  background?: string;
}

export interface ListBoxProps {
  id: string;
  rows: readonly ListRow[];
  style?: string;
  /** Keep the newest row in view. */
  followTail?: boolean;
  on?: Partial<QListWidgetSignals>;
  /** Right click on a row: its key and where (screen coordinates) to open a menu. */
  onContextMenu?: (key: string, at: { x: number; y: number }) => void;
}

function ListBoxImpl({
  id,
  rows,
  style,
  followTail,
  on,
  onContextMenu,
}: ListBoxProps): React.ReactElement {
  const ref = useRef<QListWidget>(null);
  const shown = useRef<string[]>([]);
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  useEffect(() => {
    ref.current?.setWordWrap(true);
  }, []);
  useEffect(() => {
    const box = ref.current;
    if (!box || !onContextMenu) return;
    box.setContextMenuPolicy(ContextMenuPolicy.CustomContextMenu);
    // The position is the viewport's (QAbstractScrollArea maps it there).
    const listener = (pos: { x: number; y: number }): void => {
      try {
        open(pos);
      } catch (error) {
        console.error('context menu:', error);
      }
    };
    const open = (pos: { x: number; y: number }): void => {
      const point = new QPoint(pos.x, pos.y);
      // (indexAt's QModelIndex argument fails in NodeGui 0.57: itemAt instead.)
      const item = box.itemAt(pos.x, pos.y);
      const row = item.native ? box.row(item) : -1;
      const key = rowsRef.current[row]?.key;
      if (row < 0 || key === undefined) return;
      box.setCurrentRow(row);
      const global = box.viewport().mapToGlobal(point);
      onContextMenu(key, { x: global.x(), y: global.y() });
    };
    box.addEventListener('customContextMenuRequested', listener);
    return () => box.removeEventListener('customContextMenuRequested', listener);
  }, [onContextMenu]);
  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const keys = rows.map((r) => `${r.key}\u0000${r.text}`);
    const previous = shown.current;
    const appendOnly = previous.length <= keys.length && previous.every((k, i) => k === keys[i]);
    let start = previous.length;
    if (!appendOnly) {
      box.clear();
      start = 0;
    }
    if (start < rows.length) {
      box.addItems(rows.slice(start).map((r) => r.text));
      for (let row = start; row < rows.length; row++) {
        const { color, background } = rows[row];
        if (!color && !background) continue;
        const item = box.item(row);
        if (color) item.setForeground(new QBrush(new QColor(color)));
        if (background) item.setBackground(new QBrush(new QColor(background)));
      }
      if (followTail) box.scrollToBottom();
    }
    shown.current = keys;
  }, [rows, followTail]);
  return <List id={id} ref={ref} style={style ?? ''} on={on ?? {}} />;
}

export const ListBox = React.memo(ListBoxImpl);
