/**
 * The task machine's `execute` actor for a real executor: waits for a concurrency slot, says
 * EXEC.STARTED (the run timeout starts then), forwards the executor's own events as
 * EXEC.PROGRESS, and ends with EXEC.DONE or EXEC.FAILED (with `transient`). Stopping the actor
 * (leaving the state: cancel, timeout, deadline) aborts the execution and frees the slot.
 */
import { fromCallback } from 'xstate';
import type { ExecEvent, ExecuteInput, TaskEvent } from '../../machines/task.machine.js';
import type { ConcurrencyLimiter } from './limiter.js';
import { errorMessage, isTransient, type Executor } from './types.js';

export interface ExecuteActorDeps {
  executor: Executor;
  limiter: ConcurrencyLimiter;
  /** The runtime's clock (ms since the epoch). */
  now: () => number;
  /** A real progress figure (0..100) from the executor (the runtime PATCHes the hub's progress field). */
  onProgress?: ((taskId: string, progress: number) => void) | undefined;
  /** An execution started an OS process group; `ended` once it is over (whatever the outcome). */
  processes?: { started(taskId: string, key: string, pid: number): void; ended(key: string): void } | undefined;
}

export function executeActor(deps: ExecuteActorDeps) {
  return fromCallback<TaskEvent, ExecuteInput>(({ input, sendBack }) => {
    const controller = new AbortController();
    const send = (e: ExecEvent) => {
      if (!controller.signal.aborted) sendBack(e);
    };
    const procKey = `${input.idempotencyKey}#${input.attempt}`;
    let spawned = false;
    void (async () => {
      let release: (() => void) | undefined;
      try {
        release = await deps.limiter.acquire(controller.signal);
        send({ type: 'EXEC.STARTED', at: deps.now() });
        const result = await deps.executor.run({
          task: input.task,
          prompt: input.prompt,
          followUps: input.followUps,
          idempotencyKey: input.idempotencyKey,
          attempt: input.attempt,
          signal: controller.signal,
          onSpawn: (pid) => {
            spawned = true;
            deps.processes?.started(input.task.id, procKey, pid);
          },
          onEvent: (ev) => {
            send({ type: 'EXEC.PROGRESS', at: deps.now(), text: ev.text, progress: ev.progress });
            if (ev.progress !== undefined && !controller.signal.aborted) deps.onProgress?.(input.task.id, ev.progress);
          },
        });
        send({ type: 'EXEC.DONE', at: deps.now(), result });
      } catch (e) {
        send({ type: 'EXEC.FAILED', at: deps.now(), reason: errorMessage(e), transient: isTransient(e) });
      } finally {
        release?.();
        if (spawned) deps.processes?.ended(procKey);
      }
    })();
    return () => controller.abort(new Error('the task left the running state'));
  });
}
