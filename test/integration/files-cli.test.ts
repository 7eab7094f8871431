/** `meeting bot --send-file / --download-all / --save-chat` as a user runs them, against a real server. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { knownServersFile, startTestServer, type TestServer } from '../helpers/server';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'meeting.js');

function bot(args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'bot', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MEETING_KNOWN_SERVERS: knownServersFile() },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bot did not exit; printed:\n${out}`));
    }, 30_000);
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
  });
}

const events = (out: string): Array<Record<string, unknown>> =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('meeting bot: files and chat log', function () {
  this.timeout(60_000);
  let t: TestServer;
  let tmp: string;
  before(async () => {
    t = await startTestServer('sqlite');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-botfiles-'));
  });
  after(async () => {
    await t?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('sends a file with JSON progress; the other bot downloads it and saves its chat on leaving', async () => {
    const host = await t.client({ media: false });
    await host.register('filehost', 'password1');
    const { meeting } = await host.createMeeting('bots');
    const data = randomBytes(3 * 1024 * 1024);
    const file = path.join(tmp, 'report.bin');
    fs.writeFileSync(file, data);
    const common = ['--server', `127.0.0.1:${t.port}`, '--password', 'password1', '--register'];
    const dir = path.join(tmp, 'inbox');
    const chat = path.join(tmp, 'chat.txt');
    const receiver = bot([
      ...common,
      '--json',
      '--user',
      'receiver',
      '--join',
      meeting.id,
      '--download-all',
      dir,
      '--save-chat',
      chat,
      '--duration',
      '4',
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    const sender = await bot([
      ...common,
      '--json',
      '--user',
      'sender',
      '--join',
      meeting.id,
      '--say',
      'here it comes',
      '--send-file',
      file,
      '--duration',
      '0.5',
    ]);
    assert.equal(sender.status, 0, sender.out);
    const sent = events(sender.out);
    assert.ok(sent.some((e) => e.event === 'file-progress' && e.direction === 'up'));
    assert.ok(sent.some((e) => e.event === 'file-sent' && e.size === data.length));
    const received = await receiver;
    assert.equal(received.status, 0, received.out);
    const got = events(received.out).find((e) => e.event === 'file-received');
    assert.ok(got, received.out);
    const saved = fs.readFileSync(path.join(dir, 'report.bin'));
    assert.equal(
      createHash('sha256').update(saved).digest('hex'),
      createHash('sha256').update(data).digest('hex'),
    );
    const lines = fs
      .readFileSync(chat, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(
      lines.map((l) => l.split('\t').slice(1)),
      [['sender', '*', 'here it comes']],
    );
    assert.ok(events(received.out).some((e) => e.event === 'chat-saved' && e.file === chat));
  });

  it('draws a cli-progress bar without --json', async () => {
    const host = await t.client({ media: false });
    await host.register('barhost', 'password1');
    const { meeting } = await host.createMeeting('bars');
    const file = path.join(tmp, 'bar.bin');
    fs.writeFileSync(file, randomBytes(2 * 1024 * 1024));
    const { status, out } = await bot([
      '--server',
      `127.0.0.1:${t.port}`,
      '--user',
      'barbot',
      '--password',
      'password1',
      '--register',
      '--join',
      meeting.id,
      '--send-file',
      file,
      '--duration',
      '0',
    ]);
    assert.equal(status, 0, out);
    assert.match(out, /send bar\.bin \[[█░]+\] 100% 2\.0 MB\/2\.0 MB/);
  });
});
