/**
 * Lossless intake: every inbound message (live push, catch-up history, poll) passes here.
 * Validated with zod (invalid → one warning line with the reason, dropped, counted), deduped against
 * the store (seen ids, and the topic cursor when both carry `seq`), handed on exactly once, then
 * recorded (seen id + cursor) in one transaction.
 */
import type { z } from 'zod';
import { Message } from '../protocol/index.js';
import { scrubSecrets, type Logger } from '../log.js';
import type { StateStore } from './store.js';

export type IntakeSource = 'live' | 'catchup' | 'poll';
export type IntakeOutcome = 'delivered' | 'duplicate' | 'invalid' | 'failed';

export interface IntakeCounts {
  delivered: number;
  duplicates: number;
  invalid: number;
  /** The hand-on threw; the message is not recorded and comes again with the next catch-up. */
  failed: number;
}

/** Receives each message once. Must take it synchronously (enqueue into the actor system, write a line). */
export type MessageSink = (m: Message, source: IntakeSource) => void;

export interface IntakeOptions {
  store: StateStore;
  onMessage: MessageSink;
  log?: Logger | undefined;
  /** Credentials that must never reach a log line (a hostile server may echo them in a frame). */
  secrets?: ReadonlyArray<string | undefined> | undefined;
}

/** The reason a value is not a message, as the intake logs it (one line, zod's issues). */
export function messageIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(message)'} ${i.message}`).join('; ');
}

export class Intake {
  readonly counts: IntakeCounts = { delivered: 0, duplicates: 0, invalid: 0, failed: 0 };
  private readonly store: StateStore;
  private readonly sink: MessageSink;
  private readonly log: Logger | undefined;
  private readonly secrets: ReadonlyArray<string | undefined>;

  constructor(opts: IntakeOptions) {
    this.store = opts.store;
    this.sink = opts.onMessage;
    this.log = opts.log;
    this.secrets = opts.secrets ?? [];
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

  /** True when this message was already handed on (or is older than the topic's cursor). */
  isDuplicate(m: Message): boolean {
    if (this.store.hasSeen(m.id)) return true;
    if (typeof m.seq === 'number') {
      const c = this.store.cursor(m.topic_id);
      if (c && c.seq !== null && m.seq <= c.seq) return true;
    }
    return false;
  }

  /** A validated message: dedupe, hand on, record. */
  accept(m: Message, source: IntakeSource): IntakeOutcome {
    if (this.isDuplicate(m)) {
      this.counts.duplicates++;
      return 'duplicate';
    }
    try {
      this.sink(m, source);
    } catch (e) {
      this.counts.failed++;
      this.log?.error({ source, message_id: m.id, topic_id: m.topic_id, err: e instanceof Error ? e.message : String(e) }, 'handing a message on failed');
      return 'failed';
    }
    this.store.markHandled(m);
    this.counts.delivered++;
    return 'delivered';
  }

  /** Record a message as the starting point without handing it on ("start from now"). */
  skip(m: Message): void {
    if (!this.isDuplicate(m)) this.store.markHandled(m);
  }
}
