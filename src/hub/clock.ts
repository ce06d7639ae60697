/** The hub's one clock; tests inject `now` to move time (claim-code expiry, rate-limit windows). */
export interface Clock {
  nowMs(): number;
  iso(): string;
}

export function makeClock(now: () => number = Date.now): Clock {
  return {
    nowMs: now,
    iso: () => new Date(now()).toISOString(),
  };
}
