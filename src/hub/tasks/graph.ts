/**
 * Pure DAG rules for pipelines: when a task is ready, and whether a new edge would close a cycle.
 * Edge semantics (wtt-protocol.md §6): `task_id` depends on `depends_on_task_id`.
 */
import type { TaskStatus } from '../../protocol/index.js';

export interface Edge {
  readonly task_id: string;
  readonly depends_on_task_id: string;
  readonly required: boolean;
}

/** Upstream statuses that settle an OPTIONAL dependency: it finished, or it will not finish. */
export const OPTIONAL_SETTLED: readonly TaskStatus[] = ['done', 'blocked', 'cancelled'];

/** Whether one dependency no longer holds its task back. A missing upstream task holds nothing back. */
export function dependencySatisfied(required: boolean, upstream: TaskStatus | undefined): boolean {
  if (upstream === undefined) return true;
  return required ? upstream === 'done' : OPTIONAL_SETTLED.includes(upstream);
}

/**
 * A task is ready when every required dependency is `done` and every optional one is settled
 * (`done`, `blocked` or `cancelled`). `deps` are the edges whose `task_id` is the task.
 */
export function isReady(deps: readonly Edge[], statusOf: (taskId: string) => TaskStatus | undefined): boolean {
  return deps.every((d) => dependencySatisfied(d.required, statusOf(d.depends_on_task_id)));
}

/**
 * Would adding "taskId depends on dependsOnId" close a cycle? True when taskId is already reachable
 * from dependsOnId by following dependencies upstream (or when both are the same task).
 */
export function wouldCycle(edges: readonly Pick<Edge, 'task_id' | 'depends_on_task_id'>[], taskId: string, dependsOnId: string): boolean {
  if (taskId === dependsOnId) return true;
  const upstream = new Map<string, string[]>();
  for (const e of edges) {
    const list = upstream.get(e.task_id);
    if (list) list.push(e.depends_on_task_id);
    else upstream.set(e.task_id, [e.depends_on_task_id]);
  }
  const seen = new Set<string>();
  const stack = [dependsOnId];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (id === taskId) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const next of upstream.get(id) ?? []) stack.push(next);
  }
  return false;
}
