/**
 * Pure DAG rules for pipelines: when a task is ready, and whether a new edge would close a cycle.
 * Edge semantics (wtt-protocol.md §6): `task_id` depends on `depends_on_task_id`.
 */
import { OPTIONAL_SETTLED, dependencySatisfied, isReady, type DependencyRule } from '../../protocol/task-graph.js';

export { OPTIONAL_SETTLED, dependencySatisfied, isReady };
export type Edge = DependencyRule;

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
