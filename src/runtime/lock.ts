/**
 * The single-instance lock of a daemon: `<stateDir>/daemon.lock`, a small JSON file naming the
 * holder `{ pid, start, boot }` (start = the process's start time from /proc where there is one,
 * boot = the kernel's boot id), created atomically with link(2) so that it never exists half written.
 *
 *   const lock = acquireInstanceLock(config.stateDir);
 *   if ('heldBy' in lock) { console.log(`already running (pid ${lock.heldBy})`); return 0; }
 *   …; lock.release();
 *
 * Why not a library such as proper-lockfile: its locks go stale by mtime, so a healthy daemon must
 * touch the lock every few seconds for months and is declared "compromised" (and a second one let in)
 * when its event loop or the whole machine pauses longer than that (a laptop asleep). A pid file
 * goes stale exactly when its process is gone, which is checked at once: a SIGKILLed daemon's lock
 * is taken over by the next start without waiting, and the refusal can say which pid holds it.
 * A pid reused by another process after a reboot or a wrap-around is caught by the start time and
 * boot id. Breaking a stale lock is serialized by a second O_EXCL file, so two starts racing over
 * one stale lock never both win.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const LOCK_FILE = 'daemon.lock';

export type InstanceLock =
  | { acquired: true; path: string; pid: number; release(): void }
  | { acquired: false; path: string; heldBy: number };

const Holder = z.object({ pid: z.number().int().positive(), start: z.string().nullable(), boot: z.string().nullable() });
type Holder = z.infer<typeof Holder>;

/** A break file older than this is left over from a crash in the middle of breaking a lock. */
const BREAK_STALE_MS = 10_000;
const MAX_ROUNDS = 50;
/** Lock files this process holds. */
const heldHere = new Set<string>();

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The kernel's boot id (Linux), so that a lock from before a reboot is never believed. */
function bootId(): string | null {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() || null;
}

/** Field 22 of /proc/<pid>/stat: the process's start time in clock ticks since boot (Linux). */
export function processStart(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return null;
  // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19] ?? null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process the lock names still runs (and is the same process, not a reused pid). */
export function holderAlive(h: Holder): boolean {
  if (h.boot && bootId() && h.boot !== bootId()) return false;
  if (!pidAlive(h.pid)) return false;
  if (h.start) {
    const now = processStart(h.pid);
    if (now !== null && now !== h.start) return false;
  }
  return true;
}

function parseHolder(text: string | null): Holder | null {
  if (text === null) return null;
  try {
    const r = Holder.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Removes the stale lock whose text is `staleText`, unless someone replaced it meanwhile. */
function breakStale(lockPath: string, staleText: string | null): void {
  const breakPath = `${lockPath}.break`;
  let fd: number;
  try {
    fd = openSync(breakPath, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - statSync(breakPath).mtimeMs > BREAK_STALE_MS) tryUnlink(breakPath);
    } catch {
      // gone meanwhile
    }
    sleepSync(20);
    return;
  }
  try {
    closeSync(fd);
    // Re-read under the break file: only the very file judged stale is removed.
    if (readText(lockPath) === staleText) tryUnlink(lockPath);
  } finally {
    tryUnlink(breakPath);
  }
}

/**
 * Takes the instance lock of `stateDir` (created when missing), or says which live process has it.
 * A lock left by a process that is gone (SIGKILL, crash, reboot) is taken over.
 */
export function acquireInstanceLock(stateDir: string): InstanceLock {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, LOCK_FILE);
  const me: Holder = { pid: process.pid, start: processStart(process.pid), boot: bootId() };
  const text = `${JSON.stringify(me)}\n`;
  const tmp = `${path}.${process.pid}.tmp`;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
      tryUnlink(tmp);
      heldHere.add(path);
      return { acquired: true, path, pid: process.pid, release: releaser(path, text) };
    } catch (e) {
      tryUnlink(tmp);
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = readText(path);
    if (held === null) continue; // released meanwhile: try again
    const holder = parseHolder(held);
    if (holder && holder.pid !== process.pid && holderAlive(holder)) return { acquired: false, path, heldBy: holder.pid };
    // Already ours (a second acquire in this process): refuse rather than share. Our pid in a lock
    // we do not hold is a previous process's (a container restarted with the same pid): stale.
    if (holder && holder.pid === process.pid && heldHere.has(path)) return { acquired: false, path, heldBy: process.pid };
    breakStale(path, held);
  }
  const holder = parseHolder(readText(path));
  return { acquired: false, path, heldBy: holder?.pid ?? 0 };
}

function releaser(path: string, text: string): () => void {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    heldHere.delete(path);
    // Only our own lock: never one a later holder took over.
    if (readText(path) === text) tryUnlink(path);
  };
  process.on('exit', release);
  return release;
}
