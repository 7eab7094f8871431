/** The status bar: connection state, round trip, media latency and dropped frames, refreshed every second. */
import type { QLabel } from '@nodegui/nodegui';
import { Text } from '@nodegui/react-nodegui';
import React, { useState } from 'react';
import type { DesktopApp } from '../DesktopApp';
import { statusText } from '../status';
import type { VideoRenderer } from '../VideoRenderer';
import { useAppEvents, useInterval, useRemovable } from './hooks';

export function StatusLine({
  app,
  renderer,
}: {
  app: DesktopApp;
  renderer: VideoRenderer;
}): React.ReactElement {
  // Re-rendered on state changes and once a second for the counters.
  useAppEvents(app, 'state', 'media');
  const [, setTick] = useState(0);
  useInterval(() => setTick((t) => t + 1), 1000);
  const label = useRemovable<QLabel>();
  return (
    <Text
      id="statusBar"
      ref={label}
      style="color: #444; background-color: #e8e8e8; padding: 4px; border-top: 1px solid #c8c8c8;"
    >
      {statusText(app, renderer)}
    </Text>
  );
}
