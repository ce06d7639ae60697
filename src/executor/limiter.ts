/**
 * The concurrency limit on executions (`WTT_MAX_CONCURRENT_TASKS`): at most `max` slots, granted
 * first come first served. A waiter whose signal aborts leaves the queue; a release is idempotent.
 */
export type Release = () => void;

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<{ grant: () => void; signal: AbortSignal | undefined }> = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max concurrent tasks must be a whole number ≥ 1, got ${max}`);
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free; rejects with the abort reason if `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Release>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.next();
        });
      };
      const entry = { grant, signal };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
      this.next();
    });
  }

  private next(): void {
    while (this.active < this.max && this.waiting.length > 0) (this.waiting.shift() as { grant: () => void }).grant();
  }
}
