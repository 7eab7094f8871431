/** How file sizes and rates read for people, in the bot's progress and the desktop's Files panel. */

/** A byte count: 512 B, 3.4 MB, 1.2 GB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i] as string}`;
}
