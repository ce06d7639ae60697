import { describe, expect, it } from 'vitest';
import { lastStages, stageRows } from '../../src/commands/stages.js';

const node = (id: string, status = 'todo') => ({ id, title: id.toUpperCase(), status });

describe('stages', () => {
  it('orders tasks by dependency depth and keeps creation order within a stage', () => {
    const rows = stageRows([node('c'), node('b2'), node('a'), node('b1')], [
      { task_id: 'b1', depends_on_task_id: 'a' },
      { task_id: 'b2', depends_on_task_id: 'a' },
      { task_id: 'c', depends_on_task_id: 'b1' },
    ]);
    expect(rows.map((r) => [r.row, r.stage, r.id, r.after])).toEqual([
      [1, 1, 'a', []],
      [2, 2, 'b2', [1]],
      [3, 2, 'b1', [1]],
      [4, 3, 'c', [3]],
    ]);
  });

  it('ignores edges to tasks outside the pipeline and terminates when edges form a cycle', () => {
    const rows = stageRows([node('x'), node('y')], [
      { task_id: 'x', depends_on_task_id: 'outside' },
      { task_id: 'x', depends_on_task_id: 'y' },
      { task_id: 'y', depends_on_task_id: 'x' },
    ]);
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.stage >= 1)).toBe(true);
  });

  it('attaches progress when the map has the task', () => {
    const rows = stageRows([node('a'), node('b')], [], { a: 40 });
    expect(rows.map((r) => r.progress)).toEqual([40, undefined]);
  });

  it('finds the last stages as the tasks nothing depends on', () => {
    expect(lastStages([node('a'), node('b'), node('c')], [{ task_id: 'b', depends_on_task_id: 'a' }])).toEqual(['b', 'c']);
    expect(lastStages([], [])).toEqual([]);
  });
});
