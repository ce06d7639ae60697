import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TaskStatus } from '../../src/protocol/index.js';
import { dependencySatisfied, isReady, wouldCycle, type Edge } from '../../src/hub/tasks/graph.js';

const edge = (task_id: string, depends_on_task_id: string, required = true): Edge => ({ task_id, depends_on_task_id, required });

describe('hub tasks graph', () => {
  it('holds a task back until a required dependency is done when the upstream is anything else', () => {
    for (const s of ['todo', 'doing', 'review', 'blocked', 'cancelled'] as TaskStatus[]) expect(dependencySatisfied(true, s)).toBe(false);
    expect(dependencySatisfied(true, 'done')).toBe(true);
  });

  it('releases an optional dependency when the upstream is done, blocked or cancelled', () => {
    expect(dependencySatisfied(false, 'done')).toBe(true);
    expect(dependencySatisfied(false, 'blocked')).toBe(true);
    expect(dependencySatisfied(false, 'cancelled')).toBe(true);
    expect(dependencySatisfied(false, 'doing')).toBe(false);
    expect(dependencySatisfied(false, 'review')).toBe(false);
  });

  it('treats a dependency on a deleted task as satisfied when the upstream no longer exists', () => {
    expect(dependencySatisfied(true, undefined)).toBe(true);
  });

  it('reports ready only when every dependency is satisfied when a task has several', () => {
    const statuses: Record<string, TaskStatus> = { a: 'done', b: 'doing', c: 'blocked' };
    const of = (id: string) => statuses[id];
    expect(isReady([], of)).toBe(true);
    expect(isReady([edge('x', 'a')], of)).toBe(true);
    expect(isReady([edge('x', 'a'), edge('x', 'b')], of)).toBe(false);
    expect(isReady([edge('x', 'a'), edge('x', 'c', false)], of)).toBe(true);
    expect(isReady([edge('x', 'a'), edge('x', 'c', true)], of)).toBe(false);
  });

  it('detects a cycle when the new dependency already depends on the task, directly or transitively', () => {
    const edges = [edge('b', 'a'), edge('c', 'b')];
    expect(wouldCycle(edges, 'a', 'c')).toBe(true);
    expect(wouldCycle(edges, 'a', 'b')).toBe(true);
    expect(wouldCycle(edges, 'a', 'a')).toBe(true);
    expect(wouldCycle(edges, 'c', 'a')).toBe(false);
    expect(wouldCycle(edges, 'd', 'c')).toBe(false);
  });

  it('keeps the graph acyclic when edges are only added after wouldCycle says no', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 })), { maxLength: 40 }), (pairs) => {
        const edges: Edge[] = [];
        for (const [x, y] of pairs) {
          if (!wouldCycle(edges, String(x), String(y))) edges.push(edge(String(x), String(y)));
        }
        // Kahn's algorithm: every node is removable iff there is no cycle.
        const nodes = new Set(edges.flatMap((e) => [e.task_id, e.depends_on_task_id]));
        const indeg = new Map([...nodes].map((n) => [n, 0]));
        for (const e of edges) indeg.set(e.task_id, (indeg.get(e.task_id) ?? 0) + 1);
        const queue = [...nodes].filter((n) => indeg.get(n) === 0);
        let removed = 0;
        while (queue.length > 0) {
          const n = queue.pop() as string;
          removed++;
          for (const e of edges) {
            if (e.depends_on_task_id !== n) continue;
            const d = (indeg.get(e.task_id) ?? 0) - 1;
            indeg.set(e.task_id, d);
            if (d === 0) queue.push(e.task_id);
          }
        }
        expect(removed).toBe(nodes.size);
      }),
    );
  });
});
