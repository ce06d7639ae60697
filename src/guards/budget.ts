/**
 * Per-peer budget of runs per hour (a sliding window). The state is plain JSON (peer → start
 * times), so it can be persisted; every function returns a new state and never reads a clock. Pure.
 */
export const DEFAULT_RUNS_PER_HOUR = 20;
export const HOUR_MS = 3_600_000;

export type BudgetState = Readonly<Record<string, readonly number[]>>;

export type BudgetVerdict =
  | { allowed: true; state: BudgetState; remaining: number }
  | { allowed: false; state: BudgetState; remaining: 0; resetAt: number; reason: string };

function recent(times: readonly number[] | undefined, now: number, windowMs: number): number[] {
  return (times ?? []).filter((t) => t > now - windowMs && t <= now);
}

/** Takes one run from `peer`'s budget when there is one left; otherwise says when the next frees up. */
export function takeRun(state: BudgetState, peer: string, now: number, limit = DEFAULT_RUNS_PER_HOUR, windowMs = HOUR_MS): BudgetVerdict {
  const times = recent(state[peer], now, windowMs);
  if (times.length >= limit) {
    const resetAt = Math.min(...times) + windowMs;
    return { allowed: false, state: { ...state, [peer]: times }, remaining: 0, resetAt, reason: `${peer} used its ${limit} runs for this hour` };
  }
  const next = [...times, now];
  return { allowed: true, state: { ...state, [peer]: next }, remaining: limit - next.length };
}

/** Drops peers with no run inside the window (keeps the persisted state small). */
export function pruneBudget(state: BudgetState, now: number, windowMs = HOUR_MS): BudgetState {
  const out: Record<string, readonly number[]> = {};
  for (const [peer, times] of Object.entries(state)) {
    const r = recent(times, now, windowMs);
    if (r.length > 0) out[peer] = r;
  }
  return out;
}
