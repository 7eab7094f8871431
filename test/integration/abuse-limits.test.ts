/**
 * Hostile clients against the rate limits and the meeting's own data: each abuser gets
 * ERR_RATE_LIMITED (or its frames are dropped) while a well-behaved member's login time and audio,
 * measured in the same test, stay normal; history of any size reaches a joiner in pages; a join,
 * login or registration cut short leaves nothing behind; ungranted media sources are not relayed.
 */
import assert from 'node:assert/strict';
import { MAX_FRAME_SIZE, MediaKind, MediaSource } from '../../common/constants';
import { ErrorCode } from '../../common/errors';
import { encodeMediaFrame, decodeMediaFrame } from '../../common/media';
import type { ChatMessage } from '../../common/protocol';
import { TEST_DATABASE_KINDS } from '../helpers/databases';
import { RawLink, rawMediaLink, rawSession, type RawReply } from '../helpers/raw';
import { collect, sleep, startTestServer, type TestServer } from '../helpers/server';

function media(kind: 'audio' | 'video', sequence: number, payload: number, source = 0): Buffer {
  return encodeMediaFrame(
    {
      kind: kind === 'audio' ? MediaKind.AUDIO : MediaKind.VIDEO,
      source,
      flags: 0,
      sender: 0,
      sequence,
      timestamp: sequence,
    },
    Buffer.alloc(payload, sequence & 0xff),
    MAX_FRAME_SIZE[kind],
  );
}

const codeOf = (r: RawReply): string => (r.ok ? 'ok' : (r.error?.code ?? '?'));

async function timedLogin(t: TestServer, username: string): Promise<number> {
  const link = await RawLink.open(t.port);
  const started = performance.now();
  const reply = await link.request('login', { username, password: 'password1' }, 10_000);
  const ms = performance.now() - started;
  assert.ok(reply.ok, `${username} logs in: ${codeOf(reply)}`);
  link.destroy();
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

describe('hostile clients: rate limits', function () {
  this.timeout(60_000);
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer('sqlite');
  });
  afterEach(async () => {
    await t.stop();
  });

  it('a registration flood from one address is limited; a real login stays fast', async () => {
    const good = await rawSession(t.port, 'goodie');
    good.control.destroy();
    const baseline: number[] = [];
    for (let i = 0; i < 3; i++) baseline.push(await timedLogin(t, 'goodie'));

    // 60 links from 127.0.0.2 (just under its connection cap), each registering at once.
    const abusers = await Promise.all(
      Array.from({ length: 60 }, () => RawLink.open(t.port, '127.0.0.2')),
    );
    const flood = Promise.all(
      abusers.map((l, i) =>
        l.request('register', { username: `flood${i}`, password: 'password1' }, 30_000),
      ),
    );
    await sleep(50);
    const during: number[] = [];
    for (let i = 0; i < 3; i++) during.push(await timedLogin(t, 'goodie'));
    const codes = (await flood).map(codeOf);
    const tally = codes.reduce<Record<string, number>>(
      (acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }),
      {},
    );
    console.log(
      `      registration flood: ${JSON.stringify(tally)}; login median ${median(baseline).toFixed(0)} ms ` +
        `before, ${median(during).toFixed(0)} ms during`,
    );
    assert.ok((tally[ErrorCode.RATE_LIMITED] ?? 0) >= 25, 'the flood is rate limited');
    assert.ok((tally.ok ?? 0) <= 8, `${tally.ok} registrations got through`);
    assert.deepEqual(
      Object.keys(tally).filter(
        (c) => !['ok', ErrorCode.RATE_LIMITED, ErrorCode.SERVER_BUSY].includes(c),
      ),
      [],
      'every answer is ok, rate limited or busy',
    );
    assert.ok(
      median(during) < Math.max(4 * median(baseline), 400),
      `login took ${during.map((d) => d.toFixed(0)).join(', ')} ms during the flood`,
    );
    for (const l of abusers) l.destroy();
  });

  it('30 parallel wrong guesses: at most 5 are checked, the rest are refused before the hash', async () => {
    (await rawSession(t.port, 'victim')).control.destroy();
    const links = await Promise.all(Array.from({ length: 30 }, () => RawLink.open(t.port)));
    const codes = (
      await Promise.all(
        links.map((l, i) => l.request('login', { username: 'victim', password: `guess-${i}` })),
      )
    ).map(codeOf);
    const checked = codes.filter((c) => c === ErrorCode.BAD_CREDENTIALS).length;
    const refused = codes.filter((c) => c === ErrorCode.RATE_LIMITED).length;
    assert.ok(checked <= 5, `${checked} guesses were checked`);
    assert.equal(checked + refused, 30);
    // The owner, from another address, still gets in.
    const owner = await RawLink.open(t.port, '127.0.0.3');
    assert.ok((await owner.request('login', { username: 'victim', password: 'password1' })).ok);
    for (const l of [...links, owner]) l.destroy();
  });

  it('unknown users count too: guessing usernames from one address is limited', async () => {
    const link = await RawLink.open(t.port, '127.0.0.4');
    const codes: string[] = [];
    for (let i = 0; i < 40; i++)
      codes.push(codeOf(await link.request('login', { username: `ghost${i}`, password: 'x' })));
    assert.ok(codes.includes(ErrorCode.RATE_LIMITED), 'the address is limited');
    // The burst (30), plus what refills while the guesses run.
    assert.ok(codes.filter((c) => c === ErrorCode.BAD_CREDENTIALS).length <= 33);
  });

  it('join attempts are limited per account; unknown id and wrong password answer alike', async () => {
    const host = await rawSession(t.port, 'hosty');
    const created = await host.control.request('createMeeting', {
      name: 'Locked',
      password: 'secret-1',
    });
    const id = (created.data as { meeting: { id: string } }).meeting.id;
    assert.match(id, /^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    const guesser = await rawSession(t.port, 'guesser');
    const wrong = await guesser.control.request('joinMeeting', { meetingId: id, password: 'x' });
    const unknown = await guesser.control.request('joinMeeting', {
      meetingId: 'zzzz-zzzz-zzzz',
      password: 'x',
    });
    assert.equal(codeOf(wrong), ErrorCode.MEETING_PASSWORD);
    assert.equal(codeOf(unknown), codeOf(wrong));
    assert.equal(unknown.error?.message, wrong.error?.message);
    const codes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await guesser.control.request('joinMeeting', { meetingId: id, password: `p${i}` });
      codes.push(codeOf(r));
    }
    assert.ok(codes.includes(ErrorCode.RATE_LIMITED), `codes: ${codes.join(' ')}`);
    // Typed ids are forgiving: case, spaces and dashes do not matter.
    // (From another address: the guesser's address is over its join rate too.)
    const friend = await rawSession(t.port, 'friend', { localAddress: '127.0.0.5' });
    const typed = id.toUpperCase().replace(/-/g, ' ');
    const joined = await friend.control.request('joinMeeting', {
      meetingId: typed,
      password: 'secret-1',
    });
    assert.ok(joined.ok, codeOf(joined));
  });

  it('a chat flood is limited per member; the others keep chatting', async () => {
    const a = await rawSession(t.port, 'chatty');
    const b = await rawSession(t.port, 'calm');
    const id = (
      (await a.control.request('createMeeting', { name: 'Chat' })).data as {
        meeting: { id: string };
      }
    ).meeting.id;
    assert.ok((await b.control.request('joinMeeting', { meetingId: id })).ok);
    const codes = await Promise.all(
      Array.from({ length: 60 }, (_, i) => a.control.request('chat', { text: `spam ${i}` })),
    );
    const limited = codes.filter((r) => codeOf(r) === ErrorCode.RATE_LIMITED).length;
    assert.ok(limited >= 30, `${limited} of 60 refused`);
    assert.ok((await b.control.request('chat', { text: 'hello' })).ok, 'calm still chats');
    const stored = await t.server.db.messages.countForMeeting(id);
    assert.equal(stored, 60 - limited + 1, 'refused messages are not stored');
  });

  it("a media flooder loses its own frames, never another member's audio", async () => {
    const a = await rawSession(t.port, 'flooder');
    const b = await rawSession(t.port, 'speaker');
    const c = await rawSession(t.port, 'listener');
    const id = (
      (await a.control.request('createMeeting', { name: 'Noise' })).data as {
        meeting: { id: string };
      }
    ).meeting.id;
    for (const m of [b, c])
      assert.ok((await m.control.request('joinMeeting', { meetingId: id })).ok);
    const [aAudio, bAudio, cAudio] = await Promise.all(
      [a, b, c].map((m) => rawMediaLink(t.port, m.token, 'audio')),
    );
    const drops = collect<string>(t.server.room(id)!.observer, 'dropped', 1);
    // 4 KiB frames every 2 ms from the flooder (2 MB/s), 100-byte Opus-sized frames every 20 ms.
    let floodSeq = 0;
    let speakSeq = 0;
    const flood = setInterval(() => {
      for (let i = 0; i < 2; i++) aAudio!.send(media('audio', ++floodSeq, 4000));
    }, 2);
    const speak = setInterval(() => bAudio!.send(media('audio', ++speakSeq, 100)), 20);
    await sleep(3000);
    clearInterval(flood);
    clearInterval(speak);
    await sleep(300);
    const senders = cAudio!.media.map((f) => decodeMediaFrame(f, MAX_FRAME_SIZE.audio).header);
    const fromSpeaker = senders.filter((h) => h.sender === b.memberId).map((h) => h.sequence);
    const fromFlooder = senders.filter((h) => h.sender === a.memberId).length;
    console.log(
      `      media flood: flooder sent ${floodSeq}, ${fromFlooder} relayed ` +
        `(${drops.filter((d) => d === 'rate').length} over its rate cap); speaker sent ${speakSeq}, ` +
        `listener got ${fromSpeaker.length}`,
    );
    assert.equal(fromSpeaker.length, speakSeq, "every one of the speaker's frames arrived");
    assert.ok(fromFlooder < floodSeq / 4, `${fromFlooder} of ${floodSeq} flood frames relayed`);
    assert.ok(drops.includes('rate'), 'frames over the cap are dropped and counted');
  });

  it('only granted sources are relayed: no screen without a grant, no unknown source', async () => {
    const a = await rawSession(t.port, 'sender');
    const b = await rawSession(t.port, 'viewer');
    const id = (
      (await a.control.request('createMeeting', { name: 'Grants' })).data as {
        meeting: { id: string };
      }
    ).meeting.id;
    assert.ok((await b.control.request('joinMeeting', { meetingId: id })).ok);
    const aVideo = await rawMediaLink(t.port, a.token, 'video');
    const bVideo = await rawMediaLink(t.port, b.token, 'video');
    const drops = collect<string>(t.server.room(id)!.observer, 'dropped', 1);
    aVideo.send(media('video', 1, 1000, MediaSource.SCREEN));
    aVideo.send(media('video', 2, 1000, 2));
    aVideo.send(media('video', 3, 1000, 255));
    aVideo.send(media('video', 4, 1000, MediaSource.CAMERA));
    await sleep(300);
    const got = bVideo.media.map((f) => decodeMediaFrame(f, MAX_FRAME_SIZE.video).header.sequence);
    assert.deepEqual(got, [4], 'only the camera frame');
    assert.deepEqual(drops, ['not-granted', 'not-granted', 'not-granted']);
  });
});

describe('hostile clients: joins per address', function () {
  this.timeout(30_000);
  it('many accounts joining from one address meet the per-address join limit', async () => {
    const t = await startTestServer('sqlite', {
      limits: { joinAddressRate: { perMinute: 1, burst: 3 } },
    });
    try {
      const host = await rawSession(t.port, 'hoster', { localAddress: '127.0.0.7' });
      const id = (
        (await host.control.request('createMeeting', { name: 'Office' })).data as {
          meeting: { id: string };
        }
      ).meeting.id;
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) {
        const m = await rawSession(t.port, `office${i}`, { localAddress: '127.0.0.6' });
        codes.push(codeOf(await m.control.request('joinMeeting', { meetingId: id })));
      }
      assert.deepEqual(codes, ['ok', 'ok', 'ok', ErrorCode.RATE_LIMITED, ErrorCode.RATE_LIMITED]);
    } finally {
      await t.stop();
    }
  });
});

for (const kind of TEST_DATABASE_KINDS) {
  describe(`hostile clients: history and half-finished requests on ${kind}`, function () {
    this.timeout(60_000);
    let t: TestServer;
    beforeEach(async () => {
      t = await startTestServer(kind, {
        limits: { chatRate: { perMinute: 100_000, burst: 1000 } },
      });
    });
    afterEach(async () => {
      await t.stop();
    });

    it('a joiner receives the whole history of 200 messages of 4,000 odd characters, in pages', async () => {
      const a = await rawSession(t.port, 'writer');
      const id = (
        (await a.control.request('createMeeting', { name: 'Long' })).data as {
          meeting: { id: string };
        }
      ).meeting.id;
      // Multibyte letters and control characters: each message is 4,000 characters, up to ~24 KB
      // of JSON once escaped.
      const unit = 'ж\u0001€\u0007😀\u001f';
      const texts = Array.from({ length: 200 }, (_, i) =>
        `${i}:`.concat(unit.repeat(1000)).slice(0, 4000),
      );
      for (const text of texts) {
        const r = await a.control.request('chat', { text });
        assert.ok(r.ok, codeOf(r));
      }
      const b = await rawSession(t.port, 'reader');
      const joined = await b.control.request('joinMeeting', { meetingId: id });
      assert.ok(joined.ok, `join: ${codeOf(joined)}`);
      const first = joined.data as { history: ChatMessage[]; historyMore: boolean };
      const all = [...first.history];
      let more = first.historyMore;
      let pages = 1;
      while (more) {
        const before = all[0]?.id;
        const page = await b.control.request('chatHistory', before ? { before } : {});
        assert.ok(page.ok, `chatHistory: ${codeOf(page)}`);
        const data = page.data as { messages: ChatMessage[]; more: boolean };
        assert.ok(data.messages.length > 0, 'a page is never empty');
        all.unshift(...data.messages);
        more = data.more;
        pages++;
        assert.ok(pages < 400, 'paging ends');
      }
      assert.deepEqual(
        all.map((m) => m.text),
        texts,
        'every message, in order, unchanged',
      );
      assert.ok(pages > 10, `${pages} pages`);
      // The client core does the same paging by itself on joining.
      const c = await t.client({ media: false });
      await c.register('reader2', 'password1');
      const viaClient = await c.joinMeeting(id);
      assert.deepEqual(
        viaClient.history.map((m) => m.text),
        texts,
      );
      assert.equal(c.chat.length, 200);
    });

    it('a join cut off before its reply leaves no trace; so do a login and a registration', async () => {
      const host = await rawSession(t.port, 'host');
      // A meeting password makes each join hash for a while: the link is gone before the reply.
      const id = (
        (await host.control.request('createMeeting', { name: 'Clean', password: 'secret-1' }))
          .data as {
          meeting: { id: string };
        }
      ).meeting.id;
      (await rawSession(t.port, 'quitter')).control.destroy();
      await sleep(100);
      for (let i = 0; i < 5; i++) {
        const q = await RawLink.open(t.port);
        assert.ok((await q.request('login', { username: 'quitter', password: 'password1' })).ok);
        q.fire('joinMeeting', { meetingId: id, password: 'secret-1' });
        q.destroy();
        // Login and registration cut off while the password is hashed.
        const l = await RawLink.open(t.port);
        l.fire('login', { username: 'quitter', password: 'password1' });
        l.destroy();
        const r = await RawLink.open(t.port);
        r.fire('register', { username: `ghost${i}`, password: 'password1' });
        r.destroy();
      }
      await sleep(1500);
      assert.deepEqual(
        host.control.events('memberJoined'),
        [],
        'nobody saw a member join whose join was cut off',
      );
      // The quitter's last session waits for a resume (its link was cut); no other one exists.
      assert.equal(t.server.connectedCount, 1, 'only the host is connected');
      assert.equal(t.server.memberCount, 2, 'the host, and the quitter waiting for a resume');
      assert.equal(t.server.room(id)?.size, 1, 'only the host is in the room');
      const attendance = await t.server.db.meetings.attendance(id);
      assert.equal(
        attendance.filter((row) => row.leftAt === null).length,
        1,
        'no open attendance row but the host',
      );
      for (let i = 0; i < 5; i++)
        assert.equal(await t.server.db.users.findByUsername(`ghost${i}`), undefined);
    });
  });
}
