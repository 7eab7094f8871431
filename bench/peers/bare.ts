/**
 * The floor: a bare Node fan-out. A client's first frame names its room (u32) and is answered with an empty frame; every later frame
 * (u32 length prefix + body) is written unchanged to every other socket of that room. No
 * validation, no queues, no backpressure: what Node's sockets alone cost per delivered frame.
 */
import net from 'node:net';
import tls from 'node:tls';
import { lengthPrefixedReader, reply, runChild } from './protocol';

const MAX_FRAME = 64 * 1024;

async function runBare(): Promise<void> {
  const rooms = new Map<number, Set<net.Socket>>();
  const onSocket = (socket: net.Socket): void => {
    socket.setNoDelay(true);
    let room: Set<net.Socket> | null = null;
    socket.on(
      'data',
      lengthPrefixedReader(
        MAX_FRAME,
        (frame) => {
          if (room === null) {
            const id = frame.readUInt32BE(4);
            room = rooms.get(id) ?? new Set();
            rooms.set(id, room);
            room.add(socket);
            socket.write(Buffer.alloc(4)); // an empty frame: you are in (no frame can be lost before)
          } else {
            for (const other of room) if (other !== socket) other.write(frame);
          }
        },
        () => socket.destroy(),
      ),
    );
    socket.on('error', () => undefined);
    socket.on('close', () => room?.delete(socket));
  };
  // `--tls` (the bare-tls target): the same fan-out over Node's TLS, with the bench's self-signed
  // certificate (PEM in the environment, from the orchestrator).
  let server: net.Server;
  if (process.argv.includes('--tls')) {
    const key = process.env.BENCH_TLS_KEY;
    const cert = process.env.BENCH_TLS_CERT;
    if (!key || !cert) throw new Error('bare --tls: BENCH_TLS_KEY and BENCH_TLS_CERT must be set');
    server = tls.createServer({ key, cert }, onSocket);
  } else {
    server = net.createServer(onSocket);
  }
  const close = (): void => {
    server.close();
    process.exit(0);
  };
  process.on('SIGTERM', close);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  reply({ type: 'ready', port: (server.address() as net.AddressInfo).port });
}

if (require.main === module) runChild(runBare);
