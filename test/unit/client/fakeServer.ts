/**
 * A scripted stand-in for the meeting server: a TCP listener on port 0 whose links speak the framing
 * layer. Each request goes to `answer` (a reply body, or nothing to stay silent); tests push events,
 * raw frames or garbage down a link themselves. For testing the client's layers alone.
 */
import net from 'node:net';
import { MAX_FRAME_SIZE } from '../../../common/constants';
import { FramedSocket } from '../../../common/FramedSocket';
import { decodeControlFrame } from '../../../common/protocol';

export interface FakeRequest {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

/** What to send back: a result, an error, or nothing (the request then times out). */
export type FakeAnswer = { data: unknown } | { error: { code: string; message: string } } | null;

export class FakeServer {
  readonly links: FramedSocket[] = [];
  readonly requests: FakeRequest[] = [];
  answer: (request: FakeRequest, link: FramedSocket) => FakeAnswer = () => ({ data: {} });
  readonly #server = net.createServer((socket) => this.#accept(socket));
  readonly #waiting = new Map<number, Array<(link: FramedSocket) => void>>();

  /** Starts listening on a free port of 127.0.0.1. */
  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return { host: '127.0.0.1', port: (this.#server.address() as net.AddressInfo).port };
  }

  /** Resolves with the `index`-th link accepted (0 first), once it is. */
  link(index: number): Promise<FramedSocket> {
    const link = this.links[index];
    if (link) return Promise.resolve(link);
    return new Promise((resolve) => {
      this.#waiting.set(index, [...(this.#waiting.get(index) ?? []), resolve]);
    });
  }

  /** Sends a server event on `link`. */
  event(link: FramedSocket, event: string, data: unknown): void {
    link.sendControl({ event, data });
  }

  /** Closes every link and the listener. */
  async close(): Promise<void> {
    for (const l of this.links) l.destroy('test over');
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    // The fake accepts frames as large as any link allows; the client's own limits are under test.
    const link = new FramedSocket(socket, MAX_FRAME_SIZE.video);
    const index = this.links.push(link) - 1;
    link.on('frame', (frame) => {
      let request: FakeRequest;
      try {
        request = decodeControlFrame(frame) as FakeRequest;
      } catch {
        return; // media frames and garbage are the test's business
      }
      this.requests.push(request);
      const answer = this.answer(request, link);
      if (!answer) return;
      link.sendControl(
        'data' in answer
          ? { id: request.id, ok: true, data: answer.data }
          : { id: request.id, ok: false, error: answer.error },
      );
    });
    for (const wake of this.#waiting.get(index) ?? []) wake(link);
    this.#waiting.delete(index);
  }
}
