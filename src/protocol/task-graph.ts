/**
 * Pipeline readiness (wtt-protocol.md §6), shared by the hub (dispatch) and the runtime's pipeline
 * machine (which tasks are ready, stage progress). Edge semantics: `task_id` depends on
 * `depends_on_task_id`. Pure.
 */
import type { TaskStatus } from './task-transition.js';

export interface DependencyRule {
  readonly task_id: string;
  readonly depends_on_task_id: string;
  readonly required: boolean;
}

/** Upstream statuses that settle an OPTIONAL dependency: it finished, or it will not finish. */
export const OPTIONAL_SETTLED: readonly TaskStatus[] = Object.freeze(['done', 'blocked', 'cancelled']);

/** Whether one dependency no longer holds its task back. A missing upstream task holds nothing back. */
export function dependencySatisfied(required: boolean, upstream: TaskStatus | undefined): boolean {
  if (upstream === undefined) return true;
  return required ? upstream === 'done' : OPTIONAL_SETTLED.includes(upstream);
}

/**
 * A task is ready when every required dependency is `done` and every optional one is settled
 * (`done`, `blocked` or `cancelled`). `deps` are the edges whose `task_id` is the task.
 */
export function isReady(deps: readonly DependencyRule[], statusOf: (taskId: string) => TaskStatus | undefined): boolean {
  return deps.every((d) => dependencySatisfied(d.required, statusOf(d.depends_on_task_id)));
}
