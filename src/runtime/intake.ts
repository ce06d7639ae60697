/**
 * Lossless intake: every inbound message (live push, catch-up history, poll) passes here.
 * Validated with zod (invalid → one warning line with the reason, dropped, counted), deduped against
 * the store (seen ids, and the topic cursor when both carry `seq`), then, in ONE SQLite
 * transaction, recorded as seen (id + cursor) AND turned into the chat deliveries it causes.
 * Nothing leaves the process before that commit, so several messages may share one commit (group
 * commit: catch-up pages and live frames queued in the same tick).
 *
 * When a commit fails (a full disk, a bug in routing), nothing of it is recorded, and later
 * messages of that topic are held back too until the next catch-up: otherwise the next good one
 * would move the cursor past the failed one and it would never be fetched again. A failure of the
 * disk itself (storage-health.ts: SQLITE_FULL, I/O errors) holds back every topic of the commit at
 * once, is logged once per episode (not per message), and makes the catch-up fail while it lasts,
 * so that the connection retries it with backoff until there is room again.
 */
import type { z } from 'zod';
import { Message } from '../protocol/index.js';
import { scrubSecrets, type Logger } from '../log.js';
import { planDeliveries, type DeliveryPlanner } from './deliveries.js';
import { isStorageError } from './storage-health.js';
import type { StateStore } from './store.js';

export type IntakeSource = 'live' | 'catchup' | 'poll';
export type IntakeOutcome = 'delivered' | 'duplicate' | 'invalid' | 'failed';

export interface IntakeCounts {
  /** Recorded (and routed) exactly once. */
  delivered: number;
  duplicates: number;
  invalid: number;
  /** The commit failed (or its topic was held back); not recorded, it comes again with the next catch-up. */
  failed: number;
}

/** What one commit recorded: the notifier is woken for `routeKeys`. */
export interface Committed {
  messages: readonly Message[];
  routeKeys: readonly string[];
  source: IntakeSource;
}

/** Sees each message once, after its commit (`wtt up` prints it). A throw here is logged, nothing more. */
export type MessageSink = (m: Message, source: IntakeSource) => void;

export interface IntakeOptions {
  store: StateStore;
  /** Routing into the outbox; without it messages are only recorded. */
  planner?: DeliveryPlanner | undefined;
  onMessage?: MessageSink | undefined;
  /**
   * Where the message itself is the output (`wtt tail` prints it): called inside the transaction,
   * before the commit, one message per commit. A throw rolls the commit back (the message comes
   * again); a crash between the hand-on and the commit repeats that one message.
   */
  handOn?: MessageSink | undefined;
  onCommitted?: ((c: Committed) => void) | undefined;
  /** A topic was held back after a failed commit: a catch-up brings its messages again. */
  onHeldBack?: ((topicId: string) => void) | undefined;
  log?: Logger | undefined;
  /** Credentials that must never reach a log line (a hostile server may echo them in a frame). */
  secrets?: ReadonlyArray<string | undefined> | undefined;
  /** The clock for routing (quiet hours, bursts); default Date.now. */
  now?: (() => number) | undefined;
}

/** The reason a value is not a message, as the intake logs it (one line, zod's issues). */
export function messageIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(message)'} ${i.message}`).join('; ');
}

export class Intake {
  readonly counts: IntakeCounts = { delivered: 0, duplicates: 0, invalid: 0, failed: 0 };
  private readonly store: StateStore;
  private readonly opts: IntakeOptions;
  private readonly log: Logger | undefined;
  private readonly secrets: ReadonlyArray<string | undefined>;
  private readonly now: () => number;
  /** Topics whose commit failed: nothing more of them is recorded until a catch-up. */
  private readonly heldBack = new Set<string>();
  private queue: Message[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(opts: IntakeOptions) {
    this.store = opts.store;
    this.opts = opts;
    this.log = opts.log;
    this.secrets = opts.secrets ?? [];
    this.now = opts.now ?? Date.now;
  }

  /** Anything from the wire that should be a message. */
  offer(raw: unknown, source: IntakeSource): IntakeOutcome {
    const r = Message.safeParse(raw);
    if (!r.success) {
      this.invalid(messageIssues(r.error), source);
      return 'invalid';
    }
    return this.accept(r.data, source);
  }

  /** Count and report a frame or message that failed validation. */
  invalid(reason: string, source: IntakeSource | 'frame'): void {
    this.counts.invalid++;
    this.log?.warn({ source, reason: scrubSecrets(reason, this.secrets).slice(0, 500) }, 'invalid inbound message dropped');
  }

  /** True when this message was already recorded (or is older than the topic's cursor). */
  isDuplicate(m: Message): boolean {
    if (this.store.hasSeen(m.id)) return true;
    if (typeof m.seq === 'number') {
      const c = this.store.cursor(m.topic_id);
      if (c && c.seq !== null && m.seq <= c.seq) return true;
    }
    return false;
  }

  /** One validated message, in its own commit. */
  accept(m: Message, source: IntakeSource): IntakeOutcome {
    const n = this.acceptMany([m], source);
    if (n.delivered === 1) return 'delivered';
    if (n.duplicates === 1) return 'duplicate';
    return 'failed';
  }

  /**
   * Validated messages, oldest first, in ONE commit (group commit). When that commit fails they are
   * tried one by one, so one bad message holds back only its own topic.
   */
  acceptMany(list: readonly Message[], source: IntakeSource): { delivered: number; duplicates: number; failed: number } {
    const out = { delivered: 0, duplicates: 0, failed: 0 };
    if (list.length === 0) return out;
    if (this.opts.handOn && list.length > 1) return this.oneByOne(list, source);
    try {
      const r = this.commit(list, source);
      if (r.tally.delivered > 0) this.store.health.ok();
      Object.assign(out, r.tally);
      this.after(r.fresh, r.routeKeys, source);
    } catch (e) {
      if (isStorageError(e)) {
        // The disk, not a message: trying them one by one would only fail the same way.
        this.store.health.failed(e, 'intake');
        for (const m of list) this.holdBack(m.topic_id);
        out.failed += list.length;
        this.counts.failed += list.length;
      } else if (list.length === 1) {
        this.fail(list[0] as Message, source, e);
        out.failed++;
      } else {
        return this.oneByOne(list, source);
      }
    }
    this.counts.delivered += out.delivered;
    this.counts.duplicates += out.duplicates;
    return out;
  }

  /** Each message in its own commit. */
  private oneByOne(list: readonly Message[], source: IntakeSource): { delivered: number; duplicates: number; failed: number } {
    const out = { delivered: 0, duplicates: 0, failed: 0 };
    for (const m of list) {
      const one = this.acceptMany([m], source);
      out.delivered += one.delivered;
      out.duplicates += one.duplicates;
      out.failed += one.failed;
    }
    return out;
  }

  private commit(list: readonly Message[], source: IntakeSource) {
    const tally = { delivered: 0, duplicates: 0, failed: 0 };
    const fresh: Message[] = [];
    const routeKeys = new Set<string>();
    const now = this.now();
    const held: Message[] = [];
    this.store.transaction(() => {
      const inBatch = new Set<string>();
      for (const m of list) {
        if (inBatch.has(m.id) || this.isDuplicate(m)) {
          tally.duplicates++;
          continue;
        }
        if (this.heldBack.has(m.topic_id)) {
          held.push(m);
          tally.failed++;
          continue;
        }
        inBatch.add(m.id);
        this.store.markHandled(m);
        if (this.opts.planner) for (const k of planDeliveries(this.store, m, this.opts.planner, now)) routeKeys.add(k);
        this.opts.handOn?.(m, source);
        fresh.push(m);
        tally.delivered++;
      }
    });
    if (held.length > 0) {
      this.counts.failed += held.length;
      this.log?.warn({ source, topic_id: held[0]?.topic_id, messages: held.length }, 'messages held back until the next catch-up (an earlier message of their topic could not be recorded)');
    }
    return { tally, fresh, routeKeys: [...routeKeys] };
  }

  private after(fresh: readonly Message[], routeKeys: readonly string[], source: IntakeSource): void {
    if (fresh.length === 0) return;
    if (this.opts.onMessage) {
      for (const m of fresh) {
        try {
          this.opts.onMessage(m, source);
        } catch (e) {
          this.log?.error({ message_id: m.id, err: e instanceof Error ? e.message : String(e) }, 'a message monitor failed (the message is recorded)');
        }
      }
    }
    try {
      this.opts.onCommitted?.({ messages: fresh, routeKeys, source });
    } catch (e) {
      this.log?.error({ err: e instanceof Error ? e.message : String(e) }, 'waking the router failed (the messages are recorded)');
    }
  }

  private fail(m: Message, source: IntakeSource, e: unknown): void {
    this.counts.failed++;
    this.log?.error(
      { source, message_id: m.id, topic_id: m.topic_id, err: scrubSecrets(e instanceof Error ? e.message : String(e), this.secrets) },
      'recording a message failed; its topic is held back until the next catch-up brings it again',
    );
    this.holdBack(m.topic_id);
  }

  private holdBack(topicId: string): void {
    if (this.heldBack.has(topicId)) return;
    this.heldBack.add(topicId);
    this.opts.onHeldBack?.(topicId);
  }

  /**
   * True while messages are held back because the state file cannot be written (a full disk): the
   * catch-up then fails, so the connection tries it again after a backoff.
   */
  get blockedByStorage(): boolean {
    return this.heldBack.size > 0 && !this.store.health.writable;
  }

  /** A catch-up starts from the persisted cursors: held-back topics may be recorded again. */
  beginCatchUp(): void {
    this.heldBack.clear();
  }

  get heldBackTopics(): readonly string[] {
    return [...this.heldBack];
  }

  /** A live frame's message: committed with the others of the same tick (group commit). */
  enqueueLive(m: Message): void {
    if (this.closed) return;
    if (this.opts.handOn) {
      this.accept(m, 'live');
      return;
    }
    this.queue.push(m);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Commit what is queued now. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length > 0 && this.store.isOpen) this.acceptMany(batch, 'live');
  }

  /** Flush and refuse more (before the store closes). */
  close(): void {
    this.flush();
    this.closed = true;
  }

  /** Record a message as the starting point without routing it ("start from now"). */
  skip(m: Message): void {
    if (!this.isDuplicate(m)) this.store.markHandled(m);
  }
}
