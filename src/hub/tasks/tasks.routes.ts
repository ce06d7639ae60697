/** `/tasks*` (wtt-protocol.md §2.3 "Tasks", §5): parse, identify the caller, hand over to TaskService. */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  DependencyBody,
  LooseBool,
  SenderType,
  TaskChatSendBody,
  TaskCreateBody,
  TaskListQuery,
  TaskPatchBody,
  TaskReviewBody,
  TaskRunBody,
  normalizeTaskStatus,
  type TaskStatus,
} from '../../protocol/index.js';
import { HubError, type HubCore } from '../core.js';
import { intParam } from '../http.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { assertParticipant, canSee, whoIs, whoIsNamed } from './access.js';
import type { TaskRecord } from './repo.js';
import type { TaskFieldChanges, TaskService } from './service.js';
import { AnyObject, MessageReply, ok, TaskReply } from '../responses.js';

/** Fields PATCH /tasks/{id} may change besides `status` (§2.3). */
export const PATCHABLE_FIELDS = [
  'title', 'description', 'task_type', 'task_mode', 'pipeline_id', 'priority', 'owner_agent_id', 'runner_agent_id',
  'acceptance', 'exec_mode', 'due_at', 'estimate_hours', 'dependencies', 'notes', 'output', 'reviewer',
  'usage_prompt_tokens', 'usage_completion_tokens', 'usage_cache_read_tokens', 'usage_cache_write_tokens',
  'usage_total_tokens', 'usage_source',
] as const;

export const DEFAULT_TASK_LIMIT = 500;
export const MAX_TASK_LIMIT = 1000;

const IdParams = z.object({ id: z.string().min(1).max(200) });
const DepParams = z.object({ id: z.string().min(1).max(200), dep: z.string().min(1).max(200) });
const AgentQuery = z.looseObject({ agent_id: z.string().min(1).max(200).optional() });
const ListQuery = TaskListQuery.extend({
  topic_id: z.string().min(1).max(200).optional(),
  agent_id: z.string().min(1).max(200).optional(),
  limit: intParam('limit', DEFAULT_TASK_LIMIT, 1, MAX_TASK_LIMIT),
});
const ChatBody = TaskChatSendBody.extend({ sender_id: z.string().min(1).max(200).optional(), sender_type: SenderType.optional() });
const GraphQuery = z.looseObject({
  pipeline_id: z.string().min(1).max(200).optional(),
  agent_id: z.string().min(1).max(200).optional(),
  limit: intParam('limit', 300, 1, MAX_TASK_LIMIT),
});
const DeleteQuery = z.looseObject({
  agent_id: z.string().min(1).max(200).optional(),
  delete_topic: LooseBool.optional().default(true),
});
/** Our extension to PATCH: `progress` 0–100, shown by GET /tasks/progress while the task runs. */
const ProgressField = z.looseObject({ progress: z.coerce.number().int().min(0).max(100).optional() });

/**
 * PATCH's body read two ways: the protocol's fields (`TaskPatchBody`) and our `progress`; the
 * protocol's problems are told first, as one parse after the other would.
 */
const PatchBody = z.unknown().transform((raw, ctx): { body: z.output<typeof TaskPatchBody>; progress: number | undefined } => {
  const body = TaskPatchBody.safeParse(raw);
  const extra = body.success ? ProgressField.safeParse(raw) : undefined;
  const failed = !body.success ? body.error : extra && !extra.success ? extra.error : undefined;
  if (failed || !body.success || !extra?.success) {
    for (const issue of failed?.issues ?? []) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  return { body: body.data, progress: extra.data.progress };
});

/** `status=doing` or `status=todo,doing` (aliases accepted). */
function statusFilter(raw: string | undefined): TaskStatus[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(',').map((s) => {
    const n = normalizeTaskStatus(s);
    if (!n) throw new HubError(422, `query.status: unknown task status '${s.trim()}'`);
    return n;
  });
}

export function taskRoutes(core: HubCore, svc: TaskService): void {
  const app = core.app.withTypeProvider<ZodTypeProvider>();
  const progressOf = (t: TaskRecord) => svc.progressOf(t);

  app.get('/tasks', { schema: { response: ok(z.array(TaskReply)), querystring: ListQuery } }, async (req) => {
    const q = req.query;
    const caller = whoIs(core, req, q.agent_id);
    const tasks = svc.repo.listTasks({
      status: statusFilter(q.status),
      owner_agent_id: q.owner_agent_id,
      runner_agent_id: q.runner_agent_id,
      pipeline_id: q.pipeline_id,
      task_mode: q.task_mode,
      topic_id: q.topic_id,
      limit: q.limit,
    });
    return tasks.filter((t) => canSee(core, t, caller));
  });

  app.post('/tasks', { schema: { response: ok(TaskReply), body: TaskCreateBody } }, async (req) => {
    const body = req.body;
    // Legacy mode trusts the named creator (the skill's fallback ids are unregistered); required
    // mode checks it against the token, so names that are not agents (the web's 'user') are skipped.
    const claimed = [body.created_by, body.owner_agent_id].find((a) => a && (core.authMode === 'legacy' || core.auth.agentExists(a)));
    const caller = whoIs(core, req, claimed);
    return svc.create(caller, body);
  });

  app.get('/tasks/graph', { schema: { response: ok(z.looseObject({ nodes: z.array(z.looseObject({ id: z.string(), status: z.string() })), edges: z.array(AnyObject) })), querystring: GraphQuery } }, async (req) => {
    const q = req.query;
    const caller = whoIs(core, req, q.agent_id);
    const tasks = svc.repo.listTasks({ pipeline_id: q.pipeline_id, limit: q.limit }).filter((t) => canSee(core, t, caller)).reverse();
    const ids = new Set(tasks.map((t) => t.id));
    return {
      nodes: tasks.map((t) => ({
        id: t.id,
        title: t.title,
        status: t.status,
        owner_agent_id: t.owner_agent_id,
        runner_agent_id: t.runner_agent_id,
        topic_id: t.topic_id,
        pipeline_id: t.pipeline_id,
        priority: t.priority,
        progress: progressOf(t),
      })),
      edges: svc.repo.allEdges().filter((e) => ids.has(e.task_id) && ids.has(e.depends_on_task_id)),
    };
  });

  app.get('/tasks/progress', { schema: { response: ok(z.record(z.string(), z.number())), querystring: GraphQuery } }, async (req) => {
    const q = req.query;
    const caller = whoIs(core, req, q.agent_id);
    const tasks = svc.repo.listTasks({ pipeline_id: q.pipeline_id, limit: MAX_TASK_LIMIT }).filter((t) => canSee(core, t, caller));
    return Object.fromEntries(tasks.map((t) => [t.id, progressOf(t)]));
  });

  app.get('/tasks/:id', { schema: { response: ok(TaskReply), params: IdParams, querystring: AgentQuery } }, async (req) => {
    const { id } = req.params;
    const q = req.query;
    return svc.visible(id, whoIs(core, req, q.agent_id));
  });

  app.patch('/tasks/:id', { schema: { response: ok(TaskReply), params: IdParams, querystring: AgentQuery, body: PatchBody } }, async (req) => {
    const { id } = req.params;
    const q = req.query;
    const { body, progress } = req.body;
    const fields: TaskFieldChanges = {};
    for (const k of PATCHABLE_FIELDS) {
      const v = body[k];
      if (v !== undefined) fields[k] = v;
    }
    if (progress !== undefined) fields.progress = progress;
    return svc.patch(id, whoIs(core, req, q.agent_id), fields, body.status);
  });

  app.delete('/tasks/:id', { schema: { response: ok(z.looseObject({ ok: z.boolean(), task_id: z.string(), deleted_topic: z.boolean() })), params: IdParams, querystring: DeleteQuery } }, async (req) => {
    const { id } = req.params;
    const q = req.query;
    return svc.remove(id, whoIs(core, req, q.agent_id), q.delete_topic);
  });

  app.post('/tasks/:id/assign', { schema: { response: ok(TaskReply), params: IdParams, body: AgentQuery, querystring: AgentQuery } }, async (req) => {
    const { id } = req.params;
    const q = req.query;
    const body = req.body;
    const assignee = q.agent_id ?? body.agent_id;
    if (!assignee) throw new HubError(422, 'query.agent_id: required (the agent to assign the task to)');
    return svc.assign(id, whoIs(core, req, null), assignee);
  });

  app.post('/tasks/:id/run', { schema: { response: ok(TaskReply), params: IdParams, body: TaskRunBody } }, async (req) => {
    const { id } = req.params;
    const body = req.body;
    return svc.run(id, whoIsNamed(core, req, body.trigger_agent_id), body.trigger_agent_id, body.runner_agent_id, body.note);
  });

  app.post('/tasks/:id/review', { schema: { response: ok(TaskReply), params: IdParams, body: TaskReviewBody } }, async (req) => {
    const { id } = req.params;
    const body = req.body;
    return svc.review(id, whoIsNamed(core, req, body.reviewer), body.action, body.reviewer, body.comment);
  });

  app.post('/tasks/:id/dependencies', { schema: { response: ok(z.looseObject({ task_id: z.string(), depends_on_task_id: z.string() })), params: IdParams, body: DependencyBody, querystring: AgentQuery } }, async (req) => {
    const { id } = req.params;
    const q = req.query;
    const body = req.body;
    return svc.addDependency(id, whoIs(core, req, q.agent_id), body.depends_on_task_id, body.mode, body.required, body.mapping);
  });

  app.get('/tasks/:id/dependencies', { schema: { response: ok(z.looseObject({ upstream: z.array(AnyObject), downstream: z.array(z.string()) })), params: IdParams, querystring: AgentQuery } }, async (req) => {
    const { id } = req.params;
    const q = req.query;
    svc.visible(id, whoIs(core, req, q.agent_id));
    return { upstream: svc.repo.upstreamOf(id), downstream: svc.repo.downstreamOf(id) };
  });

  app.delete('/tasks/:id/dependencies/:dep', { schema: { response: ok(z.looseObject({ ok: z.boolean(), task_id: z.string(), depends_on_task_id: z.string() })), params: DepParams, querystring: AgentQuery } }, async (req) => {
    const { id, dep } = req.params;
    const q = req.query;
    return svc.removeDependency(id, whoIs(core, req, q.agent_id), dep);
  });

  app.post('/tasks/:id/chat/send', { schema: { response: ok(MessageReply), params: IdParams, body: ChatBody, querystring: AgentQuery } }, async (req) => {
    const { id } = req.params;
    const q = req.query;
    const body = req.body;
    const caller = requireCaller(core, req, q.agent_id ?? body.sender_id);
    const task = svc.require(id);
    assertParticipant(core, task, caller, 'chat in');
    if (!task.topic_id || !core.topics.get(task.topic_id)) throw new HubError(409, `task ${id} has no topic (it was deleted)`);
    const senderType = body.sender_type ?? 'agent';
    if (senderType === 'system') throw new HubError(422, 'body.sender_type: system messages are the hub\'s own; use human or agent');
    if (!core.topics.isMember(task.topic_id, caller)) core.topics.addMember(task.topic_id, caller, 'member');
    const message = core.messages.post({
      topic_id: task.topic_id,
      sender_id: caller,
      sender_type: senderType,
      content: body.content,
      semantic_type: body.semantic_type ?? 'post',
      metadata: body.metadata ?? null,
      extra: { task_id: id },
    });
    if (body.auto_run && task.status === 'todo') svc.run(id, caller, caller, undefined, body.content);
    return message;
  });
}

/** A call that must name its agent (it speaks as someone), in either auth mode. */
function requireCaller(core: HubCore, req: FastifyRequest, claimed: string | undefined): string {
  return core.auth.callerAgent(req, claimed ?? null);
}
