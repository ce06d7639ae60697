import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isDiskFull, isStorageError, StorageHealth } from '../../src/runtime/storage-health.js';
import { captureLog } from '../helpers/log-capture.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('storage health - which errors are the disk', () => {
  it.each([
    ['SQLITE_FULL', true, true],
    ['SQLITE_IOERR_WRITE', true, false],
    ['SQLITE_BUSY', true, false],
    ['SQLITE_READONLY', true, false],
    ['ENOSPC', true, true],
    ['EDQUOT', true, true],
    ['SQLITE_CONSTRAINT_PRIMARYKEY', false, false],
    ['SQLITE_ERROR', false, false],
    ['WTT_ERR_CONFIG', false, false],
  ])('%s: storage %s, full %s', (code, storage, full) => {
    expect(isStorageError(withCode(code))).toBe(storage);
    expect(isDiskFull(withCode(code))).toBe(full);
  });

  it('knows the real SQLITE_FULL of a database that may not grow', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (x TEXT)');
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
    let caught: unknown;
    try {
      for (let i = 0; i < 1_000; i++) db.prepare('INSERT INTO t VALUES (?)').run('y'.repeat(1_000));
    } catch (e) {
      caught = e;
    }
    db.close();
    expect(isStorageError(caught)).toBe(true);
    expect(isDiskFull(caught)).toBe(true);
  });

  it('a bug is not the disk', () => {
    expect(isStorageError(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isStorageError('a string')).toBe(false);
  });
});

describe('storage health - one episode', () => {
  it('says so once when writes start failing, once when they succeed again, and reports it meanwhile', () => {
    let now = 1_000_000;
    const cap = captureLog('warn');
    const h = new StorageHealth('/state/state.sqlite', cap.log, () => now);
    expect(h.report()).toEqual({ writable: true, since: null, error: null, failed_writes: 0 });
    h.ok();
    expect(cap.lines).toHaveLength(0);
    for (let i = 0; i < 50; i++) h.failed(withCode('SQLITE_FULL', 'database or disk is full'), 'intake');
    expect(cap.lines).toHaveLength(1);
    expect(cap.text()).toMatch(/the disk is full \(SQLITE_FULL\).*retrying with backoff/);
    expect(h.report()).toMatchObject({ writable: false, since: new Date(1_000_000).toISOString(), failed_writes: 50, error: expect.stringMatching(/disk is full.*nothing is lost/) });
    now += 12_000;
    h.ok();
    h.ok();
    expect(cap.lines).toHaveLength(2);
    expect(cap.lines[1]).toMatch(/writable again after 12 s \(50 write/);
    expect(h.report()).toEqual({ writable: true, since: null, error: null, failed_writes: 0 });
  });
});
