/**
 * Opening a better-sqlite3 database, the one way this project does it (the state store, the hub,
 * the read-only OpenClaw store).
 *
 * Why not `new Database()` directly: better-sqlite3 12.x compiled against the headers of Node
 * 24.19 or later (what a user's `npm ci` on today's Node 24 builds) aborts the whole process when
 * V8 collects a prepared statement outside a JS context (`Assertion failed: (env) != nullptr` in
 * `Statement::~Statement`, nodejs/node#65446; docs/e2e.md). better-sqlite3 13 avoids it but needs
 * Node 22, and we support 20.19. So no statement is ever left for the garbage collector: every
 * statement a database prepares (ours, and the ones better-sqlite3 makes itself for `pragma()` and
 * `transaction()`) is kept in a per-database cache keyed by its SQL and reused. The cache is bounded
 * by the distinct SQL texts the code has (parameters are bound, never interpolated); reusing a
 * prepared statement is also faster than preparing it again.
 */
import Database from 'better-sqlite3';
import type { Database as Db, Options, Statement } from 'better-sqlite3';

/** Far above the distinct SQL texts of this code base; past it statements are no longer kept. */
export const STATEMENT_CACHE_MAX = 5_000;

/** Caches of databases that were closed: their statements must not be collected either. */
const kept = new Set<Map<string, Statement>>();

interface NativeDb {
  prepare(sql: string, wrapper: unknown, internal: boolean): Statement;
}

function nativeOf(db: Db): NativeDb | undefined {
  for (const sym of Object.getOwnPropertySymbols(db)) {
    const v = (db as unknown as Record<symbol, unknown>)[sym];
    if (v && typeof (v as { prepare?: unknown }).prepare === 'function') return v as NativeDb;
  }
  return undefined;
}

/** Makes `db` keep (and reuse) every statement it prepares. Returns how many it keeps now. */
export function keepStatements(db: Db): () => number {
  const native = nativeOf(db);
  const cache = new Map<string, Statement>();
  kept.add(cache);
  if (!native) return () => cache.size;
  const prepare = native.prepare;
  native.prepare = function keptPrepare(this: NativeDb, sql: string, wrapper: unknown, internal: boolean): Statement {
    const key = `${internal ? 1 : 0}\u0000${sql}`;
    const hit = cache.get(key);
    if (hit) {
      // `pragma(…, { simple: true })` puts its statement in pluck mode: a reused one starts plain.
      if (hit.reader && !hit.busy) hit.pluck(false).raw(false).expand(false);
      return hit;
    }
    const s = prepare.call(this, sql, wrapper, internal);
    if (cache.size < STATEMENT_CACHE_MAX) cache.set(key, s);
    return s;
  };
  return () => cache.size;
}

export function openDatabase(file: string, options?: Options): Db {
  const db = new Database(file, options);
  keepStatements(db);
  return db;
}
