/**
 * A fixed-window counter per key (agent, user or IP). `hit` answers how many seconds the caller
 * must wait, or 0 when the request may go ahead.
 */
export interface RateLimitOptions {
  /** Requests allowed per window and key. */
  max: number;
  windowMs: number;
}

/** Generous by default: 6000 requests per minute per agent. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = Object.freeze({ max: 6000, windowMs: 60_000 });

/** Sweep expired windows once the table holds this many keys. */
const SWEEP_AT = 10_000;

export class RateLimiter {
  private readonly windows = new Map<string, { startMs: number; count: number }>();

  constructor(
    private readonly opts: RateLimitOptions,
    private readonly nowMs: () => number,
  ) {
    if (!Number.isInteger(opts.max) || opts.max < 1) throw new RangeError(`rateLimit.max must be a whole number ≥ 1, got ${opts.max}`);
    if (!Number.isFinite(opts.windowMs) || opts.windowMs < 1) throw new RangeError(`rateLimit.windowMs must be ≥ 1, got ${opts.windowMs}`);
  }

  /** Counts one request for `key`; returns 0 when allowed, else whole seconds until the window resets (≥ 1). */
  hit(key: string): number {
    const now = this.nowMs();
    if (this.windows.size >= SWEEP_AT) this.sweep(now);
    let w = this.windows.get(key);
    if (!w || now - w.startMs >= this.opts.windowMs) {
      w = { startMs: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    if (w.count <= this.opts.max) return 0;
    return Math.max(1, Math.ceil((w.startMs + this.opts.windowMs - now) / 1000));
  }

  describe(): string {
    return `${this.opts.max} requests per ${this.opts.windowMs / 1000} s`;
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.startMs >= this.opts.windowMs) this.windows.delete(k);
  }
}

/**
 * A token bucket: `burst` tokens, refilled at `ratePerSec`; `take()` spends one and answers whether
 * there was one. One per WebSocket connection bounds its frame rate.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly nowMs: () => number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs();
  }

  take(): boolean {
    const now = this.nowMs();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastMs) * this.ratePerSec) / 1000);
    this.lastMs = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
