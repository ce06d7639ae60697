import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
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

  it('queues a notice once per key and route, drains each route oldest first, and records every attempt', () => {
    let now = 100;
    const s = openStore(dir(), { now: () => now });
    s.setNoticeRoutes(['telegram:1', 'slack:h#x']);
    const a = s.enqueueNotice({ key: 'auth', text: 'token refused' });
    expect(s.enqueueNotice({ key: 'auth', text: 'token refused' })).toBeUndefined();
    s.enqueueNotice({ key: 'later', text: 'second' });
    expect(s.outbox.head('telegram:1')?.text).toBe('token refused');
    expect(s.outbox.head('slack:h#x')?.text).toBe('token refused');
    s.outbox.markAttemptFailed(a as number, 'openclaw-gateway', '500 tool execution failed', false);
    now = 200;
    s.outbox.markSent(a as number, 'openclaw-gateway', 'tg-77');
    expect(s.outbox.head('telegram:1')?.text).toBe('second');
    const sent = s.outbox.get(a as number);
    expect(sent).toMatchObject({ state: 'sent', attempts: 2, chat_message_id: 'tg-77', adapter: 'openclaw-gateway' });
    expect(s.outboxCounts()).toMatchObject({ pending: 3, sent: 1 });
  });

  it('retries a failed delivery from zero attempts and never sends a dropped one', () => {
    const s = openStore(dir());
    s.setNoticeRoutes(['telegram:1']);
    const id = s.enqueueNotice({ key: 'k', text: 'x' }) as number;
    s.outbox.markAttemptFailed(id, 'openclaw-gateway', 'chat not found', true);
    expect(s.outbox.head('telegram:1')).toBeUndefined();
    expect(s.outboxList({ state: 'failed' }).map((e) => e.id)).toEqual([id]);
    expect(s.outboxRetry(id)).toMatchObject({ state: 'pending', attempts: 0 });
    expect(s.outbox.head('telegram:1')?.id).toBe(id);
    expect(s.outboxDrop(id)).toMatchObject({ state: 'dropped' });
    expect(s.outbox.head('telegram:1')).toBeUndefined();
    // A sent row cannot be dropped or retried into a second send.
    const sent = s.enqueueNotice({ key: 'k2', text: 'y' }) as number;
    s.outbox.markSent(sent, 'console', undefined);
    expect(s.outboxDrop(sent)?.state).toBe('sent');
    expect(s.outboxRetry(sent)?.state).toBe('sent');
  });

  it('migrates a version 1 file: cursors and seen ids kept, the old generic outbox replaced', () => {
    const d = dir();
    const path = join(d, STATE_FILE);
    const db = new Database(path);
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema_version', '1');
      CREATE TABLE cursors (topic_id TEXT PRIMARY KEY, message_id TEXT NOT NULL, seq INTEGER, created_at TEXT, updated_at INTEGER NOT NULL);
      INSERT INTO cursors VALUES ('t1', 'm9', 9, NULL, 1);
      CREATE TABLE seen (message_id TEXT PRIMARY KEY, topic_id TEXT NOT NULL, seen_at INTEGER NOT NULL);
      INSERT INTO seen VALUES ('m9', 't1', 1);
      CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, created_at INTEGER NOT NULL);`);
    db.close();
    const s = openStore(d);
    expect(s.cursor('t1')?.seq).toBe(9);
    expect(s.hasSeen('m9')).toBe(true);
    s.setNoticeRoutes(['console:stdout']);
    expect(s.enqueueNotice({ key: 'a', text: 'after migration' })).toBeTypeOf('number');
    s.close();
    const v = new Database(path).prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string };
    expect(v.value).toBe('4');
  });

  it('migrates a version 2 file to 3: the actors table appears, everything else is kept', () => {
    const d = dir();
    const s2 = openStore(d);
    s2.setCursor({ topic_id: 't1', message_id: 'm1', seq: 1, created_at: null });
    s2.close();
    const raw = new Database(join(d, STATE_FILE));
    raw.exec("DROP TABLE actors; UPDATE meta SET value = '2' WHERE key = 'schema_version'");
    raw.close();
    const s = openStore(d);
    expect(s.cursor('t1')?.seq).toBe(1);
    expect(s.loadActors()).toEqual([]);
    s.saveActors([{ key: 'task:a', kind: 'task', status: 'doing', snapshot: { value: 'doing' } }]);
    s.close();
    const again = openStore(d);
    expect(again.loadActors('task').map((a) => [a.key, a.status, a.snapshot])).toEqual([['task:a', 'doing', { value: 'doing' }]]);
    again.saveActors([{ key: 'task:a', kind: 'task', status: 'done', snapshot: null }]);
    expect(again.loadActors()).toEqual([]);
  });

  it('migrates a version 3 file to 4: the outbox gains task_id and buttons, its rows are kept', () => {
    const d = dir();
    const s3 = openStore(d);
    s3.enqueueNotice({ key: 'old', text: 'an old notice' });
    s3.close();
    const raw = new Database(join(d, STATE_FILE));
    // A v3 outbox: without the two columns and without status_messages.
    raw.exec(`DROP TABLE status_messages; ALTER TABLE outbox DROP COLUMN task_id; ALTER TABLE outbox DROP COLUMN buttons; UPDATE meta SET value = '3' WHERE key = 'schema_version'`);
    raw.close();
    const s = openStore(d);
    expect(s.outboxList().map((r) => r.text)).toEqual(['an old notice']);
    s.enqueueTaskStatus({ key: 'k1', task_id: 'task-1', text: 'running', buttons: [{ label: 'Approve', value: 'wtt:approve:task-1' }] });
    s.outbox.setStatusMessage('task-1', 'console:stdout', '77');
    s.close();
    const again = openStore(d);
    const row = again.outboxList().find((r) => r.kind === 'status');
    expect(row).toMatchObject({ task_id: 'task-1', text: 'running', buttons: '[{"label":"Approve","value":"wtt:approve:task-1"}]' });
    expect(again.outbox.statusMessage('task-1', 'console:stdout')).toBe('77');
    again.close();
  });

  it('keeps only the newest unsent status of a task, once per key', () => {
    const s = openStore(dir());
    s.enqueueTaskStatus({ key: 'a', task_id: 't', text: 'running' });
    s.enqueueTaskStatus({ key: 'b', task_id: 't', text: 'in review' });
    expect(s.enqueueTaskStatus({ key: 'b', task_id: 't', text: 'in review' })).toBeUndefined();
    s.enqueueTaskStatus({ key: 'c', task_id: 'other', text: 'running' });
    const rows = s.outboxList({ state: 'pending' }).filter((r) => r.kind === 'status');
    expect(rows.map((r) => [r.task_id, r.text]).sort()).toEqual([['other', 'running'], ['t', 'in review']]);
    expect(s.outboxList({ state: 'dropped' }).map((r) => r.last_error)).toEqual(['superseded by a newer status']);
  });

  it('remembers a topic notify setting across a reopen', () => {
    const d = dir();
    const s = openStore(d);
    s.setTopicNotify('t1', 'digest');
    s.setTopicNotify('t2', 'off');
    s.setTopicNotify('t1', 'on');
    s.close();
    const again = openStore(d);
    expect(again.topicNotify('t1')).toBe('on');
    expect(again.topicNotify('t2')).toBe('off');
    expect(again.topicNotify('t3')).toBeUndefined();
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
