/**
 * Group commit for publishes. With `synchronous = FULL` every commit waits for the disk (fsync of
 * the WAL), and that wait, not the work, bounded the hub's publish rate. Publishes that arrive in
 * the same turn of the event loop (REST requests parsed together, frames of different sockets) are
 * checked and stored in ONE transaction, committed at the end of the turn (`setImmediate`), and
 * each is answered (and fanned out) only after that commit: an answered publish is on disk exactly
 * as before, it just shares its fsync. Each publish is its own savepoint, so one that is refused
 * (its checks throw) or fails leaves the others in the batch untouched.
 */
import type { Database } from 'better-sqlite3';
import type { Message } from '../protocol/index.js';
import type { NewMessage } from './core.js';

interface Pending {
  /** The checks of one publish; returns what to store, or throws (a `HubError` is the answer). */
  readonly check: () => NewMessage;
  readonly resolve: (m: Message) => void;
  readonly reject: (e: unknown) => void;
}

export interface GroupCommitStore {
  /** Stores in a savepoint of the open transaction. */
  store(m: NewMessage): Message;
  /** Pushes the stored message to its topic's members (after the commit). */
  fanOut(m: Message): void;
}

export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;
  /** Batches committed and publishes in them, for tests and the benchmark's detail. */
  readonly stats = { commits: 0, publishes: 0, largest: 0 };

  constructor(
    private readonly db: Database,
    private readonly messages: GroupCommitStore,
  ) {}

  /** Queues one publish for this turn's commit; settles after the commit (or with the publish's own error). */
  add(check: () => NewMessage): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      this.pending.push({ check, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now (also called by `close`, so nothing queued is dropped). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const outcomes: ({ ok: true; message: Message } | { ok: false; error: unknown })[] = [];
    try {
      this.db.transaction(() => {
        for (const p of batch) {
          try {
            outcomes.push({ ok: true, message: this.messages.store(p.check()) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      // The commit itself failed: nothing of the batch is stored, every publish is told.
      for (const p of batch) p.reject(error);
      return;
    }
    this.stats.commits++;
    this.stats.publishes += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (!o) return;
      if (o.ok) {
        this.messages.fanOut(o.message);
        p.resolve(o.message);
      } else p.reject(o.error);
    });
  }
}
