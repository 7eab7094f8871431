/**
 * The desktop client's memory and CPU in a 4-person meeting (run by hand, under a display:
 * `xvfb-run -a -s "-screen 0 1280x800x24" node dist/bench/desktop.js [--seconds 15] [--root DIR]`).
 * A real server and three bots in this process, each sending a 640x480 test pattern at 15 fps and a
 * tone; the real desktop client window (a child process) logs in, creates the meeting and shows
 * the three bots and itself. Prints the client's CPU (share of one core, averaged over the window)
 * and memory (RSS now and peak, from /proc). `--root` runs another checkout's client (before/after).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MeetingClient } from '../client/MeetingClient';
import { MediaSession } from '../client/media/MediaSession';
import { MeetingServer } from '../server/MeetingServer';
import { createLogger } from '../server/logger';
import { DesktopUi, sleep } from '../test/helpers/ui';
import { ensureDisplay } from '../test/helpers/xvfb';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function procStatus(pid: number): { rssMb: number; peakMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number =>
    Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** Resident memory by mapping (shared libraries by name, anonymous memory as [heap]/[anon]), top entries. */
function residentByMapping(pid: number, top = 8): string {
  const sums = new Map<string, number>();
  let current = '';
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1] ?? '';
      current = name === '' ? '[anon]' : path.basename(name).replace(/\.so[.\d]*$/, '.so');
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) sums.set(current, (sums.get(current) ?? 0) + Number(rss[1]));
  }
  return [...sums.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, kb]) => `${name} ${(kb / 1024).toFixed(0)}`)
    .join(', ');
}

async function main(): Promise<void> {
  const seconds = Number(arg('--seconds')) || 15;
  const root = arg('--root');
  const display = await ensureDisplay();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-desktop-'));
  const server = new MeetingServer({ dataDir, logger: createLogger('silent') });
  const { port } = await server.listen(0);
  const address = { host: '127.0.0.1', port };

  const setup = new MeetingClient(address, { media: false });
  await setup.connect();
  await setup.register('deskuser', 'password1');
  await setup.close();

  const ui = await DesktopUi.launch({
    server: `127.0.0.1:${port}`,
    display,
    ...(root ? { root } : {}),
    env: {
      MEETING_UI_VIDEO: 'testpattern',
      MEETING_UI_AUDIO: 'tone',
      MEETING_UI_SPEAKER: 'none',
      MEETING_UI_CONFIG: 'off',
    },
  });
  const bots: MeetingClient[] = [];
  const sessions: MediaSession[] = [];
  try {
    await ui.waitForWidget('loginUser');
    await ui.setText('loginUser', 'deskuser');
    await ui.setText('loginPassword', 'password1');
    await ui.click('loginButton');
    await ui.waitForWidget('createName');
    await ui.setText('createName', 'bench');
    await ui.click('createButton');
    // The join screen (when the client has one).
    const deadline = Date.now() + 10_000;
    let meetingId = '';
    while (!meetingId && Date.now() < deadline) {
      const tree = await ui.tree();
      const join = tree.find((w) => w.name === 'joinNowButton' && w.visible && w.enabled);
      if (join) await ui.click('joinNowButton').catch(() => undefined);
      meetingId = tree.find((w) => w.name === 'meetingId' && w.visible)?.text ?? '';
      if (!meetingId) await sleep(200);
    }
    if (!meetingId) throw new Error('the client did not enter the meeting');
    for (let i = 1; i <= 3; i++) {
      const bot = new MeetingClient(address);
      await bot.connect();
      await bot.register(`bot${i}`, 'password1');
      await bot.joinMeeting(meetingId);
      const session = new MediaSession(bot, {
        video: 'testpattern',
        audio: 'tone',
        speaker: 'none',
        toneFrequency: 300 + 100 * i,
      });
      await session.start();
      await bot.setMediaState(true, true);
      bots.push(bot);
      sessions.push(session);
    }
    await ui.waitForState(
      (s) => Object.values(s.renderer.perMember).filter((n) => n >= 10).length >= 3,
      20_000,
      'frames of the three bots painted',
    );
    await sleep(3000);
    const cpu0 = ui.cpuMs();
    const t0 = Date.now();
    const samples: number[] = [];
    for (let s = 0; s < seconds; s++) {
      await sleep(1000);
      samples.push(procStatus(ui.child.pid as number).rssMb);
    }
    const cpu = ((ui.cpuMs() - cpu0) / (Date.now() - t0)) * 100;
    const mem = procStatus(ui.child.pid as number);
    const state = await ui.state();
    const extra = await ui.send<Record<string, number>>('memory').catch(() => null);
    console.log(
      `desktop client, 4-person meeting (3 bots 640x480@15 fps + tone, self camera test pattern), ${seconds} s:`,
    );
    console.log(`  CPU ${cpu.toFixed(1)} % of one core`);
    console.log(
      `  RSS ${mem.rssMb.toFixed(0)} MB (min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)} during the window), peak ${mem.peakMb.toFixed(0)} MB`,
    );
    console.log(
      `  painted ${state.renderer.rendered} frames, skipped ${state.renderer.skipped}, mean paint ${state.renderer.meanRenderMs.toFixed(2)} ms`,
    );
    console.log(`  resident by mapping (MB): ${residentByMapping(ui.child.pid as number)}`);
    if (extra)
      console.log(
        `  breakdown: ${Object.entries(extra)
          .map(([k, v]) => `${k} ${v.toFixed(0)} MB`)
          .join(', ')}`,
      );
  } finally {
    for (const s of sessions) await s.stop();
    await ui.quit();
    for (const b of bots) await b.close();
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
