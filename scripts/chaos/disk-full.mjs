/**
 * disk-full: the daemon's state dir is a small tmpfs (mounted here; needs root), filled up with a
 * junk file mid-run so that the state file (and the log file beside it) cannot grow, held full,
 * then the junk is removed; publishing goes on throughout. The daemon must say so (a log line and
 * `wtt status`), keep running, lose nothing once there is room again, and leave a store that passes
 * SQLite's integrity check.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { dist, rmrf, say, sleep, temp } from '../bench/lib.mjs';
import { stage } from './harness.mjs';

const SIZE = '24m';

/** Writes zeros into `path` until the filesystem says ENOSPC; returns the bytes written. */
function fill(path) {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let n = 0;
  try {
    for (;;) n += writeSync(fd, chunk);
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  // The last bytes (smaller than a chunk).
  const fd2 = openSync(path, 'a');
  try {
    for (;;) n += writeSync(fd2, Buffer.alloc(512));
  } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd2);
  }
  return n;
}

async function status(stateDir, agentId) {
  const { askDaemon, controlSocketPath } = await dist('src/runtime/control.js');
  const { STATUS_REQUEST } = await dist('src/runtime/status.js');
  try {
    const a = await askDaemon(controlSocketPath(stateDir), agentId, [STATUS_REQUEST], 5_000);
    return a ? JSON.parse(a.text) : undefined;
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

export async function diskFull({ quick }) {
  if (process.getuid?.() !== 0) throw new Error('disk-full mounts a tmpfs: run it as root (or leave it out: npm run chaos -- hub-kill …)');
  const fullMs = quick ? 5_000 : 20_000;
  const mnt = temp('wtt-chaos-diskfull-');
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE}`, 'tmpfs', mnt], { encoding: 'utf8' });
  if (m.status !== 0) throw new Error(`mount -t tmpfs failed: ${m.stderr}`);
  const stateDir = join(mnt, 'state');
  mkdirSync(stateDir);
  const failures = [];
  let s;
  try {
    s = await stage({ name: 'disk-full', stateDir });
    await sleep(quick ? 3_000 : 5_000);
    const junk = join(mnt, 'junk');
    const bytes = fill(junk);
    say(`disk-full: filled the state dir's tmpfs (${SIZE}) with ${Math.round(bytes / 1024)} KiB of junk; sent so far ${s.ledger.sent.size}`);
    const before = s.daemon.stderr().length;
    await sleep(fullMs);
    const whileFull = await status(stateDir, s.agent.agent_id);
    const saidFull = /disk|full|SQLITE_FULL|ENOSPC|no space/i.test(s.daemon.stderr().slice(before));
    const statusSaid = JSON.stringify({ store: whileFull?.store, connection: whileFull?.connection });
    say(`disk-full: while full: log says so: ${saidFull}; status: ${statusSaid.slice(0, 300)}`);
    if (!saidFull) failures.push('no log line said the disk is full');
    if (whileFull?.store?.writable !== false || !/full/i.test(whileFull?.store?.error ?? '')) failures.push('wtt status did not say the disk is full');
    rmSync(junk);
    say(`disk-full: junk removed; delivered so far ${s.ledger.counts.delivered}/${s.ledger.sent.size}`);
    await sleep(quick ? 5_000 : 10_000);
    const after = await status(stateDir, s.agent.agent_id);
    say(`disk-full: after: store ${JSON.stringify(after?.store ?? null)}, outbox ${JSON.stringify(after?.outbox ?? null)}`);
    if (after?.store?.writable !== true) failures.push('wtt status still says the state file is not writable after the junk was removed');
    const r = await s.finish({ drainMs: 120_000 });
    s = undefined;
    const { openDatabase } = await dist('src/sqlite.js');
    const db = openDatabase(join(stateDir, 'state.sqlite'), { readonly: true });
    const check = db.pragma('integrity_check', { simple: true });
    db.close();
    if (check !== 'ok') failures.push(`integrity_check: ${check}`);
    return { ...r, integrity_check: check, junk_kib: Math.round(bytes / 1024), failures };
  } finally {
    if (s) await s.finish({ drainMs: 1_000 }).catch(() => undefined);
    const u = spawnSync('umount', [mnt], { encoding: 'utf8' });
    if (u.status !== 0) say(`disk-full: umount ${mnt} failed: ${u.stderr}`);
    rmrf(mnt);
  }
}
