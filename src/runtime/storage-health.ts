/**
 * Whether the state file can be written right now. A full disk (SQLITE_FULL, ENOSPC), an I/O error
 * or a lock held too long is not a bug in a message: it passes when there is room or the disk
 * answers again, so the writers that meet it (the intake, the notifier) keep what they could not
 * record for a retry with backoff, and this tracker says so ONCE per episode — a log line when
 * writes start failing, one when they succeed again — and in `wtt status` (`store`).
 */
import type { Logger } from '../log.js';

/** SQLite result codes (better-sqlite3's `code`) and errnos that mean "the disk", not "the data". */
const TRANSIENT = /^(SQLITE_(FULL|IOERR(_\w+)?|BUSY(_\w+)?|LOCKED(_\w+)?|READONLY(_\w+)?|CANTOPEN(_\w+)?|NOMEM|PROTOCOL)|ENOSPC|EDQUOT|EIO|EROFS)$/;
const FULL = /^(SQLITE_FULL|ENOSPC|EDQUOT)$/;

function codeOf(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** True when `e` says the state file cannot be written now (full disk, I/O error, busy), not that the data is wrong. */
export function isStorageError(e: unknown): boolean {
  const code = codeOf(e);
  if (code !== undefined && TRANSIENT.test(code)) return true;
  return e instanceof Error && /database or disk is full|no space left on device|disk I\/O error/i.test(e.message);
}

/** True when `e` is a full disk (or quota). */
export function isDiskFull(e: unknown): boolean {
  const code = codeOf(e);
  if (code !== undefined && FULL.test(code)) return true;
  return e instanceof Error && /database or disk is full|no space left on device/i.test(e.message);
}

export interface StorageReport {
  /** False from the first failed write until the next one that succeeds. */
  writable: boolean;
  /** Since when writes fail (ISO), or null. */
  since: string | null;
  /** The last failure ("the disk is full (SQLITE_FULL) …"), or null. */
  error: string | null;
  /** Writes that failed in this episode. */
  failed_writes: number;
}

export class StorageHealth {
  private failingSince: number | undefined;
  private lastError: string | null = null;
  private failures = 0;

  constructor(
    private readonly path: string,
    private readonly log?: Logger | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get writable(): boolean {
    return this.failingSince === undefined;
  }

  /** A write failed with `e` (a storage error) in `where` (intake, notifier, …). */
  failed(e: unknown, where: string): void {
    const code = codeOf(e) ?? 'unknown';
    const message = e instanceof Error ? e.message : String(e);
    this.lastError = isDiskFull(e)
      ? `the disk is full (${code}): ${this.path} cannot grow; nothing is lost, what could not be recorded is retried`
      : `the state file cannot be written (${code}: ${message.slice(0, 200)}); what could not be recorded is retried`;
    this.failures++;
    if (this.failingSince !== undefined) return;
    this.failingSince = this.now();
    this.log?.error({ path: this.path, code, where, err: message.slice(0, 300) }, `${this.lastError} (retrying with backoff)`);
  }

  /** A write succeeded: the end of an episode, if one was going on. */
  ok(): void {
    if (this.failingSince === undefined) return;
    const s = Math.round((this.now() - this.failingSince) / 1000);
    this.log?.warn({ path: this.path, failed_writes: this.failures, seconds: s }, `the state file is writable again after ${s} s (${this.failures} write(s) had failed and are being retried)`);
    this.failingSince = undefined;
    this.failures = 0;
  }

  report(): StorageReport {
    return {
      writable: this.writable,
      since: this.failingSince === undefined ? null : new Date(this.failingSince).toISOString(),
      error: this.failingSince === undefined ? null : this.lastError,
      failed_writes: this.failures,
    };
  }
}
