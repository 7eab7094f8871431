/** The host's room options in the settings pane: "Allow several screens" (checked from the room's state). */
import type { QCheckBox, QWidget } from '@nodegui/nodegui';
import { CheckBox, Text, View } from '@nodegui/react-nodegui';
import React, { useEffect, useMemo, useRef } from 'react';
import type { DesktopApp } from '../DesktopApp';
import { useRemovable } from './hooks';
import { HEADING } from './styles';

function HostOptionsImpl({
  app,
  allowMultipleScreens,
}: {
  app: DesktopApp;
  allowMultipleScreens: boolean;
}): React.ReactElement {
  const root = useRemovable<QWidget>();
  // Checked from the room's options (also after a refused change).
  const allowBox = useRef<QCheckBox | null>(null);
  useEffect(() => {
    allowBox.current?.setChecked(allowMultipleScreens);
    allowBox.current?.setToolTip('Let several members share their screens at once');
  }, [allowMultipleScreens]);
  const allowOn = useMemo(
    () => ({
      clicked: (checked: boolean) =>
        void app.meetingPage
          .setAllowMultipleScreens(checked)
          .then(() => allowBox.current?.setChecked(app.roomOptions.allowMultipleScreens)),
    }),
    [app],
  );
  return (
    <View id="hostOptions" ref={root} style="flex-direction: column; align-items: 'flex-start';">
      <Text id="hostHeading" style={HEADING}>
        Host
      </Text>
      <CheckBox id="allowScreensToggle" ref={allowBox} text="Allow several screens" on={allowOn} />
    </View>
  );
}

export const HostOptions = React.memo(HostOptionsImpl);
