import assert from 'node:assert/strict';
import { FrameType, MAX_FRAME_SIZE } from '../../../common/constants';
import { ErrorCode, MeetingError } from '../../../common/errors';
import type { FramedSocket } from '../../../common/FramedSocket';
import { encodeFrame } from '../../../common/framing';
import { connectSocket } from '../../../client/connect';
import { RequestChannel, type RequestChannelOptions } from '../../../client/RequestChannel';
import { waitFor } from '../../helpers/server';
import { FakeServer } from './fakeServer';

describe('RequestChannel', () => {
  let server: FakeServer;
  let socket: FramedSocket;
  let far: FramedSocket;

  beforeEach(async () => {
    server = new FakeServer();
    socket = await connectSocket(await server.listen(), MAX_FRAME_SIZE.control, { plain: true });
    far = await server.link(0);
  });
  afterEach(async () => {
    socket.destroy('test over');
    await server.close();
  });

  function channel(options: Partial<RequestChannelOptions> = {}): RequestChannel {
    return new RequestChannel(socket, { timeoutMs: 2000, ...options });
  }

  it('settles each request with the reply of its id, whatever the order', async () => {
    const held: Array<() => void> = [];
    server.answer = (r, link) => {
      held.push(() => link.sendControl({ id: r.id, ok: true, data: { serverTime: r.id } }));
      return null;
    };
    const c = channel();
    const first = c.request('ping', {});
    const second = c.request('ping', {});
    while (held.length < 2) await new Promise((r) => setTimeout(r, 5));
    held[1]!();
    held[0]!();
    assert.deepEqual(await Promise.all([first, second]), [{ serverTime: 1 }, { serverTime: 2 }]);
    assert.equal(c.pending, 0);
  });

  it('rejects with the error code of an error reply, ERR_INTERNAL for a code it does not know', async () => {
    const c = channel();
    server.answer = () => ({ error: { code: ErrorCode.NOT_HOST, message: 'only the host' } });
    await assert.rejects(c.request('setRoomOptions', { allowMultipleScreens: true }), {
      code: ErrorCode.NOT_HOST,
      message: 'only the host',
    });
    server.answer = () => ({ error: { code: 'ERR_FROM_THE_FUTURE', message: 'new' } });
    await assert.rejects(c.request('ping', {}), { code: ErrorCode.INTERNAL, message: 'new' });
  });

  it('routes events to onEvent and media frames to onMedia, and ignores a reply nobody waits for', async () => {
    const events: Array<[string, unknown]> = [];
    const media: Buffer[] = [];
    channel({ onEvent: (n, d) => events.push([n, d]), onMedia: (f) => media.push(f) });
    const frame = encodeFrame(FrameType.MEDIA, Buffer.from('abc'), 100);
    far.sendControl({ id: 99, ok: true, data: {} });
    server.event(far, 'chat', { text: 'hi' });
    far.writeFrame(frame);
    await waitFor(socket, 'frame', () => media.length === 1);
    assert.deepEqual(events, [['chat', { text: 'hi' }]]);
    assert.deepEqual(media, [frame]);
    assert.equal(socket.closed, false);
  });

  it('ends the link on a media frame where none is expected (the control link)', async () => {
    channel();
    const closed = waitFor<[string]>(socket, 'close');
    far.writeFrame(encodeFrame(FrameType.MEDIA, Buffer.from('abc'), 100));
    const [reason] = await closed;
    assert.match(reason, /bad message from server/);
  });

  it('times out a request left unanswered; a message it cannot read ends the link and fails the rest', async () => {
    server.answer = () => null;
    const c = new RequestChannel(socket, { timeoutMs: 100 });
    const started = Date.now();
    await assert.rejects(c.request('ping', {}), { code: ErrorCode.TIMEOUT });
    assert.ok(Date.now() - started >= 90);
    assert.equal(c.pending, 0);
    const waiting = c.request('ping', {});
    far.writeFrame(encodeFrame(FrameType.CONTROL, Buffer.from('{not json'), 100));
    await assert.rejects(waiting, (e: unknown) => {
      return e instanceof MeetingError && e.code === ErrorCode.CONNECTION_CLOSED;
    });
    await assert.rejects(c.request('ping', {}), { code: ErrorCode.CONNECTION_CLOSED });
  });
});
