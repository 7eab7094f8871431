/**
 * Hostile clients against the real `meeting server` process: nothing a client sends ends it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_FRAME_SIZE } from '../../common/constants';
import { ErrorCode } from '../../common/errors';
import { FrameDecoder, encodeFrame } from '../../common/framing';
import { FrameType } from '../../common/constants';
import { decodeControlFrame } from '../../common/protocol';
import { MeetingClient } from '../../client/MeetingClient';
import { rawSocket, readUntilClose } from '../helpers/server';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'meeting.js');

/** Starts `meeting server` on a free port in a temp data folder; resolves once it listens. */
async function startServerProcess(): Promise<{ child: ChildProcess; port: number; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meeting-hostile-'));
  const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--data', dir], {
    env: { ...process.env, MEETING_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${stderr}`)));
  });
  return { child, port, dir };
}

function controlMessages(data: Buffer): Array<Record<string, unknown>> {
  return new FrameDecoder(MAX_FRAME_SIZE.control)
    .push(data)
    .map((f) => decodeControlFrame(f) as Record<string, unknown>);
}

describe('hostile clients: one frame cannot end the server', function () {
  this.timeout(30_000);
  let server: { child: ChildProcess; port: number; dir: string };
  let exited: number | null | undefined;

  before(async () => {
    server = await startServerProcess();
    exited = undefined;
    server.child.once('exit', (code) => (exited = code));
  });
  after(() => {
    server.child.kill('SIGKILL');
    fs.rmSync(server.dir, { recursive: true, force: true });
  });

  for (const [name, key] of [
    // Raw bytes, not UTF-8: the server decodes each 0xFF as U+FFFD, three bytes when echoed.
    ['a 60,000-byte key of 0xFF', Buffer.alloc(60_000, 0xff)],
    ['a 65,450-character ASCII key', Buffer.from('k'.repeat(65_450))],
  ] as const) {
    it(`an unauthenticated ping with ${name} gets a short typed error and the server lives`, async () => {
      const payload = Buffer.concat([
        Buffer.from('{"id":7,"type":"ping","data":{"'),
        key,
        Buffer.from('":1}}'),
      ]);
      // As large as the control link allows: the bug needed the echo to overflow the reply frame.
      assert.ok(payload.length + 1 <= MAX_FRAME_SIZE.control, `${payload.length}`);
      const socket = await rawSocket(server.port);
      const read = readUntilClose(socket, 1000);
      socket.write(encodeFrame(FrameType.CONTROL, payload, MAX_FRAME_SIZE.control));
      const { data } = await read;
      socket.destroy();
      const [reply] = controlMessages(data) as Array<{
        id: number;
        ok: boolean;
        error: { code: string; message: string };
      }>;
      assert.ok(reply, 'a reply arrived');
      assert.equal(reply.id, 7);
      assert.equal(reply.ok, false);
      assert.equal(reply.error.code, ErrorCode.BAD_REQUEST);
      assert.ok(reply.error.message.length <= 300, `message of ${reply.error.message.length}`);
      assert.equal(exited, undefined, 'the server process is still running');

      // And a real member can still register and open a meeting on it.
      const client = new MeetingClient({ host: '127.0.0.1', port: server.port }, { media: false });
      await client.connect();
      try {
        await client.register(`alive${Math.floor(Math.random() * 1e6)}`, 'password1');
        const joined = await client.createMeeting('Still serving');
        assert.ok(joined.meeting.id);
      } finally {
        await client.close();
      }
      assert.equal(exited, undefined);
    });
  }
});
