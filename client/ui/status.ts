/** The status bar's text: connection state, round trip, media latency, dropped frames, screen share. */
import type { DesktopApp } from './DesktopApp';
import type { VideoRenderer } from './VideoRenderer';

function ms(value: number | null): string {
  return value === null || Number.isNaN(value)
    ? '–'
    : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

/** A plain word for the link's quality from its round trip. */
function quality(rtt: number | null): string {
  if (rtt === null || Number.isNaN(rtt)) return '';
  if (rtt < 80) return 'good connection';
  if (rtt < 250) return 'fair connection';
  return 'poor connection';
}

/**
 * The status text for the current state (exported for the automation channel): who is connected
 * where and how well; with `details` (the "Connection details" toggle) the developer figures too.
 */
export function statusText(app: DesktopApp, renderer: VideoRenderer, details = true): string {
  const client = app.client;
  if (!client?.connected) return 'Disconnected';
  const parts = [`Connected to ${client.address.host}:${client.address.port} as ${app.username}`];
  if (!details) {
    const q = quality(client.clock.rtt);
    if (q) parts.push(q);
    if (app.media?.screenSharing) parts.push('sharing your screen');
    if (app.state.mediaError) parts.push(app.state.mediaError);
    return parts.join('  ·  ');
  }
  parts.push(`RTT ${ms(client.clock.rtt)}`);
  const media = app.media;
  if (media) {
    const s = media.stats();
    parts.push(
      `latency video ${ms(s.videoLatencyMs)}, audio ${ms(s.audioLatencyMs)}`,
      `received ${s.received.video} frames`,
      `dropped video ${s.videoDropped}, audio ${s.audioDropped}`,
    );
    if (media.screenSharing) parts.push(`sharing screen (${s.sent.screen} frames sent)`);
  }
  if (app.meeting) {
    const r = renderer.stats();
    parts.push(`painted ${r.rendered}, skipped ${r.skipped}`);
  }
  if (app.state.mediaError) parts.push(`media: ${app.state.mediaError}`);
  return parts.join('  ·  ');
}
