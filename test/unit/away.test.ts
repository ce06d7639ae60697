import { describe, expect, it } from 'vitest';
import { AwayTracker, awayReport, humanDuration } from '../../src/runtime/away.js';

const MIN = 60_000;
const down = { state: 'backoff', attempt: 1, delayMs: 250, flaps: 0, reason: 'hub unreachable (ECONNREFUSED)' } as const;

describe('the report after being away', () => {
  it('says durations the way a person would', () => {
    expect(humanDuration(45_000)).toBe('45 s');
    expect(humanDuration(200_000)).toBe('3 min 20 s');
    expect(humanDuration(12 * MIN)).toBe('12 min');
    expect(humanDuration(125 * MIN)).toBe('2 h 5 min');
    expect(humanDuration((3 * 24 + 4) * 60 * MIN)).toBe('3 d 4 h');
    expect(humanDuration(-5)).toBe('0 s');
  });

  it('names how long, why, how much was caught up and what failed', () => {
    expect(awayReport({ kind: 'restart', awayMs: 12 * MIN, caughtUp: 42, failed: 2, clean: false })).toBe(
      '🔄 WTT is back after 12 min (restarted after an unclean stop): 42 messages caught up, 2 deliveries failed (`@wtt outbox`).',
    );
    expect(awayReport({ kind: 'restart', awayMs: 90_000, caughtUp: 1, failed: 0, clean: true })).toBe('🔄 WTT is back after 1 min 30 s (restarted): 1 message caught up.');
    expect(awayReport({ kind: 'outage', awayMs: 200_000, caughtUp: 17, failed: 1, reason: 'hub unreachable' })).toBe(
      "🔌 WTT's live link was down for 3 min 20 s (hub unreachable): 17 messages caught up, 1 delivery failed (`@wtt outbox`).",
    );
  });

  it('reports a restart once, after the first catch-up, counted from the last run’s last sign of life', () => {
    const t = new AwayTracker({ minAwayMs: MIN, previousRun: { aliveAt: 1_000, clean: false } });
    t.status({ state: 'connecting', attempt: 1 }, 600_000);
    expect(t.caughtUp(5, 601_000)).toEqual({ kind: 'restart', awayMs: 600_000, caughtUp: 5, clean: false, since: 1_000 });
    t.status({ state: 'live' }, 601_000);
    expect(t.caughtUp(0, 700_000)).toBeUndefined();
  });

  it('says nothing on the first start, or when the absence was shorter than the threshold', () => {
    expect(new AwayTracker({ minAwayMs: MIN }).caughtUp(0, 5_000)).toBeUndefined();
    expect(new AwayTracker({ minAwayMs: MIN, previousRun: { aliveAt: 1_000, clean: true } }).caughtUp(3, 30_000)).toBeUndefined();
    const t = new AwayTracker({ minAwayMs: MIN });
    t.status({ state: 'live' }, 0);
    t.status(down, 10_000);
    t.status({ state: 'catchingUp' }, 20_000);
    expect(t.caughtUp(2, 21_000)).toBeUndefined();
  });

  it('reports an outage of the live link from the moment it went down, once, with the reason', () => {
    const t = new AwayTracker({ minAwayMs: MIN });
    t.status({ state: 'live' }, 0);
    t.status(down, 10_000);
    t.status({ state: 'polling', attempt: 3, delayMs: 1_000, flaps: 0, reason: 'hub unreachable (ECONNREFUSED)' }, 12_000);
    t.status({ state: 'connecting', attempt: 4 }, 200_000);
    expect(t.caughtUp(9, 210_000)).toEqual({ kind: 'outage', awayMs: 200_000, caughtUp: 9, reason: 'hub unreachable (ECONNREFUSED)', since: 10_000 });
    t.status({ state: 'live' }, 210_000);
    expect(t.caughtUp(0, 400_000)).toBeUndefined();
  });

  it('does not call a link that never went live an outage', () => {
    const t = new AwayTracker({ minAwayMs: 0 });
    t.status(down, 1_000);
    expect(t.caughtUp(0, 500_000)).toBeUndefined();
  });
});
