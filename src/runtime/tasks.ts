/**
 * The task side of the runtime (issue 10): it gives the bucket parents (`tasks:<k>`) their real
 * task and pipeline logic, and turns what the router hears into events for the right actor.
 *
 *   task_status frame / [TASK_RUN] message   → a HINT: the real record is fetched from the hub;
 *                                             only a task whose runner is this agent, in `doing`,
 *                                             from an allowed peer within its budget, gets RUN
 *   [TASK_REVIEW] (from the hub) reject      → REJECT with the comment (the machine spaces reruns)
 *   [TASK_REVIEW] approve / status done       → APPROVE
 *   a human message in a running task's topic → FOLLOW_UP (queued, merged, run once afterwards)
 *   status cancelled / task deleted           → CANCEL (the running execution is stopped)
 *
 * Every actor's snapshot is persisted (one transaction per tick) and restored at start with
 * RESTORED sent so its timers are re-armed; a finished actor is stopped and removed once its
 * last child (the notice, the status PATCH) has finished. Hints for one task are handled one at a
 * time, so four paths can never start the same task (§12.2).
 */
import type { AnyActorRef, Snapshot, Subscription } from 'xstate';
import { fromPromise } from 'xstate';
import { z } from 'zod';
import { pipelineMachine, type PipelineInput, type PipelineSnapshot, type PipelineStatusReport } from '../../machines/pipeline.machine.js';
import {
  taskMachine,
  taskPhaseOf,
  taskStatusOf,
  type NotifyInput,
  type ReportInput,
  type SetStatusInput,
  type TaskMachineInput,
  type TaskSnapshot,
} from '../../machines/task.machine.js';
import { actorKey, bucketOf, bucketSystemId, restorable, taskBucketMachine, type ActorKind, type BucketEvent } from '../../machines/task-bucket.machine.js';
import type { WttApi } from '../client/api.js';
import type { Config } from '../config.js';
import { isWttError } from '../errors.js';
import { executeActor } from '../executor/actor.js';
import { ConcurrencyLimiter } from '../executor/limiter.js';
import { kvLedger, reportResult, setTaskStatus } from '../executor/report.js';
import type { Executor } from '../executor/types.js';
import type { Logger } from '../log.js';
import type { Message, ServerFrame, Task, TaskGraph } from '../protocol/index.js';
import { normalizeTaskStatus } from '../protocol/task.js';
import { DEFAULT_PIPELINE_ID } from '../protocol/pipeline.js';
import type { TaskStatus } from '../protocol/task-transition.js';
import type { PeerGuards } from './peer-guards.js';
import type { StateStore } from './store.js';
import { parseTaskMessage } from './task-messages.js';
import { queueTaskStatus } from './task-status.js';
import { forgetExecution, killOrphans, recordExecution } from './orphans.js';

export interface TaskRuntimeDeps {
  config: () => Readonly<Config>;
  /** The hub API as this agent (the current identity). */
  api: () => WttApi;
  agentId: () => string | undefined;
  store: StateStore;
  executor: Executor;
  log: Logger;
  /** Wall clock (ms) for event times. */
  now: () => number;
  /** Wakes the notifier after a notice was queued. */
  wake: () => void;
  /** WTT_PEERS, hops and budgets (shared with the conversations). */
  guards: PeerGuards;
  /** The WTT_MAX_CONCURRENT_TASKS slots (shared with the conversations). */
  limiter?: ConcurrencyLimiter | undefined;
}

type System = { get(id: string): AnyActorRef | undefined };

interface Entry {
  kind: ActorKind;
  id: string;
  ref: AnyActorRef;
  sub: Subscription;
  /** Last status seen (tasks: WTT status; pipelines: phase). */
  status: string;
}

export interface TaskSummary {
  id: string;
  title: string;
  status: string;
  phase: string | undefined;
  run: number;
  last_event: string | null;
  reason: string | null;
}

/** What a persisted actor must look like before it is handed to XState (the disk is untrusted input). */
const PersistedShape = {
  task: z.looseObject({
    status: z.literal('active'),
    value: z.union([z.string(), z.record(z.string(), z.unknown())]),
    context: z.looseObject({ task: z.looseObject({ id: z.string().min(1), title: z.string() }), run: z.number(), now: z.number() }),
    children: z.record(z.string(), z.unknown()).optional(),
  }),
  pipeline: z.looseObject({
    status: z.literal('active'),
    value: z.union([z.string(), z.record(z.string(), z.unknown())]),
    context: z.looseObject({ pipelineId: z.string().min(1), nodes: z.array(z.unknown()), edges: z.array(z.unknown()) }),
  }),
} as const;

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class TaskRuntime {
  private system: System | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Immediate | undefined;
  /** Hints per task, one at a time. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Task topic → task id (for follow-ups). */
  private readonly topics = new Map<string, string>();
  private readonly limiter: ConcurrencyLimiter;
  private readonly guards: PeerGuards;
  /** Peer → tasks the guards stopped (for `wtt guard continue`). */
  private readonly refused = new Map<string, Set<string>>();
  /** Tasks with a progress PATCH in flight → the latest figure. */
  private readonly progressing = new Map<string, number>();
  private stopped = false;
  private synced = false;
  private syncing: Promise<void> | undefined;
  private markSynced!: () => void;
  /** Resolves once the start-up recovery from the hub has run. */
  readonly recovered: Promise<void> = new Promise((resolve) => {
    this.markSynced = resolve;
  });

  constructor(private readonly deps: TaskRuntimeDeps) {
    const c = deps.config();
    this.limiter = deps.limiter ?? new ConcurrencyLimiter(c.maxConcurrentTasks);
    this.guards = deps.guards;
  }

  // ── logic ──────────────────────────────────────────────────────────────────────────────
  /** The bucket parents' logic, with the real task and pipeline actors. */
  bucketLogic(): typeof taskBucketMachine {
    const d = this.deps;
    const ledger = kvLedger(d.store);
    const reportDeps = () => ({ api: d.api(), ledger });
    const task = taskMachine.provide({
      actors: {
        execute: executeActor({
          executor: d.executor,
          limiter: this.limiter,
          now: d.now,
          onProgress: (id, p) => this.progress(id, p),
          processes: {
            started: (taskId, key, pid) => recordExecution(d.store, key, taskId, pid),
            ended: (key) => {
              if (d.store.isOpen) forgetExecution(d.store, key);
            },
          },
        }),
        report: fromPromise<void, ReportInput>(({ input, signal }) => reportResult(reportDeps(), input, signal)),
        setStatus: fromPromise<void, SetStatusInput>(({ input, signal }) => setTaskStatus(reportDeps(), input, signal)),
        notify: fromPromise<void, NotifyInput>(async ({ input }) => this.notice(input)),
      },
    });
    const pipeline = pipelineMachine.provide({
      actors: {
        loadGraph: fromPromise(({ input, signal }: { input: { pipelineId: string }; signal: AbortSignal }) => d.api().taskGraph({ pipeline_id: input.pipelineId }, { signal })),
      },
    });
    return taskBucketMachine.provide({ actors: { task: restorable(task), pipeline: restorable(pipeline) } });
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────
  /** The system is running: restore the persisted actors (timers re-armed by RESTORED). */
  attach(system: System): void {
    this.system = system;
    const t0 = performance.now();
    const at = this.deps.now();
    // Executions a crash left running are stopped before their runs start again.
    killOrphans(this.deps.store, this.deps.log);
    for (const row of this.deps.store.loadActors()) {
      const id = row.key.slice(row.kind.length + 1);
      try {
        const shape = PersistedShape[row.kind].safeParse(row.snapshot);
        if (!shape.success) throw new Error(`not a ${row.kind} snapshot: ${shape.error.issues[0]?.message ?? 'bad shape'}`);
        this.bucket(id).send({ type: 'RESTORE', key: row.key, kind: row.kind, snapshot: row.snapshot as Snapshot<unknown> } satisfies BucketEvent);
        const ref = system.get(row.key);
        if (!ref || ref.getSnapshot().status !== 'active') throw new Error('the snapshot did not start');
        // Nothing changed: no save. Only `doing` holds timers to re-arm (run timeout, stale, backoff, cooldown, deadline).
        this.track(row.kind, id, ref, false);
        if (row.kind === 'task' && row.status === 'doing') ref.send({ type: 'RESTORED', at });
      } catch (e) {
        this.deps.log.warn({ key: row.key, err: errText(e) }, 'a persisted actor could not be restored; dropped (the hub record is fetched again)');
        this.bucket(id).send({ type: 'STOP', key: row.key });
        this.deps.store.deleteActor(row.key);
      }
    }
    if (this.entries.size > 0) this.deps.log.info({ restored: this.entries.size, ms: Math.round(performance.now() - t0) }, 'task actors restored');
  }

  /**
   * The link is live: recover this agent's tasks from the hub (once per start: `doing` ones without
   * an actor are run again once; `todo` ones dispatched here are picked up), then keep listening.
   */
  sync(): Promise<void> {
    if (this.synced || this.stopped) return Promise.resolve();
    this.syncing ??= this.recover().then(
      () => {
        this.synced = true;
        this.markSynced();
      },
      (e: unknown) => this.deps.log.warn({ err: errText(e) }, 'could not recover tasks from the hub; retried at the next reconnect'),
    ).finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async recover(): Promise<void> {
    const me = this.deps.agentId();
    if (!me) return;
    const api = this.deps.api();
    for (const status of ['doing', 'review', 'todo'] as const) {
      const list = await api.listTasks({ runner_agent_id: me, status, limit: 1000 });
      for (const t of list) {
        if (t.runner_agent_id !== me) continue;
        // Stages of a pipeline (other than the default one) wait for the pipeline to dispatch them.
        if (status === 'todo' && (t.task_mode === 'pipeline' || (t.pipeline_id && t.pipeline_id !== DEFAULT_PIPELINE_ID))) continue;
        await this.serial(t.id, () => this.fromRecord(t, status === 'review' ? 'observe' : status === 'todo' ? 'pickup' : 'dispatch', undefined));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flush();
    await Promise.allSettled([...this.chains.values()]);
    for (const e of this.entries.values()) e.sub.unsubscribe();
    this.entries.clear();
  }

  // ── inputs from the router ─────────────────────────────────────────────────────────────
  onFrame(frame: ServerFrame): void {
    if (frame.type !== 'task_status') return;
    const status = normalizeTaskStatus(frame.status);
    const id = frame.task_id;
    if (status === 'doing') this.hint(id, 'dispatch');
    else if (status === 'done' || status === 'cancelled') this.hint(id, 'observe');
    else this.pipelineStatus(frame.pipeline_id ?? undefined, id, frame.status);
  }

  onMessages(messages: readonly Message[]): void {
    const me = this.deps.agentId();
    for (const m of messages) {
      if (m.sender_id === me) continue;
      const parsed = parseTaskMessage(m);
      switch (parsed.kind) {
        case 'run':
          if (parsed.runner === undefined || parsed.runner === me) this.hint(parsed.taskId, 'dispatch', m);
          break;
        case 'review':
          this.hint(parsed.taskId, parsed.action === 'reject' ? 'reject' : 'observe', m, parsed);
          break;
        case 'human': {
          const taskId = this.topics.get(m.topic_id);
          const ref = taskId ? this.entries.get(actorKey('task', taskId))?.ref : undefined;
          if (taskId && ref) this.serial(taskId, async () => void ref.send({ type: 'FOLLOW_UP', at: this.deps.now(), from: parsed.from, text: parsed.text }));
          break;
        }
        case 'other':
          break;
      }
    }
  }

  /** `wtt task cancel <id>`: stops a running execution and moves the task to cancelled. */
  async cancel(taskId: string): Promise<string> {
    let text = '';
    await this.serial(taskId, async () => {
      const e = this.entries.get(actorKey('task', taskId));
      if (e) {
        const s = e.ref.getSnapshot() as TaskSnapshot;
        const st = taskStatusOf(s);
        if (st === 'done' || st === 'cancelled') {
          text = `Task ${taskId} is already ${st}.`;
          return;
        }
        const running = taskPhaseOf(s) === 'running';
        e.ref.send({ type: 'CANCEL', at: this.deps.now() });
        text = running ? `Task ${taskId} cancelled; its running execution was stopped.` : `Task ${taskId} cancelled.`;
        return;
      }
      await this.deps.api().updateTask(taskId, { status: 'cancelled' });
      text = `Task ${taskId} cancelled (it was not running here).`;
    });
    return text;
  }

  /** What `wtt status` shows: counts by status, and the first `listed` tasks (running ones first). */
  report(listed = 50): { active: number; total: number; by_status: Record<string, number>; tasks: TaskSummary[]; pipelines: number } {
    const tasks: TaskSummary[] = [];
    const byStatus: Record<string, number> = {};
    let pipelines = 0;
    let total = 0;
    const order = [...this.entries.values()].sort((a, b) => Number(b.status === 'doing') - Number(a.status === 'doing'));
    for (const e of order) {
      if (e.kind === 'pipeline') {
        pipelines++;
        continue;
      }
      const s = e.ref.getSnapshot() as TaskSnapshot;
      const status = taskStatusOf(s);
      total++;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
      if (tasks.length >= listed) continue;
      tasks.push({
        id: e.id,
        title: s.context.task.title,
        status,
        phase: taskPhaseOf(s),
        run: s.context.run,
        last_event: s.context.lastProgress,
        reason: s.context.reason ? s.context.reason.text : null,
      });
    }
    return { active: byStatus.doing ?? 0, total, by_status: byStatus, tasks, pipelines };
  }

  // ── the decision ───────────────────────────────────────────────────────────────────────
  private hint(taskId: string, why: 'dispatch' | 'observe' | 'reject', m?: Message, review?: { by: string; comment: string }): void {
    if (this.stopped) return;
    void this.serial(taskId, async () => {
      let record: Task;
      try {
        record = await this.deps.api().getTask(taskId);
      } catch (e) {
        if (isWttError(e, 'WTT_ERR_NOT_FOUND')) {
          // Deleted on the hub (the web's cancel): stop our actor if there is one.
          this.entries.get(actorKey('task', taskId))?.ref.send({ type: 'CANCEL', at: this.deps.now(), hubKnows: true });
          return;
        }
        this.deps.log.warn({ task_id: taskId, err: errText(e) }, 'could not fetch the task record; the hint is dropped');
        return;
      }
      await this.fromRecord(record, why, m, review);
    });
  }

  /** Acts on the REAL record (never on what a message claims). */
  private async fromRecord(t: Task, why: 'dispatch' | 'pickup' | 'observe' | 'reject', m: Message | undefined, review?: { by: string; comment: string }): Promise<void> {
    const me = this.deps.agentId();
    const status = normalizeTaskStatus(t.status);
    const key = actorKey('task', t.id);
    const entry = this.entries.get(key);
    const at = this.deps.now();
    if (t.pipeline_id) this.pipelineStatus(t.pipeline_id, t.id, t.status);
    if (status === 'cancelled') {
      entry?.ref.send({ type: 'CANCEL', at, hubKnows: true });
      return;
    }
    if (!me || t.runner_agent_id !== me) return;
    if (status === 'done') {
      entry?.ref.send({ type: 'APPROVE', at });
      return;
    }
    if (why === 'reject') {
      if (status !== 'doing' || !review) return;
      const ref = entry?.ref ?? this.spawn(t, 'review');
      ref?.send({ type: 'REJECT', at, by: review.by, comment: review.comment });
      return;
    }
    if (why === 'observe') {
      if (!entry && status === 'review') this.spawn(t, 'review');
      return;
    }
    // dispatch: the hub moved it to doing (run, pipeline); pickup (at start only): todo tasks assigned here
    if (why === 'dispatch' ? status !== 'doing' : status !== 'todo') return;
    const current = entry ? taskStatusOf(entry.ref.getSnapshot() as TaskSnapshot) : undefined;
    if (current === 'doing') return;
    // In review, `doing` on the hub is usually a reject (its [TASK_REVIEW] brings the comment);
    // only the hub's own [TASK_RUN] (a /run from review) starts a new run.
    if (current === 'review' && (m === undefined || (m.sender_type ?? '').toLowerCase() !== 'system')) return;
    if (!this.mayRun(t, m)) return;
    if (entry) entry.ref.send({ type: 'RUN', at });
    else {
      const ref = this.spawn(t, status === 'doing' ? 'doing' : 'todo');
      if (status === 'todo') ref?.send({ type: 'RUN', at });
    }
  }

  /** WTT_PEERS, the hop count and the peer's hourly budget; a refusal asks the chat (once per task and reason). */
  private mayRun(t: Task, m: Message | undefined): boolean {
    const me = this.deps.agentId() ?? '';
    const peer = t.owner_agent_id ?? t.created_by ?? 'unknown';
    const r = this.guards.check(peer, me, m);
    if (r.allowed) {
      this.refused.get(peer)?.delete(t.id);
      return true;
    }
    const ids = this.refused.get(peer) ?? new Set<string>();
    ids.add(t.id);
    this.refused.set(peer, ids);
    this.guards.refuse(t.id, peer, r, `Task "${t.title}" (${t.id})`);
    return false;
  }

  /**
   * `wtt pipeline status` in the daemon: the pipeline actor (when this agent follows the pipeline)
   * takes the hub's current graph and answers with its stage rows, which keep the real progress
   * its tasks reported. Undefined when there is no such actor.
   */
  pipelineRows(pipelineId: string, graph: TaskGraph): Promise<PipelineStatusReport | undefined> {
    const ref = this.entries.get(actorKey('pipeline', pipelineId))?.ref;
    if (!ref) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const requestId = `status-${pipelineId}-${this.deps.now()}`;
      const replyTo = { send: (e: PipelineStatusReport) => resolve(e.requestId === requestId ? e : undefined) } as unknown as AnyActorRef;
      ref.send({ type: 'GRAPH', graph });
      ref.send({ type: 'STATUS', requestId, replyTo });
      // The actor answers synchronously; a stopped one never does.
      setImmediate(() => resolve(undefined));
    });
  }

  /** `wtt guard continue <peer>`: the tasks of `peer` that the guards stopped are dispatched again (each checked again). */
  resume(peer: string): number {
    const ids = [...(this.refused.get(peer) ?? [])];
    this.refused.delete(peer);
    for (const id of ids) this.hint(id, 'dispatch');
    return ids.length;
  }

  private spawn(t: Task, status: TaskStatus): AnyActorRef | undefined {
    const c = this.deps.config();
    const me = this.deps.agentId() ?? '';
    const due = t.due_at ? Date.parse(String(t.due_at)) : NaN;
    const input: TaskMachineInput = {
      task: {
        id: t.id,
        title: t.title,
        description: t.description,
        topic_id: t.topic_id,
        owner_agent_id: t.owner_agent_id,
        runner_agent_id: t.runner_agent_id,
        created_by: t.created_by,
        exec_mode: t.exec_mode,
        pipeline_id: t.pipeline_id,
      },
      agentId: me,
      status,
      at: this.deps.now(),
      maxRuntimeMs: c.taskMaxRuntimeMs,
      staleTimeoutMs: c.taskStaleTimeoutMs,
      rejectCooldownMs: c.rejectRerunCooldownMs,
      deadlineAt: Number.isFinite(due) ? due : null,
    };
    const key = actorKey('task', t.id);
    this.bucket(t.id).send({ type: 'SPAWN', key, kind: 'task', input } satisfies BucketEvent);
    const ref = this.system?.get(key);
    if (!ref) return undefined;
    this.track('task', t.id, ref);
    // The default pipeline is where every task without one lands: not a pipeline to follow.
    if (t.pipeline_id && t.pipeline_id !== DEFAULT_PIPELINE_ID) this.ensurePipeline(t.pipeline_id);
    return ref;
  }

  private ensurePipeline(pipelineId: string): void {
    const key = actorKey('pipeline', pipelineId);
    if (this.entries.has(key)) return;
    this.bucket(pipelineId).send({ type: 'SPAWN', key, kind: 'pipeline', input: { pipelineId } satisfies PipelineInput } satisfies BucketEvent);
    const ref = this.system?.get(key);
    if (ref) this.track('pipeline', pipelineId, ref);
  }

  private pipelineStatus(pipelineId: string | undefined, taskId: string, status: string): void {
    if (!pipelineId) return;
    this.entries.get(actorKey('pipeline', pipelineId))?.ref.send({ type: 'TASK.STATUS', taskId, status });
  }

  // ── persistence and clean-up ───────────────────────────────────────────────────────────
  private track(kind: ActorKind, id: string, ref: AnyActorRef, save = true): void {
    const key = actorKey(kind, id);
    if (this.entries.has(key)) return;
    const sub = ref.subscribe({ next: () => this.markDirty(key), error: () => this.markDirty(key), complete: () => this.markDirty(key) });
    const status = kind === 'task' ? taskStatusOf(ref.getSnapshot() as TaskSnapshot) : 'active';
    this.entries.set(key, { kind, id, ref, sub, status });
    if (kind === 'task') {
      const topic = (ref.getSnapshot() as TaskSnapshot).context.task.topic_id;
      if (topic) this.topics.set(topic, id);
    }
    if (save) this.markDirty(key);
  }

  private markDirty(key: string): void {
    this.dirty.add(key);
    if (!this.flushTimer && !this.stopped) this.flushTimer = setImmediate(() => this.flush());
  }

  /** Saves every changed actor in one transaction; stops and forgets the finished ones. */
  private flush(): void {
    this.flushTimer = undefined;
    if (this.dirty.size === 0 || !this.deps.store.isOpen) return;
    const rows: Array<{ key: string; kind: ActorKind; status: string; snapshot: unknown }> = [];
    const finished: Entry[] = [];
    for (const key of this.dirty) {
      const e = this.entries.get(key);
      if (!e) continue;
      const snap = e.ref.getSnapshot() as TaskSnapshot | PipelineSnapshot;
      const status = e.kind === 'task' ? taskStatusOf(snap as TaskSnapshot) : phaseOf(snap as PipelineSnapshot);
      if (e.kind === 'task' && status !== e.status) this.pipelineStatus((snap as TaskSnapshot).context.task.pipeline_id ?? undefined, e.id, status);
      e.status = status;
      // Finished once its last child (the notice, the status PATCH) is done too; done children stay listed.
      const idle = Object.values(snap.children as Record<string, AnyActorRef | undefined>).every((c) => c?.getSnapshot().status !== 'active');
      const over = snap.status !== 'active' || (snap.hasTag('finished') && idle);
      if (over) {
        finished.push(e);
        rows.push({ key, kind: e.kind, status, snapshot: null });
      } else {
        try {
          rows.push({ key, kind: e.kind, status, snapshot: withoutFinishedChildren(e.ref.getPersistedSnapshot?.()) });
        } catch (err) {
          this.deps.log.error({ key, err: errText(err) }, 'could not persist an actor snapshot');
        }
      }
    }
    this.dirty.clear();
    try {
      this.deps.store.saveActors(rows);
    } catch (err) {
      this.deps.log.error({ err: errText(err) }, 'could not save the task actors');
    }
    for (const e of finished) {
      e.sub.unsubscribe();
      this.entries.delete(actorKey(e.kind, e.id));
      if (e.kind === 'task') {
        const topic = (e.ref.getSnapshot() as TaskSnapshot).context.task.topic_id;
        if (topic && this.topics.get(topic) === e.id) this.topics.delete(topic);
      }
      this.bucket(e.id).send({ type: 'STOP', key: actorKey(e.kind, e.id) });
    }
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────
  private bucket(id: string): AnyActorRef {
    const ref = this.system?.get(bucketSystemId(bucketOf(id)));
    if (!ref) throw new Error(`bucket ${bucketSystemId(bucketOf(id))} is not running`);
    return ref;
  }

  private serial(taskId: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(taskId) ?? Promise.resolve();
    const next = prev.then(fn).catch((e: unknown) => this.deps.log.error({ task_id: taskId, err: errText(e) }, 'task event failed'));
    this.chains.set(taskId, next);
    void next.then(() => {
      if (this.chains.get(taskId) === next) this.chains.delete(taskId);
    });
    return next;
  }

  /**
   * Real progress from the executor → the hub's `progress` field and the pipeline's stage progress.
   * One PATCH in flight per task; a newer figure that arrives meanwhile is sent after it (the last wins).
   */
  private progress(taskId: string, progress: number): void {
    const e = this.entries.get(actorKey('task', taskId));
    const pipelineId = e ? (e.ref.getSnapshot() as TaskSnapshot).context.task.pipeline_id : undefined;
    if (pipelineId) this.entries.get(actorKey('pipeline', pipelineId))?.ref.send({ type: 'TASK.PROGRESS', taskId, progress });
    const busy = this.progressing.has(taskId);
    this.progressing.set(taskId, progress);
    if (busy) return;
    const send = (value: number): void => {
      void this.deps
        .api()
        .updateTask(taskId, { progress: value })
        .catch((err: unknown) => this.deps.log.debug({ task_id: taskId, err: errText(err) }, 'could not PATCH progress'))
        .finally(() => {
          const latest = this.progressing.get(taskId);
          if (latest !== undefined && latest !== value && !this.stopped) send(latest);
          else this.progressing.delete(taskId);
        });
    };
    send(progress);
  }

  /** A task topic's task (conversations leave these topics to the task actors). */
  isTaskTopic(topicId: string): boolean {
    return this.topics.has(topicId);
  }

  /** A status change: the task's one status message in the chat (edited in place), and the result for review. */
  private async notice(input: NotifyInput): Promise<void> {
    const context = (this.entries.get(actorKey('task', input.taskId))?.ref.getSnapshot() as TaskSnapshot | undefined)?.context;
    try {
      const queued = await queueTaskStatus(
        { store: this.deps.store, agentId: this.deps.agentId, output: async (id) => (await this.deps.api().getTask(id)).output },
        input,
        context,
      );
      if (queued) this.deps.wake();
    } catch (e) {
      this.deps.log.error({ err: errText(e) }, 'could not queue a task notice');
    }
  }


}

/**
 * A persisted snapshot without its finished children (a done notice, a settled PATCH): they are
 * never started again, and restoring each one would cost an actor. Active ones stay: they run
 * again after a restart (their side effects are idempotent by key).
 */
function withoutFinishedChildren(snapshot: unknown): unknown {
  if (!snapshot || typeof snapshot !== 'object') return snapshot;
  const s = snapshot as { children?: Record<string, { snapshot?: { status?: unknown } } | undefined> };
  if (!s.children) return snapshot;
  const children = Object.fromEntries(Object.entries(s.children).filter(([, c]) => c?.snapshot?.status === 'active'));
  return { ...s, children };
}

function phaseOf(s: PipelineSnapshot): string {
  if (s.matches('finished')) return 'finished';
  if (s.matches('active')) return 'active';
  return 'loading';
}

