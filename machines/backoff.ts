/**
 * Pure reconnect policy (issue 13): full-jitter backoff (AWS "Exponential Backoff And Jitter") that
 * grows only across consecutive failed dials, plus a separate flap guard for links that die soon
 * after opening.
 *
 * - After a link that was open goes down, the first redial waits `random() × baseMs` (a healthy link
 *   lost once is back within one base step).
 * - Each failed dial in a row raises the ceiling: `min(capMs, baseMs · 2^(attempt−1))`, and never
 *   more than `downRatio` × the time already spent waiting since the link went down (but at least
 *   `baseMs`). So a hub that comes back after an outage of D ms is noticed within max(baseMs, D/2):
 *   never minutes later, and without a hot loop (the dial rate falls as the outage lasts).
 * - Flap guard: a link that dies before it was live for `stableMs` counts as a flap; `n` flaps in a
 *   row raise the ceiling of every delay to at least `min(capMs, baseMs · 2^n)` until a link stays
 *   live for `stableMs`. A server that accepts and closes at once therefore sees growing gaps.
 */

export const BACKOFF_DEFAULTS = Object.freeze({
  baseMs: 250,
  capMs: 30_000,
  /** A link live this long is stable (the flap count resets); one that dies earlier is a flap. */
  stableMs: 2_000,
  /** Enter polling after this many failed dials in a row … */
  pollAfterFailures: 3,
  /** … or after this long without reaching `open`. */
  pollAfterMs: 30_000,
  /** The ceiling never exceeds this share of the time already waited since the link went down. */
  downRatio: 0.5,
});

/** The ceiling of the delay before reconnect number `attempt` (1-based): min(cap, base · 2^(attempt−1)). */
export function backoffCeilingMs(attempt: number, baseMs: number, capMs: number): number {
  if (attempt <= 0) return 0;
  // 2^31 already exceeds any sane cap; avoid Infinity for very long outages.
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 31));
}

/** Full jitter: uniform in [0, ceiling). `random` returns [0, 1). */
export function jitterMs(ceilingMs: number, random: () => number): number {
  const r = random();
  const u = Number.isFinite(r) ? Math.min(Math.max(r, 0), 0.999999) : 0;
  return Math.floor(u * ceilingMs);
}

/** Full jitter below `backoffCeilingMs(attempt, …)`. */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  return jitterMs(backoffCeilingMs(attempt, baseMs, capMs), random);
}

/** The flap guard's floor after `flaps` short-lived links in a row: 0, then min(cap, base · 2^flaps). */
export function flapFloorMs(flaps: number, baseMs: number, capMs: number): number {
  return flaps <= 0 ? 0 : backoffCeilingMs(flaps + 1, baseMs, capMs);
}

export interface ReconnectPlan {
  /** Reconnect number since the link was last open (1 = the first redial after it went down). */
  attempt: number;
  /** Time already waited (sum of the delays) since the link was last open. */
  downMs: number;
  /** Links in a row that died before they were stable. */
  flaps: number;
}

export interface ReconnectPolicy {
  baseMs: number;
  capMs: number;
  downRatio?: number | undefined;
}

/** The ceiling of the next delay: the dial backoff (bounded by the time already down), never below the flap floor. */
export function reconnectCeilingMs(plan: ReconnectPlan, policy: ReconnectPolicy): number {
  const { baseMs, capMs } = policy;
  const ratio = policy.downRatio ?? BACKOFF_DEFAULTS.downRatio;
  if (plan.attempt <= 0) return flapFloorMs(plan.flaps, baseMs, capMs);
  const dial = Math.min(backoffCeilingMs(plan.attempt, baseMs, capMs), Math.max(baseMs, Math.floor(ratio * plan.downMs)));
  return Math.min(capMs, Math.max(dial, flapFloorMs(plan.flaps, baseMs, capMs)));
}

/** The next delay: full jitter below `reconnectCeilingMs`. */
export function reconnectDelayMs(plan: ReconnectPlan, policy: ReconnectPolicy, random: () => number): number {
  return jitterMs(reconnectCeilingMs(plan, policy), random);
}
