/**
 * A pipeline's tasks → stage rows: stage 1 holds the tasks with no dependency inside the
 * pipeline, stage n+1 the tasks whose deepest dependency is in stage n. Pure; cycles (which the
 * hub refuses) are cut rather than looped on.
 */
import type { DependencyEdge } from '../protocol/task.js';

export interface StageNode {
  id: string;
  title: string;
  status: string;
}

export interface StageRow extends StageNode {
  /** 1-based row number in the table. */
  row: number;
  stage: number;
  progress?: number | undefined;
  /** Row numbers this task runs after. */
  after: readonly number[];
}

export function stageRows(
  nodes: readonly StageNode[],
  edges: readonly Pick<DependencyEdge, 'task_id' | 'depends_on_task_id'>[],
  progress: Readonly<Record<string, number>> = {},
): StageRow[] {
  const ids = new Set(nodes.map((n) => n.id));
  const deps = new Map<string, string[]>();
  for (const e of edges) {
    if (!ids.has(e.task_id) || !ids.has(e.depends_on_task_id)) continue;
    const list = deps.get(e.task_id) ?? [];
    if (!list.includes(e.depends_on_task_id)) list.push(e.depends_on_task_id);
    deps.set(e.task_id, list);
  }
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (id: string): number => {
    const known = level.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let l = 1;
    for (const d of deps.get(id) ?? []) l = Math.max(l, levelOf(d) + 1);
    visiting.delete(id);
    level.set(id, l);
    return l;
  };
  const ordered = nodes
    .map((n, i) => ({ n, i, stage: levelOf(n.id) }))
    .sort((a, b) => a.stage - b.stage || a.i - b.i);
  const rowOf = new Map(ordered.map((o, i) => [o.n.id, i + 1]));
  return ordered.map((o, i) => ({
    id: o.n.id,
    title: o.n.title,
    status: o.n.status,
    row: i + 1,
    stage: o.stage,
    progress: Object.prototype.hasOwnProperty.call(progress, o.n.id) ? progress[o.n.id] : undefined,
    after: (deps.get(o.n.id) ?? []).map((d) => rowOf.get(d) as number).sort((a, b) => a - b),
  }));
}

/** Tasks nothing else in the pipeline depends on: where newly added stages attach. */
export function lastStages(nodes: readonly StageNode[], edges: readonly Pick<DependencyEdge, 'task_id' | 'depends_on_task_id'>[]): string[] {
  const ids = new Set(nodes.map((n) => n.id));
  const depended = new Set(edges.filter((e) => ids.has(e.task_id)).map((e) => e.depends_on_task_id));
  return nodes.filter((n) => !depended.has(n.id)).map((n) => n.id);
}
