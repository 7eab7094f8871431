/**
 * Connection's reply contract over a real TCP pair: a reply's side effects (`after`) are committed
 * only when the reply encodes on an open link, and rolled back otherwise (a join must never leave a
 * half-joined member). The dispatcher is the seam; everything else is real.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { MAX_FRAME_SIZE } from '../../../common/constants';
import { ErrorCode } from '../../../common/errors';
import { FrameDecoder } from '../../../common/framing';
import { decodeControlFrame, encodeControl } from '../../../common/protocol';
import { Connection, type Dispatcher, type Reply } from '../../../server/Connection';
import { DEFAULT_LIMITS } from '../../../server/limits';
import { createLogger } from '../../../server/logger';
import { sleep } from '../../helpers/server';

/** A Connection on the server side of a loopback pair, and the client side's socket. */
async function pair(dispatch: Dispatcher): Promise<{ client: net.Socket; close: () => void }> {
  const server = net.createServer((socket) => {
    new Connection({ socket, dispatch, limits: DEFAULT_LIMITS, logger: createLogger('silent') });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => client.once('connect', () => r()));
  return {
    client,
    close: () => {
      client.destroy();
      server.close();
    },
  };
}

function tracker(): { calls: string[]; after: { sent(): void; failed(): void } } {
  const calls: string[] = [];
  return { calls, after: { sent: () => calls.push('sent'), failed: () => calls.push('failed') } };
}

describe('Connection replies', function () {
  this.timeout(10_000);

  it("commits a reply's side effects once it is sent, before the client reads it", async () => {
    const t = tracker();
    const p = await pair(async (): Promise<Reply> => ({
      ok: true,
      data: { fine: 1 },
      after: t.after,
    }));
    const got: unknown[] = [];
    const decoder = new FrameDecoder(MAX_FRAME_SIZE.control);
    p.client.on('data', (c: Buffer) => got.push(...decoder.push(c).map(decodeControlFrame)));
    p.client.write(encodeControl({ id: 1, type: 'anything', data: {} }, 1000));
    await sleep(200);
    p.close();
    assert.deepEqual(t.calls, ['sent']);
    assert.deepEqual(got, [{ id: 1, ok: true, data: { fine: 1 } }]);
  });

  it('rolls back when the link closed while the request ran', async () => {
    const t = tracker();
    let release: () => void = () => undefined;
    const running = new Promise<void>((r) => (release = r));
    const p = await pair(async (): Promise<Reply> => {
      await running;
      return { ok: true, data: {}, after: t.after };
    });
    p.client.write(encodeControl({ id: 1, type: 'slow', data: {} }, 1000));
    await sleep(100);
    p.client.destroy(); // the client leaves mid-request
    await sleep(100);
    release();
    await sleep(100);
    p.close();
    assert.deepEqual(t.calls, ['failed']);
  });

  it('rolls back, and answers ERR_REPLY_TOO_LARGE, when the reply does not fit in a frame', async () => {
    const t = tracker();
    const huge = 'x'.repeat(MAX_FRAME_SIZE.control);
    const p = await pair(async (): Promise<Reply> => ({
      ok: true,
      data: { huge },
      after: t.after,
    }));
    const got: Array<{ id: number; ok: boolean; error?: { code: string } }> = [];
    const decoder = new FrameDecoder(MAX_FRAME_SIZE.control);
    p.client.on('data', (c: Buffer) =>
      got.push(...(decoder.push(c).map(decodeControlFrame) as typeof got)),
    );
    p.client.write(encodeControl({ id: 7, type: 'join', data: {} }, 1000));
    await sleep(200);
    p.close();
    assert.deepEqual(t.calls, ['failed']);
    assert.equal(got.length, 1);
    assert.equal(got[0]?.id, 7);
    assert.equal(got[0]?.error?.code, ErrorCode.REPLY_TOO_LARGE);
  });
});
