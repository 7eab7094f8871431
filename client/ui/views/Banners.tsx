/**
 * Banners over a page: "Reconnecting…" while the client resumes its session after a dropped link,
 * and the prompt to accept or refuse a server whose certificate changed since it was pinned.
 */
import { Button, Text, View } from '@nodegui/react-nodegui';
import React, { useMemo } from 'react';
import type { DesktopApp } from '../DesktopApp';
import { useAppEvents } from './hooks';

const BANNER =
  'background-color: #f39c12; color: black; font-weight: bold; padding: 6px 12px; qproperty-alignment: AlignCenter;';

/** Shown over the meeting while the link is down; the tiles keep their last frame meanwhile. */
export function ReconnectBanner({ app }: { app: DesktopApp }): React.ReactElement | null {
  useAppEvents(app, 'state');
  const r = app.state.reconnecting;
  if (!r) return null;
  return (
    <Text id="reconnectBanner" style={BANNER}>
      {`Reconnecting… (attempt ${r.attempt}, next in ${r.nextInS} s)`}
    </Text>
  );
}

/** A SHA-256 fingerprint (32 hex pairs) as two lines of 16, so it fits a small window. */
function twoLines(fingerprint: string): string {
  const pairs = fingerprint.split(':');
  return `  ${pairs.slice(0, 16).join(':')}\n  ${pairs.slice(16).join(':')}`;
}

/** Asks whether to trust a server whose certificate fingerprint changed. */
export function TrustPrompt({ app }: { app: DesktopApp }): React.ReactElement | null {
  useAppEvents(app, 'state');
  const p = app.state.trustPrompt;
  const acceptOn = useMemo(
    () => ({ clicked: () => void app.loginPage.acceptCertificate() }),
    [app],
  );
  const refuseOn = useMemo(() => ({ clicked: () => app.loginPage.refuseCertificate() }), [app]);
  if (!p) return null;
  return (
    <View
      id="trustPrompt"
      style="flex-direction: column; padding: 10px; background-color: #fdebd0;"
    >
      <Text id="trustText" wordWrap={true} style="max-width: 430px;">
        {`The certificate of ${p.server} is not the one this computer saw before.\n\n` +
          `Before:\n${twoLines(p.pinned)}\nNow:\n${twoLines(p.presented)}\n\n` +
          'If the server was reinstalled this is expected; otherwise someone may be intercepting ' +
          'the connection.'}
      </Text>
      <View style="flex-direction: row; margin-top: 6px;">
        <Button id="trustAccept" text="Trust the new certificate" on={acceptOn} />
        <Button id="trustRefuse" text="Refuse" on={refuseOn} />
      </View>
    </View>
  );
}
