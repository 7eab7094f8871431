/** Wall-clock milliseconds with sub-millisecond resolution (same epoch as Date.now()). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
