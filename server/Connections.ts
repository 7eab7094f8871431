/**
 * The links open on this node, not yet owned by a session or owned by one: capped per IP address
 * and in total. A connection over a cap gets one `protocolError` frame (ERR_TOO_MANY_CONNECTIONS)
 * and is closed; the others are counted until they close.
 */
import type net from 'node:net';
import { MAX_FRAME_SIZE } from '../common/constants';
import { ErrorCode } from '../common/errors';
import { LINK_KINDS, type LinkKind } from '../common/links';
import { encodeControl, type ServerEventName, type ServerEvents } from '../common/protocol';
import { Connection, type ConnectionOptions } from './Connection';

export interface ConnectionCaps {
  /** Links open at once from one IP address (a client uses three). */
  connectionsPerAddress: number;
  /** Links open at once in total. */
  connectionsTotal: number;
}

export class Connections {
  readonly #caps: ConnectionCaps;
  readonly #open = new Set<Connection>();
  readonly #perAddress = new Map<string, number>();

  constructor(caps: ConnectionCaps) {
    this.#caps = caps;
  }

  get size(): number {
    return this.#open.size;
  }

  /** Open links by kind (metrics; a not-yet-attached link counts as control). */
  byKind(): Record<LinkKind, number> {
    const counts = Object.fromEntries(LINK_KINDS.map((k) => [k, 0])) as Record<LinkKind, number>;
    for (const c of this.#open) counts[c.kind]++;
    return counts;
  }

  /** Sends an event on every open control link (the shutdown's notice). */
  tellControlLinks<K extends ServerEventName>(event: K, data: ServerEvents[K]): void {
    for (const c of this.#open) if (c.kind === 'control') c.sendEvent(event, data);
  }

  /** Wraps an accepted socket in a Connection, or refuses it (null) when over a cap. */
  accept(socket: net.Socket, options: Omit<ConnectionOptions, 'socket'>): Connection | null {
    const ip = socket.remoteAddress ?? '?';
    const fromIp = this.#perAddress.get(ip) ?? 0;
    if (
      fromIp >= this.#caps.connectionsPerAddress ||
      this.#open.size >= this.#caps.connectionsTotal
    ) {
      refuse(socket, fromIp >= this.#caps.connectionsPerAddress ? 'address' : 'server');
      return null;
    }
    this.#perAddress.set(ip, fromIp + 1);
    const connection = new Connection({ socket, ...options });
    this.#open.add(connection);
    connection.once('@close', () => {
      this.#open.delete(connection);
      const left = (this.#perAddress.get(ip) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(ip, left);
      else this.#perAddress.delete(ip);
    });
    return connection;
  }

  /** Drops every link at once (server shutdown). */
  destroyAll(reason: string): void {
    for (const c of [...this.#open]) c.destroy(reason);
  }

  /**
   * Ends every link after flushing what is queued for it (a graceful shutdown's last words reach
   * the clients); resolves once all have closed, or after `ms`.
   */
  async endAll(reason: string, ms: number): Promise<void> {
    for (const c of [...this.#open]) c.close(reason);
    const deadline = Date.now() + ms;
    while (this.#open.size > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
  }
}

/** Refuses a connection over a cap with one protocolError frame, then closes it. */
function refuse(socket: net.Socket, scope: 'address' | 'server'): void {
  const frame = encodeControl(
    {
      event: 'protocolError',
      data: {
        code: ErrorCode.TOO_MANY_CONNECTIONS,
        message:
          scope === 'address'
            ? 'too many connections from this address'
            : 'the server is at its connection limit',
      },
    },
    MAX_FRAME_SIZE.control,
  );
  socket.on('error', () => undefined);
  socket.end(frame);
  setTimeout(() => socket.destroy(), 1000).unref();
}
