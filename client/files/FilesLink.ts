/**
 * The client's files link: a TCP link attached to the session as kind `files`. Chunks of uploads
 * go out through `send()` (false: wait for 'drain'), chunks of downloads come in as 'chunk', and
 * the server's acknowledgements and transfer errors as 'ack' and 'fail'. Media never shares it.
 */
import { ErrorCode, type ErrorCodeValue } from '../../common/errors';
import { decodeFileChunk, type FileChunk } from '../../common/files';
import type { FramedSocket } from '../../common/FramedSocket';
import { LINK_SPECS } from '../../common/links';
import { parseServerEvent } from '../../common/protocol';
import { TypedEmitter } from '../../common/TypedEmitter';
import { connectSocket, type LinkSecurity, type ServerAddress } from '../connect';
import { RequestChannel } from '../RequestChannel';

export type FilesLinkEvents = {
  chunk: [chunk: FileChunk];
  ack: [fileId: number, offset: number];
  fail: [fileId: number, code: ErrorCodeValue, message: string];
  drain: [];
  close: [reason: string];
};

export class FilesLink extends TypedEmitter<FilesLinkEvents> {
  readonly socket: FramedSocket;

  private constructor(socket: FramedSocket) {
    super();
    this.socket = socket;
    socket.on('drain', () => this.safeEmit('drain'));
    socket.on('close', (reason) => this.safeEmit('close', reason));
  }

  /** Connects and attaches a files link to the session `token` names. */
  static async open(
    address: ServerAddress,
    security: LinkSecurity,
    token: string,
    timeoutMs: number,
  ): Promise<FilesLink> {
    const socket = await connectSocket(
      address,
      LINK_SPECS.control.maxFrameSize,
      security,
      timeoutMs,
    );
    // The link exists before the attach reply, so nothing the server sends is missed.
    const link = new FilesLink(socket);
    const channel = new RequestChannel(socket, {
      timeoutMs,
      onFile: (frame) => link.#onFile(frame),
      onEvent: (name, data) => link.#onEvent(name, data),
    });
    try {
      await channel.request('attach', { token, link: 'files' });
    } catch (error) {
      socket.destroy('attach failed');
      throw error;
    }
    socket.maxFrameSize = LINK_SPECS.files.maxFrameSize;
    return link;
  }

  get closed(): boolean {
    return this.socket.closed;
  }

  get queuedBytes(): number {
    return this.socket.queuedBytes;
  }

  /** Writes a whole chunk frame; false when the link is backed up (wait for 'drain') or closed. */
  send(frame: Buffer): boolean {
    return this.socket.writeFrame(frame);
  }

  /** Stops (true) or restarts reading the link: a download waiting for the disk holds the sender. */
  hold(on: boolean): void {
    if (on) this.socket.socket.pause();
    else this.socket.socket.resume();
  }

  close(reason = 'client closing'): void {
    this.socket.close(reason);
  }

  /** Drops the link at once (tests cut it this way). */
  destroy(reason = 'cut'): void {
    this.socket.destroy(reason);
  }

  #onFile(frame: Buffer): void {
    try {
      this.safeEmit('chunk', decodeFileChunk(frame));
    } catch (error) {
      this.socket.destroy(`bad file chunk from server: ${(error as Error).message}`);
    }
  }

  #onEvent(name: string, data: unknown): void {
    let event;
    try {
      event = parseServerEvent(name, data);
    } catch {
      return;
    }
    if (event?.name === 'fileAck') this.safeEmit('ack', event.data.fileId, event.data.offset);
    else if (event?.name === 'fileError')
      this.safeEmit('fail', event.data.fileId, event.data.code, event.data.message);
    else if (event?.name === 'protocolError')
      this.safeEmit('fail', 0, ErrorCode.BAD_REQUEST, event.data.message);
  }
}
