/**
 * The outbox: chat deliveries waiting, held, sent or failed, one row per (message, route, part),
 * plus the routing decision for every message (for `@wtt trace`) and every send attempt. Rows are
 * written inside the intake's transaction and drained by the notifier, oldest first per route.
 * Owned by StateStore (same file, same connection); never opened on its own.
 */
import type { Database as Db } from 'better-sqlite3';
import { z } from 'zod';
import type { TopicNotifyMode } from './notify-policy.js';

import { DELIVERY_STATES, type DeliveryState } from './delivery-states.js';

export { DELIVERY_STATES, type DeliveryState };
/** `status`: a task's one status message, edited in place where the channel can (src/runtime/notifier.ts). */
export type DeliveryKind = 'message' | 'digest' | 'notice' | 'status';

export const OUTBOX_DDL = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL UNIQUE,
  route TEXT NOT NULL,
  kind TEXT NOT NULL,
  message_id TEXT,
  topic_id TEXT,
  text TEXT NOT NULL,
  urgent INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  hold_reason TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  last_error TEXT,
  chat_message_id TEXT,
  adapter TEXT,
  digest_id INTEGER,
  task_id TEXT,
  buttons TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_route_state ON outbox (route, state, id);
CREATE INDEX IF NOT EXISTS outbox_message ON outbox (message_id);
CREATE INDEX IF NOT EXISTS outbox_recent ON outbox (route, topic_id, created_at);
CREATE TABLE IF NOT EXISTS decisions (
  message_id TEXT PRIMARY KEY,
  topic_id TEXT NOT NULL,
  delivered INTEGER NOT NULL,
  reason TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_at ON decisions (at);
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id INTEGER NOT NULL,
  at INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  error TEXT,
  chat_message_id TEXT,
  adapter TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id);
CREATE TABLE IF NOT EXISTS topic_notify (topic_id TEXT PRIMARY KEY, mode TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS status_messages (
  task_id TEXT NOT NULL,
  route TEXT NOT NULL,
  chat_message_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (task_id, route)
);
`;

/** Columns added after v3 (ALTER TABLE for an existing outbox). */
export const OUTBOX_ADDED_COLUMNS = [
  ['task_id', 'TEXT'],
  ['buttons', 'TEXT'],
] as const;

export const ButtonsJson = z.array(z.object({ label: z.string(), value: z.string() }));

export const OutboxEntry = z.object({
  id: z.number(),
  message_id: z.string().nullable(),
  topic_id: z.string().nullable(),
  route: z.string(),
  kind: z.enum(['message', 'digest', 'notice', 'status']),
  text: z.string(),
  state: z.enum(DELIVERY_STATES),
  hold_reason: z.string().nullable(),
  attempts: z.number(),
  next_at: z.number(),
  last_error: z.string().nullable(),
  chat_message_id: z.string().nullable(),
  adapter: z.string().nullable(),
  digest_id: z.number().nullable(),
  task_id: z.string().nullable(),
  buttons: z.string().nullable(),
  urgent: z.number().transform((n) => n === 1),
  created_at: z.number(),
  updated_at: z.number(),
});
export type OutboxEntry = z.output<typeof OutboxEntry>;
/** Built once: a zod schema costs far more to build than to run (it was rebuilt on every drain). */
const OutboxEntries = z.array(OutboxEntry);

export const Decision = z.object({
  message_id: z.string(),
  topic_id: z.string(),
  delivered: z.number().transform((n) => n === 1),
  reason: z.string(),
  at: z.number(),
});
export type Decision = z.output<typeof Decision>;

export const DeliveryAttempt = z.object({
  delivery_id: z.number(),
  at: z.number(),
  ok: z.number().transform((n) => n === 1),
  error: z.string().nullable(),
  chat_message_id: z.string().nullable(),
  adapter: z.string(),
});
export type DeliveryAttempt = z.output<typeof DeliveryAttempt>;
const DeliveryAttempts = z.array(DeliveryAttempt);

export interface NewDelivery {
  key: string;
  route: string;
  kind: DeliveryKind;
  message_id?: string | null | undefined;
  topic_id?: string | null | undefined;
  text: string;
  urgent?: boolean | undefined;
  /** `held` waits until `next_at` and is then folded into a digest. */
  state: 'pending' | 'held';
  hold_reason?: string | undefined;
  next_at: number;
  task_id?: string | null | undefined;
  /** Inline buttons (`{label, value}`), stored as JSON. */
  buttons?: ReadonlyArray<{ label: string; value: string }> | undefined;
}

export interface Trace {
  decision: Decision | undefined;
  deliveries: OutboxEntry[];
  attempts: DeliveryAttempt[];
}

export type OutboxCounts = Record<DeliveryState, number>;

const COLS = 'id, message_id, topic_id, route, kind, text, state, hold_reason, attempts, next_at, last_error, chat_message_id, adapter, digest_id, task_id, buttons, urgent, created_at, updated_at';
/** Finished rows and decisions are kept this long for `@wtt trace`. */
export const OUTBOX_KEEP_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * How much a commit is worth waiting for (the store's durability classes, src/runtime/store.ts):
 * `durable` waits for the disk (`synchronous = FULL`); `relaxed` does not (`NORMAL`: the WAL keeps
 * it across a process crash or SIGKILL; only an OS crash or power loss can lose it).
 */
export type Durability = 'durable' | 'relaxed';

/** Runs `fn` in one transaction of that durability (inside an open one: as part of it). */
export type Transact = <T>(fn: () => T, durability?: Durability) => T;

export class OutboxTable {
  private readonly ins;
  private readonly one;
  private readonly headPending;
  private readonly dueHeld;
  private readonly nextHeld;
  private readonly recent;
  private readonly decide;
  private readonly attempt;
  private readonly sent;
  private readonly failedSt;
  private readonly retrySt;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
    private readonly tx: Transact,
  ) {
    this.ins = db.prepare(
      `INSERT OR IGNORE INTO outbox (idempotency_key, route, kind, message_id, topic_id, text, urgent, state, hold_reason, next_at, task_id, buttons, created_at, updated_at)
       VALUES (@key, @route, @kind, @message_id, @topic_id, @text, @urgent, @state, @hold_reason, @next_at, @task_id, @buttons, @now, @now)`,
    );
    this.one = db.prepare(`SELECT ${COLS} FROM outbox WHERE id = ?`);
    this.headPending = db.prepare(`SELECT ${COLS} FROM outbox WHERE route = ? AND state = 'pending' ORDER BY id LIMIT 1`);
    this.dueHeld = db.prepare(`SELECT ${COLS} FROM outbox WHERE route = ? AND state = 'held' AND next_at <= ? ORDER BY id`);
    this.nextHeld = db.prepare(`SELECT min(next_at) AS t FROM outbox WHERE route = ? AND state = 'held'`);
    // Counts at most `cap` messages: the burst rule only asks "at least N?", and a full count of a
    // busy window made every intake commit O(window) (measured: 0.8 ms per message at 2,000 in 10 s).
    this.recent = db.prepare(
      `SELECT count(*) AS n FROM (SELECT DISTINCT coalesce(message_id, id) FROM outbox WHERE route = ? AND topic_id = ? AND kind = 'message' AND created_at >= ? LIMIT ?)`,
    );
    this.decide = db.prepare('INSERT OR REPLACE INTO decisions (message_id, topic_id, delivered, reason, at) VALUES (?, ?, ?, ?, ?)');
    this.attempt = db.prepare('INSERT INTO attempts (delivery_id, at, ok, error, chat_message_id, adapter) VALUES (?, ?, ?, ?, ?, ?)');
    this.sent = db.prepare(`UPDATE outbox SET state = 'sent', attempts = attempts + 1, adapter = ?, chat_message_id = ?, last_error = NULL, updated_at = ? WHERE id = ?`);
    this.failedSt = db.prepare(`UPDATE outbox SET state = 'failed', attempts = attempts + 1, adapter = ?, last_error = ?, updated_at = ? WHERE id = ?`);
    this.retrySt = db.prepare(`UPDATE outbox SET attempts = attempts + 1, adapter = ?, last_error = ?, updated_at = ? WHERE id = ?`);
  }

  /** Inside the caller's transaction. Returns the row id, or undefined when the key was already there. */
  insert(d: NewDelivery): number | undefined {
    const r = this.ins.run({
      key: d.key,
      route: d.route,
      kind: d.kind,
      message_id: d.message_id ?? null,
      topic_id: d.topic_id ?? null,
      text: d.text,
      urgent: d.urgent ? 1 : 0,
      state: d.state,
      hold_reason: d.hold_reason ?? null,
      next_at: d.next_at,
      task_id: d.task_id ?? null,
      buttons: d.buttons && d.buttons.length > 0 ? JSON.stringify(d.buttons) : null,
      now: this.now(),
    });
    return r.changes === 1 ? Number(r.lastInsertRowid) : undefined;
  }

  recordDecision(messageId: string, topicId: string, delivered: boolean, reason: string): void {
    this.decide.run(messageId, topicId, delivered ? 1 : 0, reason, this.now());
  }

  /** Messages from `topicId` routed to `route` since `since`, counted up to `cap` (for the burst rule). */
  recentMessages(route: string, topicId: string, since: number, cap: number): number {
    return (this.recent.get(route, topicId, since, Math.max(0, Math.floor(cap))) as { n: number }).n;
  }

  get(id: number): OutboxEntry | undefined {
    const row = this.one.get(id);
    return row === undefined ? undefined : OutboxEntry.parse(row);
  }

  /** The oldest pending row of a route: routes drain strictly in order. */
  head(route: string): OutboxEntry | undefined {
    const row = this.headPending.get(route);
    return row === undefined ? undefined : OutboxEntry.parse(row);
  }

  heldDue(route: string, at: number = this.now()): OutboxEntry[] {
    return OutboxEntries.parse(this.dueHeld.all(route, at));
  }

  /** The release time already set for a held group (route, topic, reason), so one burst becomes one digest. */
  heldUntil(route: string, topicId: string | null, reason: string): number | undefined {
    const t = (
      topicId === null
        ? this.db.prepare(`SELECT max(next_at) AS t FROM outbox WHERE route = ? AND state = 'held' AND hold_reason = ?`).get(route, reason)
        : this.db.prepare(`SELECT max(next_at) AS t FROM outbox WHERE route = ? AND topic_id = ? AND state = 'held' AND hold_reason = ?`).get(route, topicId, reason)
    ) as { t: number | null };
    return t.t ?? undefined;
  }

  /** When the next held row of a route is due (undefined: none held). */
  nextHeldAt(route: string): number | undefined {
    const t = (this.nextHeld.get(route) as { t: number | null }).t;
    return t ?? undefined;
  }

  /** Fold held rows into one new digest row (or several parts), in one transaction. */
  foldIntoDigest(ids: readonly number[], parts: readonly NewDelivery[]): number[] {
    return this.tx(() => {
      const created: number[] = [];
      for (const p of parts) {
        const id = this.insert(p);
        if (id !== undefined) created.push(id);
      }
      const first = created[0] ?? null;
      const st = this.db.prepare(`UPDATE outbox SET state = 'digested', digest_id = ?, updated_at = ? WHERE id = ? AND state = 'held'`);
      for (const id of ids) st.run(first, this.now(), id);
      return created;
    });
  }

  /**
   * A send went through. A `relaxed` commit: it does not wait for the disk; the WAL keeps it across
   * a process crash or SIGKILL, so nothing is sent twice then. Only an OS crash or power loss can
   * lose the last sent-marks, and then those sends repeat: the price of not spending an fsync per
   * chat message (measured: most of the daemon's time per delivery).
   */
  markSent(id: number, adapter: string, chatMessageId: string | undefined): void {
    const at = this.now();
    this.tx(() => {
      this.sent.run(adapter, chatMessageId ?? null, at, id);
      this.attempt.run(id, at, 1, null, chatMessageId ?? null, adapter);
    }, 'relaxed');
  }

  /** A failed attempt; `final` marks the row failed for good. */
  markAttemptFailed(id: number, adapter: string, error: string, final: boolean): void {
    const at = this.now();
    this.tx(() => {
      (final ? this.failedSt : this.retrySt).run(adapter, error, at, id);
      this.attempt.run(id, at, 0, error, null, adapter);
    });
  }

  list(opts: { state?: DeliveryState | undefined; limit?: number | undefined } = {}): OutboxEntry[] {
    const limit = Math.min(Math.max(1, opts.limit ?? 20), 500);
    const rows = opts.state
      ? this.db.prepare(`SELECT ${COLS} FROM outbox WHERE state = ? ORDER BY id DESC LIMIT ?`).all(opts.state, limit)
      : this.db.prepare(`SELECT ${COLS} FROM outbox WHERE state IN ('pending', 'held', 'failed') ORDER BY id DESC LIMIT ?`).all(limit);
    return OutboxEntries.parse(rows);
  }

  /** A failed (or dropped) row goes back to pending with its attempts reset. */
  retry(id: number): OutboxEntry | undefined {
    this.db.prepare(`UPDATE outbox SET state = 'pending', attempts = 0, next_at = ?, updated_at = ? WHERE id = ? AND state IN ('failed', 'dropped')`).run(this.now(), this.now(), id);
    return this.get(id);
  }

  /** A row not yet sent is dropped (never sent). */
  drop(id: number): OutboxEntry | undefined {
    this.db.prepare(`UPDATE outbox SET state = 'dropped', updated_at = ? WHERE id = ? AND state IN ('pending', 'held', 'failed')`).run(this.now(), id);
    return this.get(id);
  }

  trace(messageId: string): Trace {
    const d = this.db.prepare('SELECT message_id, topic_id, delivered, reason, at FROM decisions WHERE message_id = ?').get(messageId);
    const own = OutboxEntries.parse(this.db.prepare(`SELECT ${COLS} FROM outbox WHERE message_id = ? ORDER BY id`).all(messageId));
    const digestIds = [...new Set(own.map((r) => r.digest_id).filter((x): x is number => x !== null))];
    const digests = digestIds.map((id) => this.get(id)).filter((r): r is OutboxEntry => r !== undefined);
    const deliveries = [...own, ...digests];
    const attempts = deliveries.flatMap((r) =>
      DeliveryAttempts.parse(this.db.prepare('SELECT delivery_id, at, ok, error, chat_message_id, adapter FROM attempts WHERE delivery_id = ? ORDER BY id').all(r.id)),
    );
    return { decision: d === undefined ? undefined : Decision.parse(d), deliveries, attempts };
  }

  /** Older unsent status rows of a task on a route: a newer status makes them moot (inside the caller's transaction). */
  supersedeStatus(route: string, taskId: string): void {
    this.db
      .prepare(`UPDATE outbox SET state = 'dropped', last_error = 'superseded by a newer status', updated_at = ? WHERE route = ? AND task_id = ? AND kind = 'status' AND state IN ('pending', 'failed')`)
      .run(this.now(), route, taskId);
  }

  /** The chat message that shows a task's status on a route (edited in place), if one was sent. */
  statusMessage(taskId: string, route: string): string | undefined {
    const r = this.db.prepare('SELECT chat_message_id FROM status_messages WHERE task_id = ? AND route = ?').get(taskId, route) as { chat_message_id: string } | undefined;
    return r?.chat_message_id;
  }

  setStatusMessage(taskId: string, route: string, chatMessageId: string): void {
    this.db
      .prepare('INSERT INTO status_messages (task_id, route, chat_message_id, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(task_id, route) DO UPDATE SET chat_message_id = excluded.chat_message_id, updated_at = excluded.updated_at')
      .run(taskId, route, chatMessageId, this.now());
  }

  /** Deliveries that failed for good at or after `at` (ms). */
  failedSince(at: number): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM outbox WHERE state = 'failed' AND updated_at >= ?`).get(at) as { n: number }).n;
  }

  counts(): OutboxCounts {
    const out: OutboxCounts = { pending: 0, held: 0, sent: 0, failed: 0, dropped: 0, digested: 0 };
    for (const r of this.db.prepare('SELECT state, count(*) AS n FROM outbox GROUP BY state').all() as Array<{ state: DeliveryState; n: number }>) {
      if (r.state in out) out[r.state] = r.n;
    }
    return out;
  }

  /** Routes that have pending or held rows (the notifier starts one actor for each). */
  activeRoutes(): string[] {
    return (this.db.prepare(`SELECT DISTINCT route FROM outbox WHERE state IN ('pending', 'held')`).all() as Array<{ route: string }>).map((r) => r.route);
  }

  setTopicNotify(topicId: string, mode: TopicNotifyMode): void {
    this.db
      .prepare('INSERT INTO topic_notify (topic_id, mode, updated_at) VALUES (?, ?, ?) ON CONFLICT(topic_id) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at')
      .run(topicId, mode, this.now());
  }

  topicNotify(topicId: string): TopicNotifyMode | undefined {
    const row = this.db.prepare('SELECT mode FROM topic_notify WHERE topic_id = ?').get(topicId) as { mode: string } | undefined;
    return row && (row.mode === 'on' || row.mode === 'off' || row.mode === 'digest') ? row.mode : undefined;
  }

  topicNotifyAll(): Array<{ topic_id: string; mode: TopicNotifyMode }> {
    return (this.db.prepare('SELECT topic_id, mode FROM topic_notify ORDER BY topic_id').all() as Array<{ topic_id: string; mode: TopicNotifyMode }>);
  }

  /** Forget finished rows, their attempts and decisions older than the trace window. */
  prune(keepMs: number = OUTBOX_KEEP_MS): number {
    const before = this.now() - keepMs;
    return this.tx(() => {
      this.db.prepare(`DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM outbox WHERE state IN ('sent', 'dropped', 'digested') AND updated_at < ?)`).run(before);
      const n = this.db.prepare(`DELETE FROM outbox WHERE state IN ('sent', 'dropped', 'digested') AND updated_at < ?`).run(before).changes;
      this.db.prepare('DELETE FROM decisions WHERE at < ?').run(before);
      return n;
    });
  }
}
