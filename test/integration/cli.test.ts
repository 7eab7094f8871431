/** The `meeting bot` command as a user runs it: a child process against a real server on port 0. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { TcpProxy } from '../helpers/proxy';
import { knownServersFile, startTestServer, type TestServer } from '../helpers/server';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'meeting.js');

/** Runs the bot to its end; resolves with its exit status and the JSON lines it printed. */
function runBot(
  args: string[],
  ms = 30_000,
): Promise<{ status: number | null; events: Array<Record<string, unknown>> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'bot', '--json', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, MEETING_KNOWN_SERVERS: knownServersFile() },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bot did not exit within ${ms} ms; printed:\n${out}`));
    }, ms);
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      const events = out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ status, events });
    });
  });
}

describe('meeting bot', function () {
  this.timeout(60_000);
  let t: TestServer;

  before(async () => {
    t = await startTestServer('sqlite');
  });
  after(async () => {
    await t?.stop();
  });

  it('pins the server on first use, and across a network cut prints reconnecting / reconnected and stays in its meeting', async () => {
    const proxy = await TcpProxy.start(t.port);
    try {
      setTimeout(() => proxy.cut(1500), 2500).unref();
      const { status, events } = await runBot([
        '--server',
        `127.0.0.1:${proxy.port}`,
        '--user',
        'cli-resume',
        '--password',
        'password1',
        '--register',
        '--create',
        'Wobbly network',
        '--say-after',
        '6',
        '--say',
        'still here',
        '--duration',
        '7',
      ]);
      const names = events.map((e) => e.event);
      assert.equal(status, 0, JSON.stringify(events));
      const trusted = events.find((e) => e.event === 'trusted-new-server');
      assert.equal(trusted?.fingerprint, t.server.fingerprint);
      const reconnecting = names.indexOf('reconnecting');
      const reconnected = names.indexOf('reconnected');
      assert.ok(reconnecting > names.indexOf('joined'), names.join(' '));
      assert.ok(reconnected > reconnecting, names.join(' '));
      assert.ok(names.indexOf('sent') > reconnected, 'the message went out after the resume');
      assert.equal(names.includes('disconnected'), false);
    } finally {
      await proxy.close();
    }
  });

  it('prints a media failure with its ERR_MEDIA_* code and exits with status 2', async () => {
    const { status, events } = await runBot([
      '--server',
      `127.0.0.1:${t.port}`,
      '--user',
      'cli-media',
      '--password',
      'password1',
      '--register',
      '--create',
      'Broken microphone',
      '--audio',
      path.join(t.dataDir, 'no-such-file.wav'),
    ]);
    const errors = events.filter((e) => e.event === 'error');
    assert.equal(errors.length, 1, JSON.stringify(events));
    assert.equal(errors[0]!.code, 'ERR_MEDIA_OPEN_FAILED');
    assert.match(String(errors[0]!.message), /no-such-file\.wav/);
    assert.equal(status, 2);
  });

  for (const [what, args, code] of [
    ['a missing video file', ['--video', '/nonexistent/missing-file.avi'], 'ERR_MEDIA_OPEN_FAILED'],
    ['a bad audio device id', ['--audio', '999'], 'ERR_MEDIA_NO_DEVICE'],
    ['a bad speaker device id', ['--speaker', '998'], 'ERR_MEDIA_NO_DEVICE'],
    ['a camera that does not exist', ['--video', '97'], 'ERR_MEDIA_NO_DEVICE'],
  ] as const) {
    it(`fails fast on ${what}: ${code}, non-zero, within 2 s, before connecting`, async () => {
      const started = Date.now();
      const { status, events } = await runBot([
        '--server',
        `127.0.0.1:${t.port}`,
        '--user',
        'cli-fast',
        '--password',
        'password1',
        '--register',
        '--create',
        'Never',
        '--duration',
        '3',
        ...args,
      ]);
      const elapsed = Date.now() - started;
      const errors = events.filter((e) => e.event === 'error');
      assert.deepEqual(
        errors.map((e) => e.code),
        [code],
        JSON.stringify(events),
      );
      assert.equal(status, 2);
      assert.ok(elapsed < 2000, `exited after ${elapsed} ms`);
      assert.ok(!events.some((e) => e.event === 'logged-in'), 'it never logged in');
    });
  }

  it('fails fast on an unreachable server with ERR_CONNECT_FAILED', async () => {
    // A port nobody listens on: bind one, close it, then try it.
    const net = await import('node:net');
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const started = Date.now();
    const { status, events } = await runBot([
      '--server',
      `127.0.0.1:${closedPort}`,
      '--user',
      'nobody',
      '--password',
      'password1',
      '--join',
      'abcd-efgh-jkmn',
    ]);
    const elapsed = Date.now() - started;
    assert.deepEqual(
      events.filter((e) => e.event === 'error').map((e) => e.code),
      ['ERR_CONNECT_FAILED'],
    );
    assert.notEqual(status, 0);
    assert.ok(elapsed < 2000, `exited after ${elapsed} ms`);
  });
});
