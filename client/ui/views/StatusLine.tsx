/**
 * The status bar: connection state in plain words, refreshed every second; the "Connection
 * details" toggle adds the developer figures (round trip, media latency, dropped and painted
 * frames).
 */
import type { QWidget } from '@nodegui/nodegui';
import { Button, Text, View } from '@nodegui/react-nodegui';
import React, { useMemo, useState } from 'react';
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
  const root = useRemovable<QWidget>();
  const details = app.state.connectionDetails;
  const toggleOn = useMemo(() => ({ clicked: () => app.toggleConnectionDetails() }), [app]);
  return (
    <View
      id="statusRow"
      ref={root}
      style="flex-direction: row; align-items: 'center'; background-color: #e8ecef; border-top: 1px solid #c8c8c8; padding: 2px 4px;"
    >
      <Text id="statusBar" wordWrap={true} style="flex: 1; color: #444; padding: 2px;">
        {statusText(app, renderer, details)}
      </Text>
      <Button
        id="connectionDetailsButton"
        text={details ? 'Hide details' : 'Connection details'}
        on={toggleOn}
        style="padding: 1px 8px; font-size: 12px;"
      />
    </View>
  );
}
