/**
 * File sharing end to end with real sockets, real files and a real database (SQLite and MariaDB):
 * private and room files, SHA-256 checks, resumption after a cut link, authorisation, names,
 * limits, and the chat log a leaving client writes.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode, MeetingError } from '../../common/errors';
import { encodeFileChunk } from '../../common/files';
import { LINK_SPECS } from '../../common/links';
import { MeetingClient } from '../../client/MeetingClient';
import { TcpProxy } from '../helpers/proxy';
import { TEST_DATABASE_KINDS } from '../helpers/databases';
import { startTestServer, waitFor, type TestServer } from '../helpers/server';

const MB = 1024 * 1024;

const rejectsWith = (p: Promise<unknown>, code: string): Promise<void> =>
  assert.rejects(p, (e: unknown) => e instanceof MeetingError && e.code === code);

function sha(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Cuts the client's files link once `share` of `size` bytes went through it: the server
 * acknowledged that much of an upload, or that much of a download arrived.
 */
async function cutAt(client: MeetingClient, size: number, share: number): Promise<number> {
  const link = await client.files.link();
  return new Promise((resolve) => {
    const check = (bytes: number): void => {
      if (bytes < share * size) return;
      link.off('ack', onAck);
      link.off('chunk', onChunk);
      link.destroy('cut by the test');
      resolve(bytes);
    };
    const onAck = (_id: number, offset: number): void => check(offset);
    const onChunk = (c: { offset: number; data: Buffer }): void => check(c.offset + c.data.length);
    link.on('ack', onAck);
    link.on('chunk', onChunk);
  });
}

for (const kind of TEST_DATABASE_KINDS) {
  describe(`file sharing on ${kind}`, function () {
    this.timeout(60_000);
    let t: TestServer;
    let tmp: string;
    beforeEach(async () => {
      t = await startTestServer(kind, {
        limits: { fileMaxBytes: 64 * MB, fileQuotaBytes: 100 * MB },
      });
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-files-'));
    });
    afterEach(async () => {
      await t.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    async function user(name: string): Promise<MeetingClient> {
      const c = await t.client({ media: false });
      await c.register(name, 'password1');
      return c;
    }

    /** `names[0]` creates a meeting, the others join it. */
    async function meeting(...names: string[]): Promise<MeetingClient[]> {
      const clients = await Promise.all(names.map(user));
      const [host, ...rest] = clients;
      const { meeting: m } = await (host as MeetingClient).createMeeting('files');
      for (const c of rest) await c.joinMeeting(m.id);
      return clients;
    }

    function randomFile(name: string, bytes: number): string {
      const file = path.join(tmp, name);
      const fd = fs.openSync(file, 'w');
      for (let done = 0; done < bytes; done += 4 * MB)
        fs.writeSync(fd, randomBytes(Math.min(4 * MB, bytes - done)));
      fs.closeSync(fd);
      return file;
    }

    it('sends 20 MB privately: same SHA-256 at the recipient, nobody else may download it', async () => {
      const [alice, bob, carol] = await meeting('alice', 'bob', 'carol');
      const file = randomFile('secret.bin', 20 * MB);
      const offered = waitFor<[{ id: number; name: string }]>(bob, 'fileOffered');
      const carolHeard: unknown[] = [];
      carol.on('fileOffered', (f) => carolHeard.push(f));
      const up = alice.files.send(file, { to: 'bob' });
      const progress: number[] = [];
      up.on('progress', (p) => progress.push(p.bytes));
      await up.finished;
      const [info] = await offered;
      assert.equal(info.name, 'secret.bin');
      assert.ok(progress.length >= 2 && progress.at(-1) === 20 * MB);

      const down = bob.files.download(bob.files.offered[0] as never, path.join(tmp, 'bob'));
      await down.finished;
      assert.equal(sha(down.savedAs as string), sha(file));
      assert.equal(path.basename(down.savedAs as string), 'secret.bin');

      // Carol is in the meeting but not a recipient: not told, not listed, not served.
      assert.equal(carolHeard.length, 0);
      assert.deepEqual((await carol.request('fileList', {})).files, []);
      const attempt = carol.files.download(info as never, path.join(tmp, 'carol'));
      await rejectsWith(attempt.finished, ErrorCode.FILE_NOT_FOUND);
      assert.equal(
        fs.readdirSync(path.join(tmp, 'carol')).filter((n) => !n.startsWith('.')).length,
        0,
      );

      // The database knows the file and who downloaded it.
      const row = await t.server.db.files.findById(info.id);
      assert.ok(
        row && row.status === 'complete' && row.size === 20 * MB && row.sha256 === sha(file),
      );
      const recipients = await t.server.db.files.recipients(info.id);
      assert.equal(recipients.length, 1);
      assert.ok(recipients[0]?.downloadedAt);
    });

    it('offers a room file to every member, stored once by SHA-256', async () => {
      const [alice, bob, carol] = await meeting('alice', 'bob', 'carol');
      const file = randomFile('slides.pdf', 3 * MB);
      const heard = Promise.all([waitFor(bob, 'fileOffered'), waitFor(carol, 'fileOffered')]);
      await alice.files.send(file, { mime: 'application/pdf' }).finished;
      await heard;
      for (const [c, dir] of [
        [bob, 'bob'],
        [carol, 'carol'],
      ] as const) {
        const [f] = c.files.offered;
        assert.ok(f && f.to === null && f.mime === 'application/pdf');
        const d = c.files.download(f, path.join(tmp, dir));
        await d.finished;
        assert.equal(sha(d.savedAs as string), sha(file));
      }
      // The same bytes again: a second row, one stored copy.
      await alice.files.send(file, { name: 'again.pdf' }).finished;
      const blobs = fs.readdirSync(path.join(t.dataDir, 'files', 'blobs'), { recursive: true });
      assert.equal(blobs.filter((n) => String(n).length > 60).length, 1);
    });

    it('resumes an upload and a download cut at half of 50 MB, sending again < 10 %', async () => {
      const [alice, bob] = await meeting('alice', 'bob');
      const size = 50 * MB;
      const file = randomFile('big.bin', size);
      const cut = cutAt(alice, size, 0.5);
      const up = alice.files.send(file, { to: 'bob' });
      const resumed: number[] = [];
      up.on('resumed', (offset) => resumed.push(offset));
      const cutUp = await cut;
      await up.finished;
      assert.equal(up.resumes, 1);
      assert.ok(
        resumed[0] !== undefined && resumed[0] >= cutUp - 4 * MB,
        `resumed at ${resumed[0]}`,
      );
      assert.ok(up.wireBytes - size < 0.1 * size, `upload sent ${up.wireBytes} bytes`);

      const [offer] = bob.files.offered;
      assert.ok(offer);
      const cutDown = cutAt(bob, size, 0.5);
      const down = bob.files.download(offer, path.join(tmp, 'bob'));
      await cutDown;
      await down.finished;
      assert.equal(down.resumes, 1);
      assert.ok(down.wireBytes - size < 0.1 * size, `download received ${down.wireBytes} bytes`);
      assert.equal(sha(down.savedAs as string), sha(file));
    });

    it('carries an upload on across a network cut while the client resumes its session', async () => {
      const [bob] = await meeting('bob');
      const proxy = await TcpProxy.start(t.port);
      const alice = new MeetingClient(
        { host: '127.0.0.1', port: proxy.port },
        { media: false, trust: t.trust() },
      );
      try {
        await alice.connect();
        await alice.register('alice', 'password1');
        await alice.joinMeeting(bob.meeting?.id as string);
        const size = 30 * MB;
        const file = randomFile('cut.bin', size);
        const link = await alice.files.link();
        link.on('ack', (_id, offset) => {
          if (offset >= 0.3 * size && proxy.open > 0) proxy.cut(1000);
        });
        const reconnected = waitFor(alice, 'reconnected', () => true, 20_000);
        const up = alice.files.send(file, { to: 'bob' });
        await up.finished;
        await reconnected;
        assert.ok(up.resumes >= 1, `resumed ${up.resumes} times`);
        assert.ok(up.wireBytes - size < 0.1 * size, `sent ${up.wireBytes} bytes`);
        const [offer] = await bob.files.refresh();
        assert.ok(offer);
        const down = bob.files.download(offer, path.join(tmp, 'bob'));
        await down.finished;
        assert.equal(sha(down.savedAs as string), sha(file));
      } finally {
        await alice.close();
        await proxy.close();
      }
    });

    it('continues an upload from another login by file id and offset', async () => {
      const [alice, bob] = await meeting('alice', 'bob');
      const meetingId = alice.meeting?.id as string;
      const file = randomFile('resume.bin', 8 * MB);
      // The whole client goes away mid-upload.
      const link = await alice.files.link();
      const gone = new Promise<void>((resolve) =>
        link.on('ack', (_id, offset) => {
          if (offset >= 3 * MB) resolve(alice.close());
        }),
      );
      const up = alice.files.send(file, { to: 'bob' });
      await gone;
      await rejectsWith(up.finished, ErrorCode.CONNECTION_CLOSED);
      const again = await t.client({ media: false });
      await again.login('alice', 'password1');
      await again.joinMeeting(meetingId);
      const second = again.files.send(file, { to: 'bob' });
      await second.finished;
      assert.equal(second.file?.id, up.file?.id);
      assert.ok(second.wireBytes <= 8 * MB - 2 * MB, `sent ${second.wireBytes} bytes again`);
      const [offer] = await bob.files.refresh();
      assert.ok(offer && offer.complete && offer.id === second.file?.id);
    });

    it('refuses a corrupt upload and a corrupt stored file', async () => {
      const [alice, bob] = await meeting('alice', 'bob');
      const data = randomBytes(600 * 1024);
      const digest = createHash('sha256').update(data).digest('hex');
      const { file, offset } = await alice.request('fileOffer', {
        name: 'x.bin',
        size: data.length,
        sha256: digest,
        to: 'bob',
      });
      assert.equal(offset, 0);
      const link = await alice.files.link();
      const failed = waitFor<[number, string]>(link, 'fail');
      const bad = Buffer.from(data);
      bad[400_000] = (bad[400_000] as number) ^ 0xff;
      const max = LINK_SPECS.files.maxFrameSize;
      for (let at = 0; at < bad.length; at += 256 * 1024)
        link.send(encodeFileChunk(file.id, at, bad.subarray(at, at + 256 * 1024), max));
      const [id, code] = await failed;
      assert.equal(id, file.id);
      assert.equal(code, ErrorCode.FILE_CORRUPT);
      assert.equal((await t.server.db.files.findById(file.id))?.status, 'failed');
      assert.deepEqual((await bob.request('fileList', {})).files, []);

      // Stored bytes damaged on the server's disk: the downloader refuses them.
      const good = path.join(tmp, 'good.bin');
      fs.writeFileSync(good, data);
      await alice.files.send(good, { to: 'bob' }).finished;
      const [offer] = await bob.files.refresh();
      assert.ok(offer);
      const blob = path.join(t.dataDir, 'files', 'blobs', digest.slice(0, 2), digest);
      const stored = fs.readFileSync(blob);
      stored[1234] = (stored[1234] as number) ^ 1;
      fs.writeFileSync(blob, stored);
      const dir = path.join(tmp, 'bob');
      const down = bob.files.download(offer, dir);
      await rejectsWith(down.finished, ErrorCode.FILE_CORRUPT);
      assert.deepEqual(fs.readdirSync(dir), []);
    });

    it("refuses chunks of another user's upload, at a wrong offset, or malformed", async () => {
      const [alice, bob] = await meeting('alice', 'bob');
      const data = randomBytes(1000);
      const digest = createHash('sha256').update(data).digest('hex');
      const { file } = await alice.request('fileOffer', {
        name: 'a.bin',
        size: 1000,
        sha256: digest,
      });
      const max = LINK_SPECS.files.maxFrameSize;
      // Bob writes into Alice's upload: refused, nothing stored.
      const bobLink = await bob.files.link();
      const refused = waitFor<[number, string]>(bobLink, 'fail');
      bobLink.send(encodeFileChunk(file.id, 0, data, max));
      assert.deepEqual((await refused).slice(0, 2), [file.id, ErrorCode.FILE_OFFSET]);
      // Alice skips ahead: refused.
      const link = await alice.files.link();
      const skipped = waitFor<[number, string]>(link, 'fail');
      link.send(encodeFileChunk(file.id, 500, data.subarray(500), max));
      assert.deepEqual((await skipped).slice(0, 2), [file.id, ErrorCode.FILE_OFFSET]);
      const partial = path.join(t.dataDir, 'files', 'partial', String(file.id));
      assert.equal(fs.existsSync(partial) ? fs.statSync(partial).size : 0, 0, 'nothing stored');
      // A re-offer resumes from 0 and the right bytes complete it.
      const again = await alice.request('fileOffer', { name: 'a.bin', size: 1000, sha256: digest });
      assert.equal(again.file.id, file.id);
      assert.equal(again.offset, 0);
      const acked = waitFor<[number, number]>(link, 'ack');
      link.send(encodeFileChunk(file.id, 0, data, max));
      assert.deepEqual(await acked, [file.id, 1000]);
      // A truncated chunk frame ends the link.
      const closed = waitFor(link, 'close');
      link.socket.socket.write(Buffer.from([0, 0, 0, 3, 3, 0, 0]));
      await closed;
    });

    it('only recipients may list or download: non-member, member of another meeting, former member', async () => {
      const [alice, bob, dave] = await meeting('alice', 'bob', 'dave');
      const meetingId = alice.meeting?.id as string;
      // Dave leaves before the file is sent: a former member.
      await dave.leaveMeeting();
      const eve = await user('eve'); // in no meeting
      const [mallory] = [await user('mallory')];
      await mallory.createMeeting('elsewhere'); // member of another meeting
      const file = randomFile('room.txt', 1000);
      await alice.files.send(file, { laterJoiners: false }).finished;
      const [offer] = await bob.files.refresh();
      assert.ok(offer);
      for (const [c, name] of [
        [eve, 'eve'],
        [mallory, 'mallory'],
        [dave, 'dave'],
      ] as const) {
        const d = c.files.download(offer, path.join(tmp, name));
        await rejectsWith(d.finished, ErrorCode.FILE_NOT_FOUND).catch((e) => {
          throw new Error(`${name}: ${String(e)}`);
        });
      }
      await rejectsWith(eve.request('fileList', {}), ErrorCode.NOT_IN_MEETING);
      assert.deepEqual((await mallory.request('fileList', {})).files, []);
      // Dave comes back: the file was not offered to later joiners.
      await dave.joinMeeting(meetingId);
      assert.deepEqual((await dave.request('fileList', {})).files, []);
      // A file offered to later joiners is his to download.
      await alice.files.send(file, { name: 'for-all.txt', laterJoiners: true }).finished;
      const eveNow = await user('frank');
      await eveNow.joinMeeting(meetingId);
      const [late] = await eveNow.files.refresh();
      assert.ok(late && late.name === 'for-all.txt');
      await eveNow.files.download(late, path.join(tmp, 'frank')).finished;
    });

    it('makes bad names safe on the server and again on the client, or refuses them', async () => {
      const [alice, bob] = await meeting('alice', 'bob');
      const digest = createHash('sha256').update('hi').digest('hex');
      const offer = (name: string) =>
        alice.request('fileOffer', { name, size: 2, sha256: digest, to: 'bob' });
      for (const bad of ['..', '../', '/', '\u0000', '\u0001\u0002', ' . . ', '\\..\\'])
        await rejectsWith(offer(bad), ErrorCode.FILE_NAME);
      const cases: Array<[string, string]> = [
        ['../../etc/passwd', 'passwd'],
        ['/etc/shadow', 'shadow'],
        ['C:\\Windows\\system32\\evil.dll', 'evil.dll'],
        ['a\u0000b\u0007c.txt', 'abc.txt'],
        ['con', '_con'],
        ['LPT1.txt', '_LPT1.txt'],
        ['aux.tar.gz', '_aux.tar.gz'],
        ['what?<>|*.txt', 'what_____.txt'],
        ['.bashrc', 'bashrc'],
        ['trailing. . ', 'trailing'],
        ['evil\u202egnp.exe', 'evilgnp.exe'],
      ];
      for (const [raw, safe] of cases) {
        const { file } = await alice.request('fileOffer', {
          name: raw,
          size: 2 + cases.findIndex((c) => c[0] === raw),
          sha256: digest,
          to: 'bob',
        });
        assert.equal(file.name, safe, JSON.stringify(raw));
      }
      const long = `${'é'.repeat(300)}.txt`;
      const { file: longFile } = await alice.request('fileOffer', {
        name: long,
        size: 100,
        sha256: digest,
        to: 'bob',
      });
      assert.ok(Buffer.byteLength(longFile.name) <= 255 && longFile.name.endsWith('.txt'));
      await rejectsWith(offer('x'.repeat(1025)), ErrorCode.BAD_REQUEST);

      // The client does not trust the server's name either.
      const { safeTarget } = await import('../../client/files/paths');
      const dir = path.join(tmp, 'dl');
      fs.mkdirSync(dir);
      assert.equal(safeTarget(dir, '../../x', 'f'), path.join(dir, 'x'));
      assert.equal(safeTarget(dir, 'nul', 'f'), path.join(dir, '_nul'));
      assert.equal(safeTarget(dir, '..', 'file-3'), path.join(dir, 'file-3'));
      fs.writeFileSync(path.join(dir, 'x'), '');
      assert.equal(safeTarget(dir, 'x', 'f'), path.join(dir, 'x (1)'));
      void bob;
    });

    it('enforces the per-file size limit and the per-user quota with their codes', async () => {
      const [alice] = await meeting('alice', 'bob');
      const digest = 'a'.repeat(64);
      await rejectsWith(
        alice.request('fileOffer', { name: 'huge', size: 64 * MB + 1, sha256: digest }),
        ErrorCode.FILE_TOO_LARGE,
      );
      await alice.request('fileOffer', { name: 'one', size: 60 * MB, sha256: digest });
      await rejectsWith(
        alice.request('fileOffer', { name: 'two', size: 41 * MB, sha256: 'b'.repeat(64) }),
        ErrorCode.QUOTA_EXCEEDED,
      );
      await rejectsWith(
        alice.request('fileOffer', { name: 'x', size: 1, sha256: digest, to: 'nobody' }),
        ErrorCode.RECIPIENT_NOT_FOUND,
      );
      // Cancelling the unfinished upload gives its bytes back.
      const { file } = await alice.request('fileOffer', {
        name: 'one',
        size: 60 * MB,
        sha256: digest,
      });
      await alice.request('fileCancel', { fileId: file.id });
      await alice.request('fileOffer', { name: 'two', size: 41 * MB, sha256: 'b'.repeat(64) });
    });

    it('writes the chat a leaving member saw to its chat log', async () => {
      const [alice, bob] = await meeting('alice', 'bob');
      const logFile = path.join(tmp, 'logs', 'bob.txt');
      bob.chatLog = () => logFile;
      const heard = waitFor(bob, 'chat', () => bob.chat.length >= 2);
      await alice.say('hello all');
      await alice.say('psst\nsecret', 'bob');
      await heard;
      await bob.say('bye\tnow');
      const saved = waitFor<[string]>(bob, 'chatSaved');
      await bob.leaveMeeting();
      const [where] = await saved;
      assert.equal(where, logFile);
      const lines = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n');
      assert.ok(lines[0]?.startsWith('# meeting '));
      const body = lines.filter((l) => !l.startsWith('#')).map((l) => l.split('\t').slice(1));
      assert.deepEqual(body, [
        ['alice', '*', 'hello all'],
        ['alice', 'bob', 'psst\\nsecret'],
        ['bob', '*', 'bye\\tnow'],
      ]);
    });
  });
}
