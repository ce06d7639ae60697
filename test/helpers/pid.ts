import { existsSync, readFileSync } from 'node:fs';

/** A pid is gone when signalling it fails or it is a zombie nobody reaped yet. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  return !/^\d+ \(.*\) Z/u.test(readFileSync(stat, 'utf8'));
}
