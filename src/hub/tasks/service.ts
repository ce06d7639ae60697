/**
 * The task rules: creation (with its task topic), status changes along the transition matrix,
 * `task_status` pushes, the `[TASK_RUN]` / `[TASK_REVIEW]` messages, and pipeline dispatch
 * (first wave on execute, downstream when an upstream task settles, auto-review).
 * Routes parse and authenticate; everything that changes a task goes through here.
 */
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_PIPELINE_ID,
  REVIEW_TARGET,
  SETTLED_STATUSES,
  canTransition,
  type ReviewAction,
  type TaskCreateBodyOut,
  type TaskStatus,
} from '../../protocol/index.js';
import { HubError, type HubCore } from '../core.js';
import { assertParticipant, canSee } from './access.js';
import {
  AUTO_REVIEWER,
  taskReviewText,
  taskRunText,
  type DispatchCause,
} from './dispatch-text.js';
import { isReady, wouldCycle } from './graph.js';
import type { EdgeRecord, TaskChanges, TaskRecord, TasksRepo } from './repo.js';

/** Sender of the messages the hub itself posts into task topics. */
export const SYSTEM_SENDER = 'system';
/** Dependency modes the hub knows; both mean "start when the upstream task is finished". */
export const DEPENDENCY_MODES = ['finish_to_start', 'p2p'] as const;
/** Statuses that settle an upstream task for downstream readiness (see graph.ts). */
const SETTLING: readonly TaskStatus[] = SETTLED_STATUSES;
/** Progress shown for a task that never reported one (the web's fallback, wtt-protocol.md §5.1). */
export const PROGRESS_BY_STATUS: Readonly<Record<TaskStatus, number>> = Object.freeze({
  todo: 0,
  doing: 12,
  review: 90,
  done: 100,
  blocked: 0,
  cancelled: 0,
});
/** Topic names are limited to 200 characters by the topic schema. */
const TOPIC_NAME_MAX = 200;

/** Fields a PATCH may set besides `status` (wtt-protocol.md §2.3). */
export type TaskFieldChanges = Omit<TaskChanges, 'status' | 'started_at' | 'completed_at' | 'updated_at'>;

export interface PipelineRun {
  count: number;
  task_ids: string[];
  message: string;
}

export class TaskService {
  constructor(
    readonly core: HubCore,
    readonly repo: TasksRepo,
  ) {}

  require(id: string): TaskRecord {
    const t = this.repo.getTask(id);
    if (!t) throw new HubError(404, `task ${id} not found`);
    return t;
  }

  /** The task, if the caller may see it; 404 / 403 otherwise. */
  visible(id: string, caller: string | undefined): TaskRecord {
    const t = this.require(id);
    assertParticipant(this.core, t, caller, 'see');
    return t;
  }

  // ---- creation

  create(caller: string | undefined, body: TaskCreateBodyOut): TaskRecord {
    const owner = body.owner_agent_id ?? caller;
    if (!owner) throw new HubError(422, 'body.owner_agent_id: required when the call names no agent (send a token, created_by or owner_agent_id)');
    const runner = body.runner_agent_id ?? owner;
    this.assertAgent('owner_agent_id', owner);
    this.assertAgent('runner_agent_id', runner);
    const pipelineId = body.pipeline_id || DEFAULT_PIPELINE_ID;
    this.assertPipeline(pipelineId);
    const now = this.core.now();
    const id = randomUUID();
    const createdBy = body.created_by ?? caller ?? owner;

    this.repo.transaction(() => {
      const topic = this.core.topics.create({
        name: `TASK-${id.slice(0, 8)} ${body.title}`.slice(0, TOPIC_NAME_MAX),
        description: (body.description ?? '').slice(0, 4000),
        type: 'collaborative',
        visibility: 'private',
        join_method: 'invite_only',
        creator_agent_id: owner,
      });
      for (const member of new Set([owner, runner, createdBy, caller])) {
        if (member && member !== owner && this.core.auth.agentExists(member)) this.core.topics.addMember(topic.id, member, 'member');
      }
      this.repo.insertTask({
        id,
        title: body.title,
        description: body.description ?? null,
        task_type: body.task_type ?? null,
        task_mode: body.task_mode ?? null,
        pipeline_id: pipelineId,
        priority: body.priority ?? null,
        status: body.status ?? 'todo',
        owner_agent_id: owner,
        runner_agent_id: runner,
        created_by: createdBy,
        topic_id: topic.id,
        acceptance: body.acceptance ?? null,
        exec_mode: body.exec_mode ?? null,
        due_at: body.due_at ?? null,
        estimate_hours: body.estimate_hours ?? null,
        dependencies: body.dependencies ?? null,
        notes: body.notes ?? null,
        output: body.output ?? null,
        reviewer: body.reviewer ?? null,
        progress: null,
        usage_prompt_tokens: body.usage_prompt_tokens ?? null,
        usage_completion_tokens: body.usage_completion_tokens ?? null,
        usage_cache_read_tokens: body.usage_cache_read_tokens ?? null,
        usage_cache_write_tokens: body.usage_cache_write_tokens ?? null,
        usage_total_tokens: body.usage_total_tokens ?? null,
        usage_source: body.usage_source ?? null,
        created_at: now,
        started_at: body.status === 'doing' ? now : null,
        completed_at: body.status === 'done' ? now : null,
        updated_at: now,
      });
    });
    const task = this.require(id);
    this.pushStatus(task);
    return task;
  }

  // ---- changes by participants

  /** PATCH: field changes, then (if given) a status change along the matrix. All-or-nothing on 409/422. */
  patch(id: string, caller: string | undefined, fields: TaskFieldChanges, status: TaskStatus | undefined): TaskRecord {
    const task = this.require(id);
    assertParticipant(this.core, task, caller, 'change');
    if (status !== undefined) this.assertTransition(task, status);
    if (typeof fields.owner_agent_id === 'string') this.assertAgent('owner_agent_id', fields.owner_agent_id);
    if (typeof fields.runner_agent_id === 'string') this.assertAgent('runner_agent_id', fields.runner_agent_id);
    if (typeof fields.pipeline_id === 'string') this.assertPipeline(fields.pipeline_id);
    const changed = Object.keys(fields).length > 0;
    if (changed) {
      this.repo.updateTask(id, { ...fields, updated_at: this.core.now() });
      this.subscribeParticipants(this.require(id));
    }
    const runnerChanged = typeof fields.runner_agent_id === 'string' && fields.runner_agent_id !== task.runner_agent_id;
    if (status !== undefined && status !== task.status) return this.changeStatus(this.require(id), status, false);
    if (runnerChanged) this.pushStatus(this.require(id));
    return this.require(id);
  }

  /** `/run`: optionally a new runner, then `doing` with a `[TASK_RUN]` message. */
  run(id: string, caller: string | undefined, trigger: string | undefined, runner: string | null | undefined, note: string | undefined): TaskRecord {
    const task = this.require(id);
    assertParticipant(this.core, task, caller, 'run');
    this.assertTransition(task, 'doing');
    if (runner) {
      this.assertAgent('runner_agent_id', runner);
      this.repo.updateTask(id, { runner_agent_id: runner, updated_at: this.core.now() });
      this.subscribeParticipants(this.require(id));
    }
    return this.dispatch(this.require(id), caller ?? trigger ?? null, { kind: 'run' }, note);
  }

  /** `/review`: a `[TASK_REVIEW]` message, then the status of the action (approve → done, …). */
  review(id: string, caller: string | undefined, action: ReviewAction, reviewer: string, comment: string): TaskRecord {
    const task = this.require(id);
    assertParticipant(this.core, task, caller, 'review');
    return this.applyReview(task, action, reviewer || caller || 'reviewer', comment);
  }

  /** `/assign`: a new runner, subscribed to the task topic; pushes `task_status`. */
  assign(id: string, caller: string | undefined, assignee: string): TaskRecord {
    const task = this.require(id);
    assertParticipant(this.core, task, caller, 'assign');
    this.assertAgent('agent_id', assignee);
    this.repo.updateTask(id, { runner_agent_id: assignee, updated_at: this.core.now() });
    const fresh = this.require(id);
    this.subscribeParticipants(fresh);
    this.pushStatus(fresh);
    return fresh;
  }

  /** DELETE: participants hear `cancelled`, then the task (and by default its topic) disappears. */
  remove(id: string, caller: string | undefined, deleteTopic: boolean): { ok: true; task_id: string; deleted_topic: boolean } {
    const task = this.require(id);
    assertParticipant(this.core, task, caller, 'delete');
    this.pushStatus({ ...task, status: 'cancelled' });
    this.repo.transaction(() => {
      this.repo.deleteTask(id);
      if (deleteTopic && task.topic_id && this.core.topics.get(task.topic_id)) this.core.topics.remove(task.topic_id);
    });
    return { ok: true, task_id: id, deleted_topic: deleteTopic && task.topic_id !== null };
  }

  // ---- dependencies

  addDependency(id: string, caller: string | undefined, dependsOn: string, mode: string, required: boolean, mapping: string | null | undefined): EdgeRecord {
    const task = this.require(id);
    assertParticipant(this.core, task, caller, 'change');
    if (dependsOn === id) throw new HubError(422, `task ${id} cannot depend on itself`);
    this.require(dependsOn);
    if (!(DEPENDENCY_MODES as readonly string[]).includes(mode)) {
      throw new HubError(422, `body.mode: unknown dependency mode '${mode}' (use ${DEPENDENCY_MODES.join(' or ')})`);
    }
    if (wouldCycle(this.repo.allEdges(), id, dependsOn)) {
      throw new HubError(409, `cannot make task ${id} depend on ${dependsOn}: ${dependsOn} already depends on ${id}, which would form a cycle`);
    }
    this.repo.upsertEdge({ task_id: id, depends_on_task_id: dependsOn, mode, required, mapping: mapping ?? null, created_at: this.core.now() });
    return this.repo.getEdge(id, dependsOn) as EdgeRecord;
  }

  removeDependency(id: string, caller: string | undefined, dependsOn: string): { ok: true; task_id: string; depends_on_task_id: string } {
    const task = this.require(id);
    assertParticipant(this.core, task, caller, 'change');
    if (!this.repo.removeEdge(id, dependsOn)) throw new HubError(404, `task ${id} does not depend on ${dependsOn}`);
    return { ok: true, task_id: id, depends_on_task_id: dependsOn };
  }

  // ---- pipelines

  /** Dispatches every `todo` task (of the pipeline, or the given ids) whose dependencies are satisfied. */
  executePipeline(caller: string | undefined, pipelineId: string | undefined, taskIds: readonly string[] | undefined, trigger: string | undefined, note: string | undefined): PipelineRun {
    let candidates: TaskRecord[];
    if (taskIds && taskIds.length > 0) {
      candidates = taskIds.map((t) => this.require(t));
    } else {
      const pid = pipelineId || DEFAULT_PIPELINE_ID;
      this.assertPipeline(pid);
      candidates = this.repo.listTasks({ pipeline_id: pid, limit: 100_000 }).reverse();
    }
    const ready = candidates.filter(
      (t) => canSee(this.core, t, caller) && t.status === 'todo' && isReady(this.repo.upstreamOf(t.id), (u) => this.repo.statusOf(u)),
    );
    const by = caller ?? trigger ?? null;
    for (const t of ready) this.dispatch(this.require(t.id), by, { kind: 'pipeline_start', pipelineId: t.pipeline_id }, note);
    return { count: ready.length, task_ids: ready.map((t) => t.id), message: `Pipeline started: ${ready.length} tasks` };
  }

  progressOf(t: TaskRecord): number {
    if (t.status === 'done') return 100;
    if (t.progress !== null && t.status !== 'todo') return t.progress;
    return PROGRESS_BY_STATUS[t.status];
  }

  // ---- the machinery

  private assertTransition(task: TaskRecord, to: TaskStatus): void {
    if (!canTransition(task.status, to)) throw new HubError(409, `cannot move task ${task.id} from ${task.status} to ${to}`);
  }

  private assertAgent(field: string, agentId: string): void {
    if (!this.core.auth.agentExists(agentId)) throw new HubError(422, `body.${field}: agent ${agentId} is not registered on this hub`);
  }

  private assertPipeline(id: string): void {
    if (!this.repo.getPipeline(id)) throw new HubError(404, `pipeline ${id} not found`);
  }

  /** Owner and runner are members of the task topic. */
  private subscribeParticipants(task: TaskRecord): void {
    if (!task.topic_id || !this.core.topics.get(task.topic_id)) return;
    for (const a of [task.owner_agent_id, task.runner_agent_id]) {
      if (a && this.core.auth.agentExists(a)) this.core.topics.addMember(task.topic_id, a, 'member');
    }
  }

  /** Owner, runner and task-topic members, once each. */
  recipients(task: TaskRecord): Set<string> {
    const to = new Set<string>();
    if (task.owner_agent_id) to.add(task.owner_agent_id);
    if (task.runner_agent_id) to.add(task.runner_agent_id);
    if (task.topic_id) for (const m of this.core.topics.members(task.topic_id)) to.add(m);
    return to;
  }

  pushStatus(task: TaskRecord): void {
    this.core.push.toAgents(this.recipients(task), {
      type: 'task_status',
      task_id: task.id,
      status: task.status,
      topic_id: task.topic_id,
      title: task.title,
      description: task.description,
      exec_mode: task.exec_mode,
      task_type: task.task_type,
      runner_agent_id: task.runner_agent_id,
      pipeline_id: task.pipeline_id,
    });
  }

  /**
   * Moves the task (409 when the matrix forbids it), pushes `task_status` (always when `forcePush`,
   * else only when the status changed), then follows up: auto-review on `review`, downstream
   * dispatch on `done`/`blocked`/`cancelled`. Returns the task as it stands afterwards.
   */
  private changeStatus(task: TaskRecord, to: TaskStatus, forcePush: boolean): TaskRecord {
    this.assertTransition(task, to);
    const from = task.status;
    const now = this.core.now();
    if (from !== to) {
      const changes: TaskChanges = { status: to, updated_at: now };
      if (to === 'doing' && task.started_at === null) changes.started_at = now;
      if (to === 'todo') changes.started_at = null;
      if (to === 'done') changes.completed_at = now;
      else if (from === 'done') changes.completed_at = null;
      this.repo.updateTask(task.id, changes);
    }
    const fresh = this.require(task.id);
    if (from !== to || forcePush) this.pushStatus(fresh);
    if (from !== to) {
      if (to === 'review') this.autoReview(fresh);
      if (SETTLING.includes(to)) this.releaseDownstream(fresh);
    }
    return this.require(task.id);
  }

  private applyReview(task: TaskRecord, action: ReviewAction, by: string, comment: string): TaskRecord {
    const to = REVIEW_TARGET[action];
    this.assertTransition(task, to);
    this.repo.updateTask(task.id, { reviewer: by, updated_at: this.core.now() });
    this.postSystem(task, taskReviewText(task, action, by, comment), 'task_review', { action });
    return this.changeStatus(this.require(task.id), to, true);
  }

  private autoReview(task: TaskRecord): void {
    const pipeline = this.repo.getPipeline(task.pipeline_id);
    if (!pipeline?.auto_review) return;
    this.applyReview(task, 'approve', AUTO_REVIEWER, `approved automatically: pipeline ${pipeline.name} has auto_review on`);
  }

  /** `doing` + `task_status` push + `[TASK_RUN]` message. */
  private dispatch(task: TaskRecord, trigger: string | null, cause: DispatchCause, note: string | undefined): TaskRecord {
    const t = this.changeStatus(task, 'doing', true);
    this.postSystem(t, taskRunText(t, trigger, cause, note), 'task_run', cause.kind === 'run' ? {} : { pipeline_id: t.pipeline_id });
    return t;
  }

  /** Dispatches the `todo` tasks that depend on `upstream` and are now ready. */
  private releaseDownstream(upstream: TaskRecord): void {
    for (const id of this.repo.downstreamOf(upstream.id)) {
      const t = this.repo.getTask(id);
      if (!t || t.status !== 'todo') continue;
      if (!isReady(this.repo.upstreamOf(id), (u) => this.repo.statusOf(u))) continue;
      this.dispatch(t, 'pipeline', {
        kind: 'upstream',
        pipelineId: t.pipeline_id,
        upstreamId: upstream.id,
        upstreamTitle: upstream.title,
        upstreamStatus: upstream.status,
      }, undefined);
    }
  }

  private postSystem(task: TaskRecord, content: string, semanticType: string, extra: Record<string, unknown>): void {
    if (!task.topic_id || !this.core.topics.get(task.topic_id)) return;
    this.core.messages.post({
      topic_id: task.topic_id,
      sender_id: SYSTEM_SENDER,
      sender_type: 'system',
      source: 'task',
      content,
      content_type: 'text',
      semantic_type: semanticType,
      extra: { ...extra, task_id: task.id },
    });
  }
}
