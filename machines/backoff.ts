/** Pure reconnect policy: full-jitter exponential backoff (AWS "Exponential Backoff And Jitter"). */

export const BACKOFF_DEFAULTS = Object.freeze({
  baseMs: 500,
  capMs: 30_000,
  /** `open.live` this long resets the attempt counter. */
  stableMs: 10_000,
  /** Enter polling after this many failed dials in a row … */
  pollAfterFailures: 3,
  /** … or after this long without reaching `open`. */
  pollAfterMs: 30_000,
});

/** The ceiling of the delay before reconnect number `attempt` (1-based): min(cap, base · 2^(attempt−1)). */
export function backoffCeilingMs(attempt: number, baseMs: number, capMs: number): number {
  if (attempt <= 0) return 0;
  // 2^31 already exceeds any sane cap; avoid Infinity for very long outages.
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 31));
}

/** Full jitter: uniform in [0, ceiling). `random` returns [0, 1). */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const r = random();
  const u = Number.isFinite(r) ? Math.min(Math.max(r, 0), 0.999999) : 0;
  return Math.floor(u * backoffCeilingMs(attempt, baseMs, capMs));
}
