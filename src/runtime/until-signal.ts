/**
 * Runs a long-lived job until SIGINT/SIGTERM (or `stop()` from inside), then shuts it down once.
 * Resolves with the exit code: 0 after a clean shutdown, 1 when the shutdown failed.
 */
export interface UntilSignalOptions {
  /** Starts the job; receives `stop` for the job's own reasons to end (e.g. stdout closed). */
  start(stop: () => void): void;
  /** Stops the job; called once. */
  shutdown(): Promise<void>;
  /** Called once when a signal arrives, before shutdown. */
  onSignal?: () => void;
}

export function runUntilSignal(opts: UntilSignalOptions): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      opts.shutdown().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    const onSignal = () => {
      if (!stopping) opts.onSignal?.();
      stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    opts.start(stop);
  });
}
