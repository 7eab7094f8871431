/**
 * The bot's host controls as a script drives them: `meeting bot --waiting-room --admit … --mute …
 * --lock --remove …` as a child process against a real server, with MeetingClients on the other side.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ErrorCode, MeetingError } from '../../common/errors';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'meeting.js');

type BotEvent = Record<string, unknown> & { event: string };

/** A running bot: its JSON lines as they come, and its exit. */
class Bot {
  readonly events: BotEvent[] = [];
  readonly exited: Promise<number | null>;
  readonly #child: ChildProcess;
  #waiters: Array<() => void> = [];

  constructor(args: string[]) {
    this.#child = spawn(process.execPath, [BIN, 'bot', '--json', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffered = '';
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines)
        if (line.startsWith('{')) this.events.push(JSON.parse(line) as BotEvent);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.exited = new Promise((resolve) => this.#child.on('exit', (code) => resolve(code)));
  }

  /** The first printed event named `name` that satisfies `predicate` (waits for it). */
  async next(name: string, predicate: (e: BotEvent) => boolean = () => true, ms = 15_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find((e) => e.event === name && predicate(e));
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no '${name}' within ${ms} ms; printed ${JSON.stringify(this.events)}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  kill(): void {
    this.#child.kill('SIGKILL');
  }
}

describe('meeting bot host controls', function () {
  this.timeout(60_000);
  let t: TestServer;
  const bots: Bot[] = [];
  const bot = (user: string, args: string[]): Bot => {
    const b = new Bot([
      '--server',
      `127.0.0.1:${t.port}`,
      '--user',
      user,
      '--password',
      'password1',
      ...args,
    ]);
    bots.push(b);
    return b;
  };

  before(async () => {
    t = await startTestServer('sqlite');
  });
  after(async () => {
    for (const b of bots) b.kill();
    await t?.stop();
  });

  it('--waiting-room --admit USER --mute USER: the joiner waits, is let in and muted', async () => {
    const host = bot('clihost', [
      '--register',
      '--create',
      'Bot hosted',
      '--waiting-room',
      '--admit',
      'cliguest',
      '--mute',
      'cliguest',
      '--duration',
      '20',
    ]);
    const joined = await host.next('joined');
    await host.next('waiting-room');
    const meetingId = String(joined.meetingId);
    const guest = await t.client({ media: false });
    await guest.register('cliguest', 'password1');
    const waiting = waitFor(guest, 'waiting');
    const muted = waitFor<[{ action: string; by: string }]>(guest, 'moderated');
    const entered = guest.joinMeeting(meetingId);
    await waiting;
    await entered;
    assert.deepEqual((await muted)[0], { action: 'mute', by: 'clihost' });
    await host.next('waiting-list', (e) => (e.waiting as unknown[]).length === 1);
    await host.next('admit', (e) => e.username === 'cliguest');
    await host.next('muted', (e) => e.username === 'cliguest');
    // What the bot sees of others: a hand and a reaction.
    await guest.host.raiseHand();
    await guest.host.react('heart');
    await host.next('hand', (e) => e.raised === true);
    await host.next('reaction', (e) => e.reaction === 'heart');
    host.kill();
  });

  it('--lock refuses joins; --remove USER --bar removes and bars; a guest bot prints removed', async () => {
    const host = bot('clilocker', [
      '--register',
      '--create',
      'Locked',
      '--remove',
      'cliremoved',
      '--bar',
      '--duration',
      '20',
    ]);
    const meetingId = String((await host.next('joined')).meetingId);
    const guest = bot('cliremoved', ['--register', '--join', meetingId, '--duration', '20']);
    await guest.next('joined');
    assert.deepEqual(
      [await guest.next('removed')].map((e) => [e.by, e.barred]),
      [['clilocker', true]],
    );
    assert.equal(await guest.exited, 5);
    await host.next('removed-member', (e) => e.username === 'cliremoved');
    // Barred: it cannot come back.
    const again = bot('cliremoved', ['--join', meetingId, '--duration', '5']);
    assert.equal((await again.next('error')).code, ErrorCode.BARRED);
    assert.equal(await again.exited, 2);
    host.kill();
    await host.exited;

    const locker = bot('clilocker2', [
      '--register',
      '--create',
      'Lock me',
      '--lock',
      '--duration',
      '20',
    ]);
    const lockedId = String((await locker.next('joined')).meetingId);
    await locker.next('locked');
    const outsider = await t.client({ media: false });
    await outsider.register('clioutsider', 'password1');
    await assert.rejects(
      outsider.joinMeeting(lockedId),
      (e: unknown) => e instanceof MeetingError && e.code === ErrorCode.MEETING_LOCKED,
    );
    // A member without the power gets its action refused, printed with the code.
    const other = await t.client({ media: false });
    await other.register('cliowner', 'password1');
    const { meeting } = await other.createMeeting('Not yours');
    const plain = bot('cliplain', [
      '--register',
      '--join',
      meeting.id,
      '--mute',
      'cliowner',
      '--duration',
      '20',
    ]);
    const refused = await plain.next('error');
    assert.equal(refused.code, ErrorCode.NOT_HOST);
    assert.equal(refused.action, 'muted');
    locker.kill();
    plain.kill();
  });
});
