/**
 * The desktop client's Files panel end to end: a real server, the real window (NodeGui under Xvfb,
 * in a child process) driven through its widgets, and a MeetingClient bot on the other side. The
 * window receives a room file (notice, offer list, download to the chosen folder), sends a large
 * file privately with a progress bar, and saves its chat on leaving. Screenshots go to
 * artifacts/desktop-files-*.png.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileInfo } from '../../common/protocol';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';
import { ARTIFACTS, DesktopUi } from '../helpers/ui';
import { ensureDisplay } from '../helpers/xvfb';

const PASSWORD = 'secret-pass-1';
const MB = 1024 * 1024;
const sha = (file: string): string =>
  createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('desktop client: Files panel (real window under Xvfb)', function () {
  this.timeout(120_000);
  let t: TestServer;
  let display: string;
  let tmp: string;
  let ui: DesktopUi | null = null;

  before(async () => {
    display = await ensureDisplay();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestServer('sqlite');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-desktop-files-'));
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && ui)
      console.log(`      client stderr:\n${ui.stderr}`);
    await ui?.quit();
    ui = null;
  });
  after(async () => {
    await t?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('receives a room file, sends one with a progress bar, and saves the chat on leaving', async () => {
    const setup = await t.client({ media: false });
    await setup.register('alice', PASSWORD);
    await setup.close();
    const downloads = path.join(tmp, 'downloads');
    const logs = path.join(tmp, 'chat-logs');
    ui = await DesktopUi.launch({
      server: `127.0.0.1:${t.port}`,
      display,
      env: { MEETING_DOWNLOAD_DIR: downloads, MEETING_CHAT_LOG_DIR: logs },
    });
    await ui.setText('loginUser', 'alice');
    await ui.setText('loginPassword', PASSWORD);
    await ui.click('loginButton');
    await ui.waitForWidget('createName');
    await ui.setText('createName', 'Files review');
    await ui.click('createButton');
    await ui.joinNow();
    const meetingId = (await ui.waitForWidget('meetingId', (w) => /\S/.test(w.text))).text;

    const bot = await t.client({ media: false });
    await bot.register('bot', PASSWORD);
    await bot.joinMeeting(meetingId);
    await bot.say('sending the agenda');

    // A room file arrives: the notice, the offer list, a download into the chosen folder.
    const agenda = path.join(tmp, 'agenda.pdf');
    fs.writeFileSync(agenda, randomBytes(5 * MB));
    await bot.files.send(agenda).finished;
    await ui.waitForWidget('fileNotice', (w) => w.text.includes('bot shared agenda.pdf'));
    // Collapsed, the panel says a file is new; opened, it lists it.
    await ui.waitForWidget('filesToggle', (w) => w.text === '▸ Files (1 new)');
    await ui.screenshot(path.join(ARTIFACTS, 'desktop-files-notice.png'));
    await ui.click('filesToggle');
    await ui.waitForWidget('filesToggle', (w) => w.text === '▾ Files');
    await ui.waitForWidget('fileOffers', (w) =>
      (w.items ?? []).some((i) => i.includes('agenda.pdf')),
    );
    assert.equal((await ui.widget('downloadDir'))?.text, downloads);
    await ui.select('fileOffers', 0);
    await ui.click('fileDownload');
    await ui.waitForWidget('transferLabel0', (w) => w.text.includes('done'), 20_000);
    assert.equal(sha(path.join(downloads, 'agenda.pdf')), sha(agenda));
    await ui.screenshot(path.join(ARTIFACTS, 'desktop-files-received.png'));

    // A large file to the bot only: the bar moves (caught mid-way when the machine is slow enough).
    const big = path.join(tmp, 'recording.bin');
    const fd = fs.openSync(big, 'w');
    for (let i = 0; i < 40; i++) fs.writeSync(fd, randomBytes(4 * MB));
    fs.closeSync(fd);
    const offered = waitFor<[FileInfo]>(bot, 'fileOffered', () => true, 60_000);
    const target = await ui.waitForWidget('fileTarget', (w) =>
      (w.items ?? []).includes('Only bot'),
    );
    await ui.select('fileTarget', (target.items ?? []).indexOf('Only bot'));
    await ui.setText('fileToSend', big);
    await ui.click('fileSend');
    let midway: number | null = null;
    const seen: string[] = [];
    for (const end = Date.now() + 60_000; Date.now() < end && midway === null;) {
      const tree = await ui.tree();
      const bar = tree.find((w) => w.name === 'transferBar0');
      const label = tree.find((w) => w.name === 'transferLabel0');
      seen.push(`${label?.text ?? '-'} ${bar?.current ?? '-'}`);
      if (label?.text.includes('done')) break;
      const value = bar?.current ?? 0;
      if (label?.text.startsWith('↑ recording.bin') && value > 0 && value < 1000) {
        midway = value;
        await ui.screenshot(path.join(ARTIFACTS, 'desktop-files-progress.png'));
        assert.match(label.text, /↑ recording\.bin {2}\d+% {2}[\d.]+ [KMG]?B\/s/);
      }
    }
    if (midway === null)
      console.log(
        `      (the upload finished before the bar was seen mid-way: ${[...new Set(seen)].join(' | ')})`,
      );
    const [info] = await offered;
    assert.equal(info.name, 'recording.bin');
    assert.equal(info.to, 'bot');
    await ui.waitForWidget(
      'transferLabel0',
      (w) => w.text.includes('↑ recording.bin  done'),
      60_000,
    );
    assert.equal((await ui.widget('transferBar0'))?.current, 1000);
    const received = bot.files.download(info, path.join(tmp, 'bot'));
    await received.finished;
    assert.equal(sha(received.savedAs as string), sha(big));
    await ui.grab(path.join(ARTIFACTS, 'desktop-files-window.png'));
    await ui.screenshot(path.join(ARTIFACTS, 'desktop-files-sent.png'));

    // Leaving saves the chat where the setting says, and the lobby says where.
    assert.equal((await ui.widget('saveChatToggle'))?.checked, true);
    await ui.click('leaveButton');
    const saved = await ui.waitForWidget('chatSaved', (w) => w.text.startsWith('Chat saved to'));
    const file = saved.text.replace('Chat saved to ', '');
    assert.equal(path.dirname(file), logs);
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(
      lines.map((l) => l.split('\t').slice(1)),
      [['bot', '*', 'sending the agenda']],
    );
    await ui.screenshot(path.join(ARTIFACTS, 'desktop-files-chat-saved.png'));
  });
});
