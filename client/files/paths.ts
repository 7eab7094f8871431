/** Where a received file may be written: sanitised again on this side, never outside the folder. */
import fs from 'node:fs';
import path from 'node:path';
import { sanitizeFileName } from '../../common/files';

/**
 * A path inside `dir` for a file the server calls `name`, not overwriting anything: the name is
 * sanitised again (the server is not trusted with the local file system), then `name (1).ext`,
 * `name (2).ext`, … while taken.
 */
export function safeTarget(dir: string, name: string, fallback: string): string {
  const root = path.resolve(dir);
  const safe = sanitizeFileName(name) ?? sanitizeFileName(fallback) ?? 'file';
  const dot = safe.lastIndexOf('.');
  const stem = dot > 0 ? safe.slice(0, dot) : safe;
  const ext = dot > 0 ? safe.slice(dot) : '';
  for (let i = 0; ; i++) {
    const candidate = path.join(root, i === 0 ? safe : `${stem} (${i})${ext}`);
    if (path.dirname(candidate) !== root) throw new TypeError('file name escapes the folder');
    if (!fs.existsSync(candidate)) return candidate;
  }
}
