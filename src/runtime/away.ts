/**
 * The one short report after the daemon was away: restarted (the last run ended, cleanly or not),
 * or cut off from the hub for a while. Sent once the catch-up that follows is done, so it can say
 * how much was caught up:
 *
 *   🔄 WTT is back after 12 min (restarted after an unclean stop): 42 messages caught up, 2 deliveries failed (`@wtt outbox`).
 *   🔌 WTT's live link was down for 3 min 20 s (hub unreachable): 17 messages caught up.
 *
 * Pure: the text from the facts; `AwayTracker` turns connection statuses and catch-ups into at most
 * one report per absence.
 */
import type { ConnectionStatus } from '../../machines/connection.machine.js';

export interface AwayFacts {
  kind: 'restart' | 'outage';
  awayMs: number;
  caughtUp: number;
  failed: number;
  /** restart: whether the last run stopped cleanly; outage: ignored. */
  clean?: boolean | undefined;
  /** outage: why the link was down (scrubbed). */
  reason?: string | undefined;
}

/** 45 s, 3 min 20 s, 2 h 5 min, 3 d 4 h. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

export function awayReport(f: AwayFacts): string {
  const head =
    f.kind === 'restart'
      ? `🔄 WTT is back after ${humanDuration(f.awayMs)} (restarted${f.clean === false ? ' after an unclean stop' : ''})`
      : `🔌 WTT's live link was down for ${humanDuration(f.awayMs)}${f.reason ? ` (${f.reason.slice(0, 120)})` : ''}`;
  const caught = `${f.caughtUp} message${f.caughtUp === 1 ? '' : 's'} caught up`;
  const failed = f.failed > 0 ? `, ${f.failed} deliver${f.failed === 1 ? 'y' : 'ies'} failed (\`@wtt outbox\`)` : '';
  return `${head}: ${caught}${failed}.`;
}

export interface AwayTrackerOptions {
  /** Absences shorter than this are not reported (ms). */
  minAwayMs: number;
  /** The previous run, if there was one: when it was last alive, and whether it stopped cleanly. */
  previousRun?: { aliveAt: number; clean: boolean } | undefined;
}

/** What the tracker wants said: the facts without the failed count (the caller asks the store). */
export type AwayDue = Omit<AwayFacts, 'failed'> & { since: number };

/**
 * Follows the connection: `status()` on each change, `caughtUp()` after each catch-up. Returns the
 * report due (once per absence) from `caughtUp`. A restart counts from the previous run's last sign
 * of life; an outage from the moment the link left `live`.
 */
export class AwayTracker {
  private restart: { since: number; clean: boolean } | undefined;
  private downSince: number | undefined;
  private downReason: string | undefined;
  private wasLive = false;

  constructor(private readonly opts: AwayTrackerOptions) {
    if (opts.previousRun) this.restart = { since: opts.previousRun.aliveAt, clean: opts.previousRun.clean };
  }

  status(s: ConnectionStatus, at: number): void {
    if (s.state === 'live') {
      this.wasLive = true;
      return;
    }
    // backoff / polling / unauthorized: the live link is down (connecting and catching up are not).
    if (s.state !== 'backoff' && s.state !== 'polling' && s.state !== 'unauthorized') return;
    if (this.wasLive && this.downSince === undefined) this.downSince = at;
    if (s.reason) this.downReason = s.reason;
  }

  caughtUp(delivered: number, at: number): AwayDue | undefined {
    if (this.restart) {
      const r = this.restart;
      this.restart = undefined;
      this.downSince = undefined;
      this.downReason = undefined;
      const awayMs = at - r.since;
      return awayMs >= this.opts.minAwayMs ? { kind: 'restart', awayMs, caughtUp: delivered, clean: r.clean, since: r.since } : undefined;
    }
    if (this.downSince === undefined) return undefined;
    const since = this.downSince;
    const reason = this.downReason;
    this.downSince = undefined;
    this.downReason = undefined;
    const awayMs = at - since;
    return awayMs >= this.opts.minAwayMs ? { kind: 'outage', awayMs, caughtUp: delivered, reason, since } : undefined;
  }
}
