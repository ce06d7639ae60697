/** Writing a service file so that re-running an install changes nothing (same bytes: not touched). */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type WriteOutcome = 'created' | 'updated' | 'unchanged';

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Writes `text` atomically (temp file + rename) unless the file already holds exactly it. */
export function writeIfChanged(path: string, text: string, mode = 0o644): WriteOutcome {
  const before = readText(path);
  if (before === text) return 'unchanged';
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
  return before === undefined ? 'created' : 'updated';
}

/** Removes the file; whether it was there. */
export function removeFile(path: string): boolean {
  if (readText(path) === undefined) return false;
  rmSync(path, { force: true });
  return true;
}
