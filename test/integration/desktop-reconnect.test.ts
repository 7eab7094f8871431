/**
 * The desktop client across a network cut and a changed server certificate, under Xvfb: the real
 * window, typed into with xdotool, its links through a proxy that cuts them for 3 s.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TcpProxy } from '../helpers/proxy';
import { collect, sleep, startTestServer, waitFor, type TestServer } from '../helpers/server';
import { ARTIFACTS, DesktopUi, hasXdotool } from '../helpers/ui';
import { ensureDisplay } from '../helpers/xvfb';

const PASSWORD = 'secret-pass-1';

describe('desktop client: reconnecting and certificates', function () {
  this.timeout(90_000);
  let display: string;
  let t: TestServer;
  let proxy: TcpProxy;
  const uis: DesktopUi[] = [];

  before(async () => {
    display = await ensureDisplay();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestServer('sqlite');
    proxy = await TcpProxy.start(t.port);
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed')
      for (const ui of uis) console.log(`      client stderr:\n${ui.stderr}`);
    await Promise.all(uis.splice(0).map((ui) => ui.quit()));
  });
  after(async () => {
    await proxy?.close();
    await t?.stop();
  });

  const logIn = async (ui: DesktopUi, username: string): Promise<void> => {
    if (hasXdotool()) {
      await ui.xFill('loginUser', username);
      await ui.xFill('loginPassword', PASSWORD);
      await ui.xClick('loginButton');
    } else {
      await ui.setText('loginUser', username);
      await ui.setText('loginPassword', PASSWORD);
      await ui.click('loginButton');
    }
  };

  it('shows "Reconnecting…" over the meeting while the network is cut, then the meeting again', async () => {
    const setup = await t.client({ media: false });
    await setup.register('rita', PASSWORD);
    await setup.close();
    const ui = await DesktopUi.launch({ server: `127.0.0.1:${proxy.port}`, display });
    uis.push(ui);
    await logIn(ui, 'rita');
    await ui.waitForWidget('createName');
    await ui.setText('createName', 'Through the storm');
    await ui.click('createButton');
    await ui.joinNow();
    const meetingId = (await ui.waitForWidget('meetingId', (w) => w.text.length > 0)).text;
    const bot = await t.client();
    await bot.register('stormbot', PASSWORD);
    await bot.joinMeeting(meetingId);
    await ui.waitForWidget('memberList', (w) =>
      (w.items ?? []).some((i) => i.includes('stormbot')),
    );
    const left = collect(bot, 'memberLeft');
    const states = collect<{ state: string }>(bot, 'memberConnection');

    proxy.cut(3000);
    const banner = await ui.waitForWidget('reconnectBanner', (w) =>
      /^Reconnecting… \(attempt \d+, next in \d+ s\)$/.test(w.text),
    );
    assert.match(banner.text, /attempt/);
    assert.equal((await ui.state()).page, 'meeting', 'the meeting window stays');
    await ui.waitForWidget('memberList', (w) =>
      (w.items ?? []).some((i) => i.includes('stormbot')),
    );
    await ui.screenshot(path.join(ARTIFACTS, 'desktop-reconnecting.png'));
    // The bot sees the desktop member reconnecting (not leaving).
    for (let i = 0; i < 50 && states.length === 0; i++) await sleep(100);
    assert.deepEqual(
      states.map((x) => x.state),
      ['reconnecting'],
    );

    await ui.waitForGone('reconnectBanner', 20_000);
    for (let i = 0; i < 100 && states.length < 2; i++) await sleep(100);
    assert.equal((await ui.state()).page, 'meeting');
    assert.equal((await ui.widget('meetingId'))?.text, meetingId);
    await ui.screenshot(path.join(ARTIFACTS, 'desktop-reconnected.png'));
    assert.deepEqual(left, [], 'the bot never saw the desktop member leave');
    assert.deepEqual(
      states.map((s) => s.state),
      ['reconnecting', 'connected'],
    );
    // Chat works again both ways.
    const got = waitFor<[{ text: string }]>(bot, 'chat');
    if (hasXdotool()) {
      await ui.xFill('chatInput', 'back again');
      await ui.xKey('Return');
    } else {
      await ui.setText('chatInput', 'back again');
      await ui.click('chatSend');
    }
    assert.equal((await got)[0].text, 'back again');
    await bot.close();
  });

  it('asks before trusting a server whose certificate changed, and logs in once accepted', async () => {
    const setup = await t.client({ media: false });
    await setup.register('carl', PASSWORD);
    await setup.close();
    // This computer pinned another certificate for the address before.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-known-'));
    const file = path.join(dir, 'known-servers.json');
    const stale = 'AB:'.repeat(31) + 'AB';
    fs.writeFileSync(file, JSON.stringify({ [`127.0.0.1:${t.port}`]: stale }));
    const ui = await DesktopUi.launch({
      server: `127.0.0.1:${t.port}`,
      display,
      env: { MEETING_KNOWN_SERVERS: file },
    });
    uis.push(ui);
    await logIn(ui, 'carl');
    const text = await ui.waitForWidget('trustText');
    // The prompt wraps each fingerprint over two lines (16 pairs each).
    const hex = (x: string): string => x.replace(/[\s:]+/g, '');
    assert.ok(hex(text.text).includes(hex(stale)), 'names the pinned fingerprint');
    assert.ok(
      hex(text.text).includes(hex(t.server.fingerprint as string)),
      'names the presented one',
    );
    assert.equal((await ui.state()).page, 'login');
    await ui.screenshot(path.join(ARTIFACTS, 'desktop-certificate-changed.png'));
    if (hasXdotool()) await ui.xClick('trustAccept');
    else await ui.click('trustAccept');
    await ui.waitForWidget('createName');
    const pinned = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    assert.equal(pinned[`127.0.0.1:${t.port}`], t.server.fingerprint);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
