/**
 * The single-instance lock with real processes (test/fixtures/hold-lock.mjs runs dist/; build first):
 * a second start is refused and told who holds the lock, a SIGKILLed holder's lock is taken over,
 * a pid that now belongs to another process is not believed, and racing starts never both win.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireInstanceLock, LOCK_FILE, processStart } from '../../src/runtime/lock.js';
import { REPO } from '../helpers/hub-process.js';

const HOLDER = join(REPO, 'test', 'fixtures', 'hold-lock.mjs');
const children = new Set<ChildProcess>();
const dirs: string[] = [];

type Outcome = { acquired: true; pid: number } | { acquired: false; heldBy: number };

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wtt-lock-'));
  dirs.push(d);
  return join(d, 'state');
}

/** Starts a process that tries the lock; resolves with its outcome line. */
function start(dir: string): Promise<{ child: ChildProcess; outcome: Outcome }> {
  const child = spawn(process.execPath, [HOLDER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ child, outcome: JSON.parse(line) as Outcome });
    });
    child.once('exit', (code) => {
      if (!out.includes('\n')) reject(new Error(`lock holder exited ${code} without an answer: ${err}`));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

function lockPid(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number }).pid;
}

afterEach(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await exited(c);
  }
  children.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('instance lock', () => {
  it('refuses a second start and names the pid that holds the lock', async () => {
    const dir = stateDir();
    const first = await start(dir);
    expect(first.outcome).toEqual({ acquired: true, pid: first.child.pid });
    const second = await start(dir);
    expect(second.outcome).toEqual({ acquired: false, heldBy: first.child.pid });
    expect(await exited(second.child)).toBe(0);
    // This process too.
    const here = acquireInstanceLock(dir);
    expect(here).toMatchObject({ acquired: false, heldBy: first.child.pid });
    expect(lockPid(dir)).toBe(first.child.pid);
  });

  it('takes over the lock of a holder that was SIGKILLed', async () => {
    const dir = stateDir();
    const first = await start(dir);
    first.child.kill('SIGKILL');
    await exited(first.child);
    // The killed process could not clean up: its lock is still there.
    expect(lockPid(dir)).toBe(first.child.pid);
    const next = await start(dir);
    expect(next.outcome).toEqual({ acquired: true, pid: next.child.pid });
    expect(lockPid(dir)).toBe(next.child.pid);
  });

  it('removes the lock when the holder stops, so the next start gets it', async () => {
    const dir = stateDir();
    const first = await start(dir);
    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    const here = acquireInstanceLock(dir);
    expect(here.acquired).toBe(true);
    if (here.acquired) here.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('does not believe a lock whose pid now belongs to another process', async () => {
    const dir = stateDir();
    const other = await start(stateDir()); // some live process, holding a lock elsewhere
    const pid = other.child.pid as number;
    expect(processStart(pid)).not.toBeNull();
    // Written by "pid" before it was reused: same pid, another start time.
    const made = acquireInstanceLock(dir); // creates the dir
    if (made.acquired) made.release();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, start: '1', boot: null }));
    const next = await start(dir);
    expect(next.outcome).toEqual({ acquired: true, pid: next.child.pid });
  });

  it('takes over a lock file that is not a lock (garbage)', async () => {
    const dir = stateDir();
    const mine = acquireInstanceLock(dir);
    if (mine.acquired) mine.release();
    writeFileSync(join(dir, LOCK_FILE), 'not json');
    const next = await start(dir);
    expect(next.outcome).toEqual({ acquired: true, pid: next.child.pid });
  });

  it('lets exactly one of several starts racing over a stale lock win', async () => {
    const dir = stateDir();
    const first = await start(dir);
    first.child.kill('SIGKILL');
    await exited(first.child);
    const racers = await Promise.all([start(dir), start(dir), start(dir), start(dir)]);
    const winners = racers.filter((r) => r.outcome.acquired);
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.child.pid;
    for (const r of racers) if (!r.outcome.acquired) expect(r.outcome).toEqual({ acquired: false, heldBy: winner });
    expect(lockPid(dir)).toBe(winner);
  });

  it('release() leaves alone a lock that another process took over meanwhile', () => {
    const dir = stateDir();
    const mine = acquireInstanceLock(dir);
    expect(mine.acquired).toBe(true);
    const theirs = JSON.stringify({ pid: 999_999, start: null, boot: null });
    writeFileSync(join(dir, LOCK_FILE), theirs);
    if (mine.acquired) mine.release();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(theirs);
  });
});
