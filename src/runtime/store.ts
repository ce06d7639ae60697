/**
 * The ONE state file `<stateDir>/state.sqlite` (better-sqlite3, WAL). Nothing else writes it.
 * Tables: per-topic cursors, seen message ids (window: ≥ 24 h AND ≥ 10,000 ids), the outbox,
 * actor snapshots and a small key/value table. A corrupt file is moved aside and recreated with a
 * warning; a missing one is created.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../sqlite.js';
import type { Database as Db, Statement } from 'better-sqlite3';
import { z } from 'zod';
import { WttError } from '../errors.js';
import type { Logger } from '../log.js';
import type { TopicNotifyMode } from './notify-policy.js';
import { OUTBOX_ADDED_COLUMNS, OUTBOX_DDL, OutboxTable, type DeliveryState, type Durability, type OutboxCounts, type OutboxEntry, type Trace } from './outbox.js';
import { StorageHealth } from './storage-health.js';

export const STATE_FILE = 'state.sqlite';
/**
 * v2: the outbox became chat deliveries (route, state, text) with decisions and attempts beside it.
 * v3: `actors`: persisted task and pipeline actor snapshots (key, kind, status).
 * v4: outbox `task_id` and `buttons`, `status_messages`: each task's one status message per route.
 */
const SCHEMA_VERSION = 4;

const ACTORS_DDL = `
CREATE TABLE IF NOT EXISTS actors (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS actors_kind_idx ON actors (kind);
`;

export const ACTOR_KINDS = ['task', 'pipeline'] as const;
export type PersistedActorKind = (typeof ACTOR_KINDS)[number];

export interface PersistedActor {
  key: string;
  kind: PersistedActorKind;
  /** The WTT status (tasks) or phase (pipelines) when it was saved. */
  status: string;
  snapshot: unknown;
  updated_at: number;
}

const ActorRow = z.object({ key: z.string(), kind: z.enum(ACTOR_KINDS), status: z.string(), snapshot: z.string(), updated_at: z.number() });

export const SEEN_DEFAULTS = Object.freeze({
  /** Seen ids are kept at least this long … */
  windowMs: 24 * 60 * 60 * 1000,
  /** … and at least this many of the newest are kept whatever their age. */
  minIds: 10_000,
  /** Prune after this many inserts. */
  pruneEvery: 1_000,
});

export interface Cursor {
  topic_id: string;
  message_id: string;
  seq: number | null;
  created_at: string | null;
}

export interface StoreOptions {
  stateDir: string;
  log?: Logger | undefined;
  /** The store's one clock (ms). */
  now?: (() => number) | undefined;
  /** Keep seen ids longer than 24 h (values below 24 h are raised to it). */
  seenWindowMs?: number | undefined;
  /** Keep more than the newest 10,000 seen ids (values below 10,000 are raised to it). */
  seenMinIds?: number | undefined;
}

const CursorRow = z.object({
  topic_id: z.string(),
  message_id: z.string(),
  seq: z.number().nullable(),
  created_at: z.string().nullable(),
});

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (
  topic_id TEXT PRIMARY KEY,
  message_id TEXT NOT NULL,
  seq INTEGER,
  created_at TEXT,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (
  message_id TEXT PRIMARY KEY,
  topic_id TEXT NOT NULL,
  seen_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_at_idx ON seen (seen_at);
CREATE TABLE IF NOT EXISTS snapshots (actor_id TEXT PRIMARY KEY, snapshot TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL);
`;

/** Errors that mean "this file is not a usable database" (as opposed to locked / no permission). */
function isCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code === 'SQLITE_CORRUPT_VTAB') return true;
  return e instanceof Error && /quick_check|file is not a database|malformed/i.test(e.message);
}

const RUN_ALIVE_KEY = 'run.alive_at';
const RUN_CLEAN_KEY = 'run.clean_stop';

export class StateStore {
  readonly path: string;
  private readonly db: Db;
  /** The store's one clock (ms): what it stamps rows with and compares `next_at` against. */
  readonly now: () => number;
  private readonly windowMs: number;
  private readonly minIds: number;
  private insertsSincePrune = 0;
  /** Chat deliveries (written in the intake's transaction, drained by the notifier). */
  readonly outbox: OutboxTable;
  /** Whether writes succeed now (a full disk): noted by the writers that retry, shown by `wtt status`. */
  readonly health: StorageHealth;
  /** Routes a notice goes to when none is named (the primary routes; set by the runtime). */
  private noticeRoutes: readonly string[] = ['console:stdout'];
  /**
   * Built once (a per-call `db.transaction(fn)` and `db.pragma()` cost more than the one-row
   * statements they wrap): one runner for every transaction, and the two durability switches.
   */
  private readonly tx: { run: (fn: () => unknown) => unknown; relaxed: Statement<[]>; durable: Statement<[]> };
  private readonly st: {
    getCursor: Statement<[string]>;
    setCursor: Statement<[string, string, number | null, string | null, number]>;
    hasSeen: Statement<[string]>;
    addSeen: Statement<[string, string, number]>;
    prune: Statement<[number, number]>;
    getKv: Statement<[string]>;
    setKv: Statement<[string, string, number]>;
  };

  private constructor(path: string, db: Db, opts: StoreOptions) {
    this.path = path;
    this.db = db;
    this.now = opts.now ?? Date.now;
    // The dedupe window is a guarantee (issue 4): it can be widened, never narrowed.
    this.windowMs = Math.max(opts.seenWindowMs ?? 0, SEEN_DEFAULTS.windowMs);
    this.minIds = Math.max(Math.floor(opts.seenMinIds ?? 0), SEEN_DEFAULTS.minIds);
    this.tx = {
      run: db.transaction((fn: () => unknown) => fn()),
      relaxed: db.prepare('PRAGMA synchronous = NORMAL'),
      durable: db.prepare('PRAGMA synchronous = FULL'),
    };
    this.outbox = new OutboxTable(db, this.now, (fn, durability) => this.transaction(fn, durability));
    this.health = new StorageHealth(path, opts.log, this.now);
    this.st = {
      getCursor: db.prepare('SELECT topic_id, message_id, seq, created_at FROM cursors WHERE topic_id = ?'),
      setCursor: db.prepare(
        `INSERT INTO cursors (topic_id, message_id, seq, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(topic_id) DO UPDATE SET message_id = excluded.message_id, seq = excluded.seq,
           created_at = excluded.created_at, updated_at = excluded.updated_at`,
      ),
      hasSeen: db.prepare('SELECT 1 AS x FROM seen WHERE message_id = ?'),
      addSeen: db.prepare('INSERT OR IGNORE INTO seen (message_id, topic_id, seen_at) VALUES (?, ?, ?)'),
      prune: db.prepare(
        `DELETE FROM seen WHERE seen_at < ? AND rowid NOT IN (SELECT rowid FROM seen ORDER BY seen_at DESC, rowid DESC LIMIT ?)`,
      ),
      getKv: db.prepare('SELECT value FROM kv WHERE key = ?'),
      setKv: db.prepare(
        'INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ),
    };
  }

  /** Open (or create) `<stateDir>/state.sqlite`. A corrupt file is moved aside and recreated. */
  static open(opts: StoreOptions): StateStore {
    try {
      mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new WttError('WTT_ERR_STORE', { message: `cannot create the state dir ${opts.stateDir}: ${(e as Error).message}`, cause: e });
    }
    const path = join(opts.stateDir, STATE_FILE);
    try {
      return new StateStore(path, StateStore.connect(path), opts);
    } catch (e) {
      if (!existsSync(path) || !isCorruption(e)) throw new WttError('WTT_ERR_STORE', { message: `cannot open ${path}: ${(e as Error).message}`, cause: e });
      const aside = `${path}.corrupt-${Date.now()}`;
      opts.log?.warn({ path, aside, err: (e as Error).message }, 'state file is unreadable: moved aside and recreated (cursors and seen ids start empty)');
      try {
        renameSync(path, aside);
        for (const ext of ['-wal', '-shm']) rmSync(`${path}${ext}`, { force: true });
        return new StateStore(path, StateStore.connect(path), opts);
      } catch (e2) {
        throw new WttError('WTT_ERR_STORE', { message: `cannot recreate ${path}: ${(e2 as Error).message}`, cause: e2 });
      }
    }
  }

  private static connect(path: string): Db {
    const db = openDatabase(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`quick_check: ${String(check)}`);
      db.exec(DDL);
      const v = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
      if (v && Number(v.value) > SCHEMA_VERSION) throw new Error(`schema version ${v.value} is newer than this program (${SCHEMA_VERSION})`);
      db.transaction(() => {
        // v1 had a generic outbox (kind, payload) that nothing ever wrote: replace it.
        const cols = (db.prepare('PRAGMA table_info(outbox)').all() as Array<{ name: string }>).map((c) => c.name);
        if (cols.length > 0 && !cols.includes('route')) db.exec('DROP TABLE outbox');
        db.exec(OUTBOX_DDL);
        // v4: columns an existing outbox lacks.
        const have = new Set((db.prepare('PRAGMA table_info(outbox)').all() as Array<{ name: string }>).map((c) => c.name));
        for (const [name, type] of OUTBOX_ADDED_COLUMNS) if (!have.has(name)) db.exec(`ALTER TABLE outbox ADD COLUMN ${name} ${type}`);
        // v3: the task and pipeline actors' snapshots.
        db.exec(ACTORS_DDL);
        db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(SCHEMA_VERSION));
      })();
      return db;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  // ── cursors ────────────────────────────────────────────────────────────────────────────
  cursor(topicId: string): Cursor | undefined {
    const row = this.st.getCursor.get(topicId);
    return row === undefined ? undefined : CursorRow.parse(row);
  }

  cursors(): Cursor[] {
    return z.array(CursorRow).parse(this.db.prepare('SELECT topic_id, message_id, seq, created_at FROM cursors ORDER BY topic_id').all());
  }

  /** Move a topic's cursor forward (never back when both sides carry `seq`). */
  setCursor(c: Cursor): void {
    const cur = this.cursor(c.topic_id);
    if (cur && cur.seq !== null && c.seq !== null && c.seq <= cur.seq) return;
    this.st.setCursor.run(c.topic_id, c.message_id, c.seq, c.created_at, this.now());
  }

  // ── seen ids ───────────────────────────────────────────────────────────────────────────
  hasSeen(messageId: string): boolean {
    return this.st.hasSeen.get(messageId) !== undefined;
  }

  /**
   * Record a message as handed on: seen id + cursor in one transaction. Returns false when it
   * had already been recorded (nothing changed).
   */
  markHandled(m: { id: string; topic_id: string; seq?: number | null | undefined; created_at?: string | null | undefined }): boolean {
    const fresh = this.transaction(() => {
      const r = this.st.addSeen.run(m.id, m.topic_id, this.now());
      if (r.changes === 0) return false;
      this.setCursor({ topic_id: m.topic_id, message_id: m.id, seq: m.seq ?? null, created_at: m.created_at ?? null });
      const wm = this.getKv('watermark');
      if (m.created_at && (!wm || Date.parse(m.created_at) > Date.parse(wm))) this.setKv('watermark', m.created_at);
      return true;
    });
    if (fresh && ++this.insertsSincePrune >= SEEN_DEFAULTS.pruneEvery) this.pruneSeen();
    return fresh;
  }

  /** Forget seen ids older than the window, keeping at least the newest `minIds`. */
  pruneSeen(): number {
    this.insertsSincePrune = 0;
    this.outbox.prune();
    return this.st.prune.run(this.now() - this.windowMs, this.minIds).changes;
  }

  seenCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM seen').get() as { n: number }).n;
  }

  // ── key/value ──────────────────────────────────────────────────────────────────────────
  getKv(key: string): string | undefined {
    const row = this.st.getKv.get(key) as { value: string } | undefined;
    return row?.value;
  }

  setKv(key: string, value: string): void {
    this.st.setKv.run(key, value, this.now());
  }

  // ── the run's own liveness (for the report after a restart) ────────────────────────────
  /**
   * Marks a new run: returns the previous one (when it was last alive, whether it stopped cleanly),
   * or undefined on the first start, and records this one as alive now and not yet stopped.
   */
  beginRun(): { aliveAt: number; clean: boolean } | undefined {
    const aliveAt = Number(this.getKv(RUN_ALIVE_KEY));
    const previous = Number.isFinite(aliveAt) && aliveAt > 0 ? { aliveAt, clean: this.getKv(RUN_CLEAN_KEY) === '1' } : undefined;
    this.transaction(() => {
      this.setKv(RUN_ALIVE_KEY, String(this.now()));
      this.setKv(RUN_CLEAN_KEY, '0');
    });
    return previous;
  }

  /** The run is alive now (a heartbeat); `clean` at a clean stop. */
  markAlive(clean = false): void {
    this.transaction(() => {
      this.setKv(RUN_ALIVE_KEY, String(this.now()));
      if (clean) this.setKv(RUN_CLEAN_KEY, '1');
    });
  }

  /** Deliveries that failed for good at or after `at` (ms). */
  failedDeliveriesSince(at: number): number {
    return this.outbox.failedSince(at);
  }

  deleteKv(key: string): void {
    this.db.prepare('DELETE FROM kv WHERE key = ?').run(key);
  }

  /** Every key/value whose key starts with `prefix`. */
  kvWithPrefix(prefix: string): Array<{ key: string; value: string }> {
    const rows = this.db.prepare("SELECT key, value FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key").all(prefix.length, prefix);
    return z.array(z.object({ key: z.string(), value: z.string() })).parse(rows);
  }

  // ── snapshots (actor state for later issues) ───────────────────────────────────────────
  saveSnapshot(actorId: string, snapshot: unknown): void {
    this.db
      .prepare('INSERT INTO snapshots (actor_id, snapshot, updated_at) VALUES (?, ?, ?) ON CONFLICT(actor_id) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at')
      .run(actorId, JSON.stringify(snapshot), this.now());
  }

  loadSnapshot(actorId: string): unknown {
    const row = this.db.prepare('SELECT snapshot FROM snapshots WHERE actor_id = ?').get(actorId) as { snapshot: string } | undefined;
    if (!row) return undefined;
    try {
      return JSON.parse(row.snapshot) as unknown;
    } catch {
      return undefined;
    }
  }

  deleteSnapshot(actorId: string): void {
    this.db.prepare('DELETE FROM snapshots WHERE actor_id = ?').run(actorId);
  }

  // ── task and pipeline actors (schema v3) ───────────────────────────────────────────────
  /** Saves (or, with `snapshot: null`, deletes) several actors in one transaction. */
  saveActors(rows: ReadonlyArray<{ key: string; kind: PersistedActorKind; status: string; snapshot: unknown }>): void {
    const at = this.now();
    const up = this.db.prepare(
      'INSERT INTO actors (key, kind, status, snapshot, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, status = excluded.status, snapshot = excluded.snapshot, updated_at = excluded.updated_at',
    );
    const del = this.db.prepare('DELETE FROM actors WHERE key = ?');
    this.transaction(() => {
      for (const r of rows) {
        if (r.snapshot === null) del.run(r.key);
        else up.run(r.key, r.kind, r.status, JSON.stringify(r.snapshot), at);
      }
    });
  }

  deleteActor(key: string): void {
    this.db.prepare('DELETE FROM actors WHERE key = ?').run(key);
  }

  /** Every persisted actor (of one kind); a row whose JSON does not parse is dropped with a warning. */
  loadActors(kind?: PersistedActorKind): PersistedActor[] {
    const rows = z
      .array(ActorRow)
      .parse(kind ? this.db.prepare('SELECT * FROM actors WHERE kind = ? ORDER BY key').all(kind) : this.db.prepare('SELECT * FROM actors ORDER BY key').all());
    const out: PersistedActor[] = [];
    for (const r of rows) {
      try {
        out.push({ ...r, snapshot: JSON.parse(r.snapshot) as unknown });
      } catch {
        this.db.prepare('DELETE FROM actors WHERE key = ?').run(r.key);
      }
    }
    return out;
  }

  // ── transactions ───────────────────────────────────────────────────────────────────────
  /**
   * Run `fn` in one SQLite transaction. Inside an open one, `fn` simply runs as part of it (no
   * savepoint: a throw rolls back the whole outer transaction, which is what every caller wants).
   * Durability classes: `durable` (the default) returns after the commit is on disk
   * (`synchronous = FULL`, one fsync); `relaxed` returns once it is in the WAL (`NORMAL`): it
   * survives a crash or SIGKILL of this process, not an OS crash or power loss. A relaxed part of a
   * durable transaction is durable.
   */
  transaction<T>(fn: () => T, durability: Durability = 'durable'): T {
    if (this.db.inTransaction) return fn();
    if (durability === 'durable') return this.tx.run(fn) as T;
    this.tx.relaxed.run();
    try {
      return this.tx.run(fn) as T;
    } finally {
      this.tx.durable.run();
    }
  }

  // ── outbox (see outbox.ts) ─────────────────────────────────────────────────────────────
  setNoticeRoutes(routes: readonly string[]): void {
    if (routes.length > 0) this.noticeRoutes = [...routes];
  }

  /**
   * A notice for the chat (an alert, a failure report, a task event), once per `key` and route.
   * Returns the first new row id, or undefined when every route already had this key.
   */
  enqueueNotice(n: { key: string; text: string; urgent?: boolean; task_id?: string; routes?: readonly string[] }): number | undefined {
    const at = this.now();
    return this.transaction(() => {
      let first: number | undefined;
      for (const route of n.routes ?? this.noticeRoutes) {
        const id = this.outbox.insert({ key: `notice:${n.key}:${route}`, route, kind: 'notice', text: n.text, urgent: n.urgent ?? false, state: 'pending', next_at: at });
        first ??= id;
      }
      return first;
    });
  }

  /**
   * A task's status for the chat: one message per task and route, edited in place where the channel
   * can (the notifier), with optional inline buttons. An older unsent status of the same task is
   * superseded. Once per `key` and route.
   */
  enqueueTaskStatus(n: { key: string; task_id: string; text: string; urgent?: boolean; buttons?: ReadonlyArray<{ label: string; value: string }> }): number | undefined {
    const at = this.now();
    return this.transaction(() => {
      let first: number | undefined;
      for (const route of this.noticeRoutes) {
        if (this.db.prepare('SELECT 1 AS x FROM outbox WHERE idempotency_key = ?').get(`status:${n.key}:${route}`)) continue;
        this.outbox.supersedeStatus(route, n.task_id);
        const id = this.outbox.insert({ key: `status:${n.key}:${route}`, route, kind: 'status', task_id: n.task_id, text: n.text, urgent: n.urgent ?? false, state: 'pending', next_at: at, buttons: n.buttons });
        first ??= id;
      }
      return first;
    });
  }

  outboxList(opts?: { state?: DeliveryState; limit?: number }): OutboxEntry[] {
    return this.outbox.list(opts);
  }

  outboxRetry(id: number): OutboxEntry | undefined {
    return this.outbox.retry(id);
  }

  outboxDrop(id: number): OutboxEntry | undefined {
    return this.outbox.drop(id);
  }

  outboxCounts(): OutboxCounts {
    return this.outbox.counts();
  }

  trace(messageId: string): Trace {
    return this.outbox.trace(messageId);
  }

  setTopicNotify(topicId: string, mode: TopicNotifyMode): void {
    this.outbox.setTopicNotify(topicId, mode);
  }

  topicNotify(topicId: string): TopicNotifyMode | undefined {
    return this.outbox.topicNotify(topicId);
  }
}
