import { z } from 'zod';
import { AgentId, LIMITS, LooseBool } from './common.js';

import { TASK_STATUSES, type TaskStatus as TaskStatusName } from './task-transition.js';

export { TASK_STATUSES } from './task-transition.js';
/** Canonical task statuses (wtt-protocol.md §5.3); the transition guard is in task-transition.ts. */
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = TaskStatusName;

/** Aliases clients send, mapped onto the canonical status (§5.3). */
export const TASK_STATUS_ALIASES: Readonly<Record<string, TaskStatus>> = Object.freeze({
  open: 'todo',
  ready: 'todo',
  approved: 'done',
  rejected: 'blocked',
  in_progress: 'doing',
  inprogress: 'doing',
  canceled: 'cancelled',
});

/** A status as text → canonical status, or undefined when it is neither a status nor an alias. */
export function normalizeTaskStatus(value: string): TaskStatus | undefined {
  const v = value.trim().toLowerCase();
  if ((TASK_STATUSES as readonly string[]).includes(v)) return v as TaskStatus;
  return TASK_STATUS_ALIASES[v];
}

/** Zod type for a status field on input: canonical or alias, normalised. */
export const TaskStatusInput = z.string().transform((s, ctx) => {
  const n = normalizeTaskStatus(s);
  if (!n) {
    ctx.addIssue({ code: 'custom', message: `unknown task status '${s}' (use ${TASK_STATUSES.join(', ')})` });
    return z.NEVER;
  }
  return n;
});

export const REVIEW_ACTIONS = ['approve', 'reject', 'block'] as const;
export const ReviewAction = z.enum(REVIEW_ACTIONS);
export type ReviewAction = z.infer<typeof ReviewAction>;
/** What a review action does to the status (§5.3 intents). */
export const REVIEW_TARGET: Readonly<Record<ReviewAction, TaskStatus>> = Object.freeze({
  approve: 'done',
  reject: 'doing',
  block: 'blocked',
});

export const Priority = z.enum(['P0', 'P1', 'P2', 'P3']);

/** A task as servers send it (§5.1). Status is kept as a string: servers may use aliases. */
export const Task = z.looseObject({
  id: z.string().min(1),
  title: z.string(),
  description: z.string().nullish(),
  task_type: z.string().nullish(),
  task_mode: z.string().nullish(),
  pipeline_id: z.string().nullish(),
  priority: z.string().nullish(),
  status: z.string(),
  owner_agent_id: z.string().nullish(),
  runner_agent_id: z.string().nullish(),
  created_by: z.string().nullish(),
  topic_id: z.string().nullish(),
  acceptance: z.string().nullish(),
  exec_mode: z.string().nullish(),
  due_at: z.string().nullish(),
  estimate_hours: z.number().nullish(),
  dependencies: z.string().nullish(),
  notes: z.string().nullish(),
  output: z.string().nullish(),
  reviewer: z.string().nullish(),
  created_at: z.string().nullish(),
  started_at: z.string().nullish(),
  completed_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export type Task = z.infer<typeof Task>;

const taskEditable = {
  title: z.string().trim().min(1).max(500),
  description: z.string().max(20_000),
  task_type: z.string().max(100),
  task_mode: z.enum(['single', 'pipeline']),
  pipeline_id: z.string().max(200),
  priority: Priority,
  owner_agent_id: AgentId,
  runner_agent_id: AgentId,
  acceptance: z.string().max(20_000),
  exec_mode: z.string().max(100),
  due_at: z.string().max(100),
  estimate_hours: z.coerce.number().nonnegative(),
  dependencies: z.string().max(20_000),
  notes: z.string().max(LIMITS.maxTaskOutputChars),
  output: z.string().max(LIMITS.maxTaskOutputChars),
  reviewer: z.string().max(200),
  usage_prompt_tokens: z.coerce.number().int().nonnegative(),
  usage_completion_tokens: z.coerce.number().int().nonnegative(),
  usage_cache_read_tokens: z.coerce.number().int().nonnegative(),
  usage_cache_write_tokens: z.coerce.number().int().nonnegative(),
  usage_total_tokens: z.coerce.number().int().nonnegative(),
  usage_source: z.string().max(100),
};

export const TaskCreateBody = z.looseObject({
  ...Object.fromEntries(Object.entries(taskEditable).map(([k, v]) => [k, v.optional()])),
  title: taskEditable.title,
  status: TaskStatusInput.optional(),
  created_by: z.string().max(200).optional(),
}) as z.ZodType<TaskCreateBodyOut, TaskCreateBodyIn>;
type EditableOut = { [K in keyof typeof taskEditable]?: z.output<(typeof taskEditable)[K]> };
type EditableIn = { [K in keyof typeof taskEditable]?: z.input<(typeof taskEditable)[K]> };
export type TaskCreateBodyOut = EditableOut & { title: string; status?: TaskStatus; created_by?: string } & Record<string, unknown>;
export type TaskCreateBodyIn = EditableIn & { title: string; status?: string; created_by?: string } & Record<string, unknown>;
export type TaskCreateBody = TaskCreateBodyIn;

export const TaskPatchBody = z.looseObject({
  ...Object.fromEntries(Object.entries(taskEditable).map(([k, v]) => [k, v.optional()])),
  status: TaskStatusInput.optional(),
}) as z.ZodType<EditableOut & { status?: TaskStatus } & Record<string, unknown>, EditableIn & { status?: string } & Record<string, unknown>>;
export type TaskPatchBody = z.input<typeof TaskPatchBody>;

export const TaskListQuery = z.looseObject({
  status: z.string().optional(),
  owner_agent_id: z.string().optional(),
  runner_agent_id: z.string().optional(),
  pipeline_id: z.string().optional(),
  task_mode: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type TaskListQuery = z.input<typeof TaskListQuery>;

export const TaskRunBody = z.looseObject({
  trigger_agent_id: z.string().max(200).optional(),
  runner_agent_id: z.string().max(200).nullish(),
  note: z.string().max(20_000).optional(),
});
export type TaskRunBody = z.input<typeof TaskRunBody>;

export const TaskReviewBody = z.looseObject({
  action: z.string().transform((s, ctx) => {
    const a = s.trim().toLowerCase();
    if ((REVIEW_ACTIONS as readonly string[]).includes(a)) return a as ReviewAction;
    ctx.addIssue({ code: 'custom', message: `review action must be one of ${REVIEW_ACTIONS.join('|')}, got '${s}'` });
    return z.NEVER;
  }),
  comment: z.string().max(20_000).optional().default(''),
  reviewer: z.string().max(200).optional().default(''),
});
export type TaskReviewBody = z.input<typeof TaskReviewBody>;

export const DependencyBody = z.looseObject({
  depends_on_task_id: z.string().min(1),
  mode: z.string().max(50).optional().default('finish_to_start'),
  required: LooseBool.optional().default(true),
  mapping: z.string().max(20_000).nullish(),
});
export type DependencyBody = z.input<typeof DependencyBody>;

export const DependencyEdge = z.looseObject({
  task_id: z.string(),
  depends_on_task_id: z.string(),
  mode: z.string().nullish(),
  mapping: z.string().nullish(),
  required: z.boolean().nullish(),
});
export type DependencyEdge = z.infer<typeof DependencyEdge>;

export const TaskGraph = z.looseObject({
  nodes: z.array(
    z.looseObject({
      id: z.string(),
      title: z.string(),
      status: z.string(),
      owner_agent_id: z.string().nullish(),
      runner_agent_id: z.string().nullish(),
      topic_id: z.string().nullish(),
    }),
  ),
  edges: z.array(DependencyEdge),
});
export type TaskGraph = z.infer<typeof TaskGraph>;

/** `{task_id: 0..100}`; the skill also tolerates `{task_id: {progress}}`. */
export const TaskProgress = z.record(
  z.string(),
  z.union([z.number(), z.looseObject({ progress: z.number() }).transform((o) => o.progress)]),
);
export type TaskProgress = z.infer<typeof TaskProgress>;

export const TaskChatSendBody = z.looseObject({
  content: z.string().min(1),
  sender_type: z.string().optional(),
  semantic_type: z.string().optional(),
  auto_run: LooseBool.optional().default(false),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

