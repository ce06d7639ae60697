/**
 * The task status transition guard (wtt-protocol.md §5.3), shared by the hub (which answers 409)
 * and the runtime's task machine (which must never ask the hub for a move it would refuse).
 * Pure: no I/O, no zod; statuses are the canonical ones of `TASK_STATUSES`.
 */
export const TASK_STATUSES = ['todo', 'doing', 'review', 'done', 'blocked', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Allowed transitions; staying in the same status is always allowed (§5.3). */
export const TASK_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = Object.freeze({
  todo: ['doing', 'blocked', 'cancelled'],
  doing: ['review', 'blocked', 'todo', 'cancelled', 'done'],
  review: ['done', 'doing', 'blocked', 'cancelled'],
  blocked: ['todo', 'doing', 'cancelled'],
  done: ['doing'],
  cancelled: ['todo'],
});

export function isTaskStatus(value: string): value is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(value);
}

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return from === to || TASK_TRANSITIONS[from].includes(to);
}

/** Why a move is refused (undefined when it is allowed): the text the hub's 409 and the runtime's log use. */
export function transitionProblem(from: TaskStatus, to: TaskStatus): string | undefined {
  if (canTransition(from, to)) return undefined;
  const allowed = TASK_TRANSITIONS[from];
  return `cannot move a task from ${from} to ${to} (from ${from}: ${allowed.join(', ')})`;
}

/**
 * What each actor intent does to the status (§5.3 intents, plus the runtime's own):
 * run → doing, report (result ready) → review, fail → blocked, approve → done, reject → doing,
 * block → blocked, cancel → cancelled, requeue → todo.
 */
export const TASK_INTENTS = ['run', 'report', 'fail', 'approve', 'reject', 'block', 'cancel', 'requeue'] as const;
export type TaskIntent = (typeof TASK_INTENTS)[number];
export const INTENT_TARGET: Readonly<Record<TaskIntent, TaskStatus>> = Object.freeze({
  run: 'doing',
  report: 'review',
  fail: 'blocked',
  approve: 'done',
  reject: 'doing',
  block: 'blocked',
  cancel: 'cancelled',
  requeue: 'todo',
});

/** The status an intent leads to from `from`, or undefined when the matrix forbids it. */
export function intentTarget(from: TaskStatus, intent: TaskIntent): TaskStatus | undefined {
  const to = INTENT_TARGET[intent];
  return canTransition(from, to) ? to : undefined;
}

/** Statuses after which nothing runs any more until someone moves the task again. */
export const SETTLED_STATUSES: readonly TaskStatus[] = Object.freeze(['done', 'blocked', 'cancelled']);
