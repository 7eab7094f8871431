/**
 * Entry point of a recording's compositor process (spawned by server/recording/Recorder.ts). Reads
 * the framed stream on stdin, writes segment files, reports on stdout (one JSON object a line) and
 * exits once the stop time is written. When stdin ends without a stop (the server died), the open
 * segment is finished with what arrived, so a crash of the server loses only its last moments.
 */
import { nowMs } from '../../../common/clock';
import { FrameType, MAX_FRAME_SIZE } from '../../../common/constants';
import { FrameDecoder, framePayload, frameType } from '../../../common/framing';
import { Compositor } from './Compositor';
import type { CompositorCommand, CompositorEvent } from './protocol';

const PUMP_MS = 20;

function emit(e: CompositorEvent): void {
  process.stdout.write(`${JSON.stringify(e)}\n`);
}

function main(): void {
  const decoder = new FrameDecoder(MAX_FRAME_SIZE.video);
  let compositor: Compositor | null = null;
  let ending = false;
  let timer: NodeJS.Timeout | null = null;

  const finish = (): void => {
    if (ending) return;
    ending = true;
    if (timer) clearInterval(timer);
    const c = compositor;
    void (c ? c.close() : Promise.resolve()).then(() => {
      emit({ event: 'done' });
      process.exitCode = 0;
    });
  };

  const command = (cmd: CompositorCommand): void => {
    if (cmd.type === 'start') {
      if (compositor) return;
      const c = new Compositor(cmd, emit);
      compositor = c;
      // The pump runs in the check phase, after the poll phase has read whatever waits on stdin:
      // after a stall (a busy host), frames that arrived in time are taken before the timeline
      // moves past them.
      timer = setInterval(
        () =>
          setImmediate(() => {
            c.pump(nowMs());
            if (c.finished) finish();
          }),
        PUMP_MS,
      );
    } else if (cmd.type === 'member') compositor?.member(cmd);
    else if (cmd.type === 'stop') compositor?.stop(cmd.at);
  };

  process.stdin.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = decoder.push(chunk);
    } catch {
      // The server writes this stream; a broken one means it is gone.
      process.stdin.destroy();
      return;
    }
    for (const frame of frames) {
      if (frameType(frame) === FrameType.CONTROL) {
        command(JSON.parse(framePayload(frame).toString('utf8')) as CompositorCommand);
      } else compositor?.media(frame);
    }
  });
  const orphaned = (): void => {
    // The server is gone: finish what arrived.
    const c = compositor;
    if (!c) return finish();
    c.stop(nowMs() - 1);
  };
  process.stdin.on('end', orphaned);
  process.stdin.on('close', orphaned);
  process.stdin.on('error', orphaned);
  process.stdout.on('error', () => undefined);
}

main();
