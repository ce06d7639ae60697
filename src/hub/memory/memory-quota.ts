/**
 * Per-agent memory quota: how many files and bytes an agent's memory directory holds
 * (`memoryMaxFiles`, `memoryMaxBytes`), and the check an export makes before it writes.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '../core.js';

export interface Usage {
  files: number;
  bytes: number;
}

/** Regular files under `root` (symbolic links are neither followed nor counted); a missing root is empty. */
export function usageOf(root: string): Usage {
  const out: Usage = { files: 0, bytes: 0 };
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        out.files++;
        out.bytes += st.size;
      }
    }
  };
  walk(root);
  return out;
}

/**
 * Throws 413 naming the limit when writing `newBytes` to `target` (replacing whatever it holds)
 * would take the directory past `maxFiles` or `maxBytes`.
 */
export function assertRoom(root: string, target: string, newBytes: number, o: { maxFiles: number; maxBytes: number }): void {
  const used = usageOf(root);
  const old = lstatSync(target, { throwIfNoEntry: false });
  const replaces = old?.isFile() === true;
  const files = used.files + (replaces ? 0 : 1);
  const bytes = used.bytes - (replaces ? (old?.size ?? 0) : 0) + newBytes;
  if (files > o.maxFiles) {
    throw HubError.of('memory_quota', `memory quota: this would be file ${files} of at most ${o.maxFiles} (limit memoryMaxFiles, --memory-max-files); overwrite an existing target_path instead`);
  }
  if (bytes > o.maxBytes) {
    throw HubError.of('memory_quota', `memory quota: this would keep ${bytes} bytes of at most ${o.maxBytes} (limit memoryMaxBytes, --memory-max-bytes); export fewer messages (limit) or overwrite a file`);
  }
}
