/**
 * Bad input: each offending connection gets a typed error or is closed with a logged reason, and the
 * server and every other member carry on.
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { FrameType, MAX_FRAME_SIZE, MediaKind } from '../../common/constants';
import { ErrorCode, MeetingError } from '../../common/errors';
import { FrameDecoder, encodeFrame } from '../../common/framing';
import { encodeMediaFrame } from '../../common/media';
import { decodeControlFrame, encodeControl } from '../../common/protocol';
import type { MeetingClient } from '../../client/MeetingClient';
import {
  collect,
  rawSocket,
  readUntilClose,
  sleep,
  startTestServer,
  waitFor,
  type TestServer,
} from '../helpers/server';

/** Control messages a raw socket received (replies and events). */
function messages(data: Buffer): Array<Record<string, unknown>> {
  const frames = new FrameDecoder(MAX_FRAME_SIZE.control).push(data);
  return frames.map((f) => decodeControlFrame(f) as Record<string, unknown>);
}

function errorCodes(data: Buffer): string[] {
  return messages(data).map((m) => {
    const body = (m.error ?? m.data) as { code?: string } | undefined;
    return body?.code ?? '';
  });
}

describe('bad input', function () {
  this.timeout(20_000);
  let t: TestServer;
  let bystander: MeetingClient;
  let meetingId: string;

  beforeEach(async () => {
    t = await startTestServer('sqlite');
    bystander = await t.client();
    await bystander.register('bystander', 'password1');
    meetingId = (await bystander.createMeeting('Carry on')).meeting.id;
  });
  afterEach(async () => {
    await t.stop();
  });

  /** The server still serves everybody: the bystander chats and a new client logs in. */
  async function serverCarriesOn(): Promise<void> {
    assert.equal(bystander.connected, true);
    await bystander.say('still here');
    const other = await t.client({ media: false });
    await other.register(`after${Math.floor(Math.random() * 1e6)}`, 'password1');
    await other.joinMeeting(meetingId);
  }

  async function send(
    bytes: Buffer,
    wait = 1500,
  ): Promise<{ data: Buffer; closed: boolean; socket: net.Socket }> {
    const socket = await rawSocket(t.port);
    const result = readUntilClose(socket, wait);
    socket.write(bytes);
    return { ...(await result), socket };
  }

  it('garbage bytes close that connection with ERR_FRAME_TOO_LARGE', async () => {
    const r = await send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(r.closed, true);
    assert.deepEqual(errorCodes(r.data), [ErrorCode.FRAME_TOO_LARGE]);
    await serverCarriesOn();
  });

  it('an oversized frame is refused from its prefix alone', async () => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(MAX_FRAME_SIZE.control + 1);
    const r = await send(prefix);
    assert.equal(r.closed, true);
    assert.deepEqual(errorCodes(r.data), [ErrorCode.FRAME_TOO_LARGE]);
    await serverCarriesOn();
  });

  it('an empty frame closes the connection with ERR_BAD_FRAME', async () => {
    const r = await send(Buffer.alloc(4));
    assert.equal(r.closed, true);
    assert.deepEqual(errorCodes(r.data), [ErrorCode.BAD_FRAME]);
  });

  it('a truncated frame followed by a disconnect leaves the server serving', async () => {
    const whole = encodeControl({ id: 1, type: 'ping', data: {} }, 1000);
    const socket = await rawSocket(t.port);
    socket.end(whole.subarray(0, whole.length - 3));
    await sleep(100);
    await serverCarriesOn();
  });

  it('bad JSON, unknown types, invalid parameters and requests before login get typed errors', async () => {
    const socket = await rawSocket(t.port);
    const result = readUntilClose(socket, 1000);
    socket.write(encodeFrame(FrameType.CONTROL, Buffer.from('{not json'), 1000));
    socket.write(encodeControl({ id: 'x', type: 'ping' }, 1000));
    socket.write(encodeControl({ id: 2, type: 'fly', data: {} }, 1000));
    socket.write(encodeControl({ id: 3, type: 'login', data: { username: 5 } }, 1000));
    socket.write(encodeControl({ id: 4, type: 'chat', data: { text: 'hi' } }, 1000));
    socket.write(encodeControl({ id: 5, type: 'ping', data: {} }, 1000));
    const { data, closed } = await result;
    assert.equal(closed, false, 'the connection stays usable');
    // Requests are answered in order; a ping is answered at once (it may overtake them).
    assert.deepEqual(
      errorCodes(data).filter((code) => code !== ''),
      [
        ErrorCode.BAD_JSON,
        ErrorCode.BAD_REQUEST,
        ErrorCode.UNKNOWN_TYPE,
        ErrorCode.BAD_REQUEST,
        ErrorCode.NOT_LOGGED_IN,
      ],
    );
    assert.ok(
      messages(data).some((m) => m.id === 5 && m.ok === true),
      'the ping was answered',
    );
    socket.destroy();
    await serverCarriesOn();
  });

  it('a media frame on a control link is refused; a control frame on a media link closes it', async () => {
    const r = await send(
      encodeMediaFrame(
        { kind: MediaKind.AUDIO, source: 0, flags: 0, sender: 0, sequence: 1, timestamp: 1 },
        Buffer.from('x'),
        1000,
      ),
    );
    assert.deepEqual(errorCodes(r.data), [ErrorCode.UNEXPECTED_FRAME]);
    const audio = bystander.transport.linkForTests('audio');
    assert.ok(audio);
    const closed = waitFor(audio, 'close');
    audio.sendControl({ id: 9, type: 'ping', data: {} });
    await closed;
    await serverCarriesOn();
  });

  it('an oversized media frame closes only that media link', async () => {
    const guest = await t.client();
    await guest.register('guest', 'password1');
    await guest.joinMeeting(meetingId);
    const audio = guest.transport.linkForTests('audio');
    assert.ok(audio);
    const closed = waitFor(audio, 'close');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_SIZE.audio + 1);
    audio.socket.write(header);
    await closed;
    assert.equal(guest.connected, true, 'the control link survives');
    await serverCarriesOn();
  });

  it('a media frame too short for its header is dropped without relaying or crashing', async () => {
    const guest = await t.client();
    await guest.register('shorty', 'password1');
    await guest.joinMeeting(meetingId);
    const received: Buffer[] = [];
    bystander.transport.on('frame', (frame) => received.push(frame));
    const drops = collect<string>(t.server.room(meetingId)!.observer, 'dropped', 1);
    // A MEDIA frame whose body is the type byte and two bytes: no kind, no sender, no payload.
    guest.transport.send('audio', encodeFrame(FrameType.MEDIA, Buffer.from([1, 0]), 1000));
    guest.transport.send('video', encodeFrame(FrameType.MEDIA, Buffer.alloc(0), 1000));
    await sleep(300);
    assert.deepEqual(drops, ['malformed', 'malformed']);
    assert.equal(received.length, 0, 'nothing reaches the other member');
    assert.ok(
      guest.transport.isOpen('audio') && guest.transport.isOpen('video'),
      'the links stay open',
    );
    await serverCarriesOn();
  });

  it('answers "server busy" when the worker pool queue is full', async () => {
    await t.stop();
    t = await startTestServer('sqlite', { workerThreads: 1, workerQueue: 1 });
    const clients = await Promise.all(Array.from({ length: 8 }, () => t.client({ media: false })));
    const results = await Promise.allSettled(
      clients.map((c, i) => c.register(`busy${i}`, 'password1')),
    );
    const busy = results.filter(
      (r) =>
        r.status === 'rejected' &&
        r.reason instanceof MeetingError &&
        r.reason.code === ErrorCode.SERVER_BUSY,
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.ok(busy.length > 0, 'some registrations were refused as busy');
    assert.ok(ok.length > 0, 'the pool still served some');
    bystander = clients[results.findIndex((r) => r.status === 'fulfilled')]!;
    meetingId = (await bystander.createMeeting('after busy')).meeting.id;
  });
});
