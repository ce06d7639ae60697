import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STATE_FILE, StateStore } from '../../src/runtime/store.js';
import { createLogger } from '../../src/log.js';
import { Writable } from 'node:stream';

const open: StateStore[] = [];
const dir = () => mkdtempSync(join(tmpdir(), 'wtt-store-'));
function openStore(stateDir: string, extra: Partial<Parameters<typeof StateStore.open>[0]> = {}): StateStore {
  const s = StateStore.open({ stateDir, ...extra });
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function captureLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: createLogger({ level: 'warn', destination: destination as unknown as NodeJS.WritableStream & { write: (s: string) => boolean } }), lines };
}

describe('StateStore', () => {
  it('creates the state file in WAL mode when the state dir is missing', () => {
    const d = join(dir(), 'nested', 'state');
    const s = openStore(d);
    expect(existsSync(join(d, STATE_FILE))).toBe(true);
    expect(s.path).toBe(join(d, STATE_FILE));
    s.setKv('k', 'v');
    expect(existsSync(join(d, `${STATE_FILE}-wal`))).toBe(true);
  });

  it('keeps cursors and seen ids across a reopen when the file is intact', () => {
    const d = dir();
    const a = openStore(d);
    expect(a.markHandled({ id: 'm1', topic_id: 't1', seq: 1, created_at: '2026-01-01T00:00:00.000Z' })).toBe(true);
    expect(a.markHandled({ id: 'm2', topic_id: 't1', seq: 2, created_at: '2026-01-01T00:00:01.000Z' })).toBe(true);
    a.close();
    const b = openStore(d);
    expect(b.hasSeen('m1')).toBe(true);
    expect(b.hasSeen('m3')).toBe(false);
    expect(b.cursor('t1')).toEqual({ topic_id: 't1', message_id: 'm2', seq: 2, created_at: '2026-01-01T00:00:01.000Z' });
    expect(b.getKv('watermark')).toBe('2026-01-01T00:00:01.000Z');
  });

  it('reports a repeat and leaves the cursor alone when the same message is marked twice', () => {
    const s = openStore(dir());
    expect(s.markHandled({ id: 'm2', topic_id: 't1', seq: 2 })).toBe(true);
    expect(s.markHandled({ id: 'm2', topic_id: 't1', seq: 2 })).toBe(false);
    expect(s.seenCount()).toBe(1);
  });

  it('never moves a cursor back when an older message is recorded later', () => {
    const s = openStore(dir());
    s.markHandled({ id: 'm5', topic_id: 't1', seq: 5 });
    s.markHandled({ id: 'm3', topic_id: 't1', seq: 3 });
    expect(s.cursor('t1')?.message_id).toBe('m5');
  });

  it('keeps every seen id younger than 24 h and the newest 10,000 whatever their age when pruning', () => {
    const DAY = 24 * 60 * 60 * 1000;
    let now = 0;
    const s = openStore(dir(), { now: () => now });
    for (let i = 0; i < 10_050; i++) {
      now = i;
      s.markHandled({ id: `m${i}`, topic_id: 't', seq: i });
    }
    // Automatic pruning ran every 1,000 inserts: nothing was younger than 24 h, nothing went.
    expect(s.seenCount()).toBe(10_050);
    now = DAY;
    expect(s.pruneSeen()).toBe(0);
    now = 10 * DAY;
    expect(s.pruneSeen()).toBe(50);
    expect(s.seenCount()).toBe(10_000);
    expect(['m0', 'm49', 'm50', 'm10049'].map((id) => s.hasSeen(id))).toEqual([false, false, true, true]);
  });

  it('prunes on its own and keeps the 24 h window when more ids arrive a day later', () => {
    const DAY = 24 * 60 * 60 * 1000;
    let now = 0;
    const s = openStore(dir(), { now: () => now });
    for (let i = 0; i < 10_000; i++) s.markHandled({ id: `old${i}`, topic_id: 't', seq: i });
    now = 2 * DAY;
    for (let i = 0; i < 1_000; i++) s.markHandled({ id: `new${i}`, topic_id: 't', seq: 10_000 + i });
    expect(s.seenCount()).toBe(10_000);
    expect([s.hasSeen('old0'), s.hasSeen('old999'), s.hasSeen('old1000'), s.hasSeen('new0')]).toEqual([false, false, true, true]);
  });

  it('never narrows the seen-id window below 24 h and 10,000 ids when asked for less', () => {
    let now = 0;
    const s = openStore(dir(), { now: () => now, seenWindowMs: 1_000, seenMinIds: 3 });
    for (let i = 0; i < 20; i++) s.markHandled({ id: `m${i}`, topic_id: 't', seq: i });
    now = 60 * 60 * 1000;
    expect(s.pruneSeen()).toBe(0);
    now = 30 * 24 * 60 * 60 * 1000;
    expect(s.pruneSeen()).toBe(0);
    expect(s.seenCount()).toBe(20);
  });

  it('recreates the file with a warning when the state file is corrupt', () => {
    const d = dir();
    writeFileSync(join(d, STATE_FILE), 'this is not a sqlite database, just garbage bytes '.repeat(200));
    const { log, lines } = captureLog();
    const s = openStore(d, { log });
    s.markHandled({ id: 'm1', topic_id: 't1', seq: 1 });
    expect(s.hasSeen('m1')).toBe(true);
    expect(readdirSync(d).some((f) => f.startsWith(`${STATE_FILE}.corrupt-`))).toBe(true);
    expect(lines.join('')).toContain('state file is unreadable');
  });

  it('recreates the file with a warning when a real state file has damaged pages', () => {
    const d = dir();
    const a = StateStore.open({ stateDir: d });
    for (let i = 0; i < 500; i++) a.markHandled({ id: `m${i}`, topic_id: `t${i % 7}`, seq: i, created_at: new Date(i).toISOString() });
    a.close();
    const path = join(d, STATE_FILE);
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 15).toString()).toBe('SQLite format 3');
    // Keep the header page, scribble over everything after it.
    for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 31) % 251;
    writeFileSync(path, bytes);
    const { log, lines } = captureLog();
    const s = openStore(d, { log });
    expect(s.hasSeen('m1')).toBe(false);
    expect(s.cursors()).toEqual([]);
    s.markHandled({ id: 'fresh', topic_id: 't', seq: 1 });
    expect(s.hasSeen('fresh')).toBe(true);
    expect(lines.join('')).toContain('state file is unreadable');
  });

  it('keeps one outbox item per idempotency key and hands out due items oldest first', () => {
    let now = 100;
    const s = openStore(dir(), { now: () => now });
    const a = s.enqueueOutbox('publish', 'k1', { content: 'a' });
    const again = s.enqueueOutbox('publish', 'k1', { content: 'a' });
    const b = s.enqueueOutbox('publish', 'k2', { content: 'b' });
    expect(again).toBe(a);
    expect(s.dueOutbox().map((i) => i.payload)).toEqual([{ content: 'a' }, { content: 'b' }]);
    s.deferOutbox(a, 200);
    expect(s.dueOutbox().map((i) => i.id)).toEqual([b]);
    now = 200;
    expect(s.dueOutbox().find((i) => i.id === a)?.attempts).toBe(1);
    s.removeOutbox(a);
    expect(s.dueOutbox().map((i) => i.id)).toEqual([b]);
  });

  it('stores and returns actor snapshots by actor id', () => {
    const s = openStore(dir());
    expect(s.loadSnapshot('task:1')).toBeUndefined();
    s.saveSnapshot('task:1', { value: 'doing', context: { n: 1 } });
    expect(s.loadSnapshot('task:1')).toEqual({ value: 'doing', context: { n: 1 } });
    s.deleteSnapshot('task:1');
    expect(s.loadSnapshot('task:1')).toBeUndefined();
  });
});
