import { describe, expect, it } from 'vitest';
import {
  INTENT_TARGET,
  TASK_INTENTS,
  TASK_STATUSES,
  TASK_TRANSITIONS,
  canTransition,
  intentTarget,
  isTaskStatus,
  transitionProblem,
  type TaskStatus,
} from '../../src/protocol/index.js';

/** §5.3 matrix, written out again so a change to the shared table has to change this too. */
const MATRIX: Record<TaskStatus, TaskStatus[]> = {
  todo: ['doing', 'blocked', 'cancelled'],
  doing: ['review', 'blocked', 'todo', 'cancelled', 'done'],
  review: ['done', 'doing', 'blocked', 'cancelled'],
  blocked: ['todo', 'doing', 'cancelled'],
  done: ['doing'],
  cancelled: ['todo'],
};

describe('task-transition', () => {
  it('allows exactly the §5.3 matrix plus staying put', () => {
    for (const from of TASK_STATUSES) {
      for (const to of TASK_STATUSES) {
        const expected = from === to || MATRIX[from].includes(to);
        expect(canTransition(from, to), `${from} → ${to}`).toBe(expected);
        expect(transitionProblem(from, to) === undefined, `${from} → ${to}`).toBe(expected);
      }
    }
    expect(Object.isFrozen(TASK_TRANSITIONS)).toBe(true);
  });

  it('names the allowed targets when a move is refused', () => {
    expect(transitionProblem('todo', 'review')).toBe('cannot move a task from todo to review (from todo: doing, blocked, cancelled)');
  });

  it('maps intents to statuses only where the matrix allows them', () => {
    expect(TASK_INTENTS.map((i) => INTENT_TARGET[i])).toEqual(['doing', 'review', 'blocked', 'done', 'doing', 'blocked', 'cancelled', 'todo']);
    expect(intentTarget('doing', 'report')).toBe('review');
    expect(intentTarget('review', 'approve')).toBe('done');
    expect(intentTarget('review', 'reject')).toBe('doing');
    expect(intentTarget('todo', 'report')).toBeUndefined();
    expect(intentTarget('done', 'approve')).toBe('done');
    expect(intentTarget('cancelled', 'run')).toBeUndefined();
  });

  it('recognises canonical statuses only', () => {
    expect(isTaskStatus('review')).toBe(true);
    expect(isTaskStatus('approved')).toBe(false);
  });
});
