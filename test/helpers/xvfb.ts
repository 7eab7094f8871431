/**
 * A display for GUI tests: uses $DISPLAY when set (the test command runs under Xvfb), otherwise
 * starts a private Xvfb for this process and stops it on exit.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

let xvfb: ChildProcess | null = null;

/** Returns a usable DISPLAY value, starting Xvfb if needed. */
export async function ensureDisplay(): Promise<string> {
  if (process.env.DISPLAY) return process.env.DISPLAY;
  if (spawnSync('which', ['Xvfb']).status !== 0)
    throw new Error('Xvfb is not installed (run npm run setup)');
  for (let n = 90; n < 130; n++) {
    if (fs.existsSync(`/tmp/.X${n}-lock`)) continue;
    const child = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (fs.existsSync(`/tmp/.X11-unix/X${n}`)) {
        xvfb = child;
        process.env.DISPLAY = `:${n}`;
        process.once('exit', () => xvfb?.kill());
        return process.env.DISPLAY;
      }
      if (child.exitCode !== null) break;
    }
    child.kill();
  }
  throw new Error('could not start Xvfb');
}
