/**
 * A combo box whose items and selection are synced imperatively, only when they change: the stock
 * ComboBox `items` prop clears and refills the box on every render (and fires index changes).
 */
import type { QComboBox } from '@nodegui/nodegui';
import { ComboBox } from '@nodegui/react-nodegui';
import React, { useCallback, useEffect, useRef, useState } from 'react';

export interface SelectProps {
  id: string;
  labels: readonly string[];
  index: number;
  /** Called with the index the user picked (not for programmatic changes). */
  onChange: (index: number) => void;
  style?: string;
}

function SelectImpl({ id, labels, index, onChange, style }: SelectProps): React.ReactElement {
  const ref = useRef<QComboBox>(null);
  const syncing = useRef(false);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const key = labels.join('\u0000');
  // Bumped on every user pick, so the box is re-synced to `index` even when the owner refused it.
  const [revision, setRevision] = useState(0);

  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    syncing.current = true;
    try {
      let same = box.count() === labels.length;
      for (let i = 0; same && i < labels.length; i++) same = box.itemText(i) === labels[i];
      if (!same) {
        box.clear();
        box.addItems([...labels]);
      }
      if (box.currentIndex() !== index) box.setCurrentIndex(index);
    } finally {
      syncing.current = false;
    }
    // `key` stands for the labels' content
  }, [key, index, revision]);

  const onIndex = useCallback((i: number) => {
    if (syncing.current || i < 0) return;
    onChangeRef.current(i);
    setRevision((r) => r + 1);
  }, []);
  const on = React.useMemo(() => ({ currentIndexChanged: onIndex }), [onIndex]);
  return <ComboBox id={id} ref={ref} style={style ?? ''} on={on} />;
}

export const Select = React.memo(SelectImpl);
