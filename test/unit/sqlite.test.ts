import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { keepStatements, openDatabase } from '../../src/sqlite.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'wtt-sqlite-')), 'x.sqlite');

describe('openDatabase (statements are kept, never left to the garbage collector)', () => {
  it('reuses one statement per SQL text, so a hot path prepares once', () => {
    const db = openDatabase(file());
    db.exec('CREATE TABLE t (x INTEGER)');
    const a = db.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 1_000; i++) expect(db.prepare('INSERT INTO t VALUES (?)')).toBe(a);
    for (let i = 0; i < 1_000; i++) db.prepare('INSERT INTO t VALUES (?)').run(i);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1_000 });
    db.close();
  });

  it('keeps the statements better-sqlite3 makes itself (pragma, transaction), and a reused pragma starts plain', () => {
    const db = new Database(file());
    const size = keepStatements(db);
    expect(db.pragma('journal_mode = WAL', { simple: true })).toBe('wal');
    // The same pragma again, not simple: rows, not a plucked value.
    expect(db.pragma('journal_mode = WAL')).toEqual([{ journal_mode: 'wal' }]);
    const before = size();
    db.exec('CREATE TABLE t (x)');
    const insert = db.transaction((n: number) => {
      for (let i = 0; i < n; i++) db.prepare('INSERT INTO t VALUES (?)').run(i);
    });
    for (let k = 0; k < 50; k++) insert(10);
    // BEGIN/COMMIT/ROLLBACK/SAVEPOINT… and the insert, each once, however many transactions ran.
    const after = size();
    expect(after).toBeGreaterThan(before);
    for (let k = 0; k < 50; k++) insert(1);
    expect(size()).toBe(after);
    expect(db.prepare('SELECT count(*) AS n FROM t').pluck().get()).toBe(550);
    // pluck() on a kept statement does not leak into the next user of the same SQL.
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 550 });
    db.close();
  });
});
