/**
 * One actor per pipeline this agent takes part in (issue 10; systemId `pipeline:<id>`, given by the
 * spawner). It holds the DAG as the hub's `GET /tasks/graph?pipeline_id=` returns it, follows task
 * statuses and real progress, knows which tasks are ready (the readiness rule the hub dispatches
 * by, src/protocol/task-graph.ts), keeps stage progress, and answers `STATUS` (`@wtt pipeline status`).
 * Pure: the graph is loaded by the `loadGraph` actor; a failed load is retried after a named delay.
 *
 *   loading → active ⇄ finished        (finished: every task settled — done, blocked or cancelled)
 *      ↑ failed: waiting ─retryDelay─┘
 */
import { assign, emit, enqueueActions, fromPromise, setup, type AnyActorRef, type SnapshotFrom } from 'xstate';
import { isReady, type DependencyRule } from '../src/protocol/task-graph.js';
import { SETTLED_STATUSES, type TaskStatus } from '../src/protocol/task-transition.js';
import { normalizeTaskStatus, type TaskGraph } from '../src/protocol/task.js';
import { stageRows, type StageRow } from '../src/commands/stages.js';
import { backoffCeilingMs } from './backoff.js';

export interface PipelineNode {
  id: string;
  title: string;
  /** Canonical status, or the server's own word when it is not one we know. */
  status: string;
}

export interface PipelineContext {
  pipelineId: string;
  nodes: PipelineNode[];
  edges: DependencyRule[];
  /** Real progress (0..100) per task, from executor events; absent when none was reported. */
  progress: Record<string, number>;
  loadFailures: number;
  lastError: string | null;
  retryBaseMs: number;
  retryCapMs: number;
}

export interface PipelineInput {
  pipelineId: string;
  /** A graph already fetched (skips the first load). */
  graph?: TaskGraph | undefined;
  retryBaseMs?: number | undefined;
  retryCapMs?: number | undefined;
}

export interface StageProgress {
  stage: number;
  total: number;
  done: number;
  /** Tasks of the stage that are running or waiting for review. */
  active: number;
  blocked: number;
}

export interface PipelineStatusReport {
  type: 'PIPELINE.STATUS';
  requestId: string;
  pipelineId: string;
  phase: 'loading' | 'active' | 'finished';
  rows: StageRow[];
  stages: StageProgress[];
  /** `todo` tasks whose dependencies no longer hold them back. */
  ready: string[];
  done: number;
  total: number;
  lastError: string | null;
}

export type PipelineEvent =
  | { type: 'GRAPH'; graph: TaskGraph }
  | { type: 'TASK.STATUS'; taskId: string; status: string }
  | { type: 'TASK.PROGRESS'; taskId: string; progress: number }
  | { type: 'RELOAD' }
  | { type: 'STATUS'; requestId: string; replyTo: AnyActorRef };

export type PipelineEmitted = { type: 'pipeline.ready'; pipelineId: string; taskIds: string[] } | { type: 'pipeline.finished'; pipelineId: string };

export const PIPELINE_DEFAULTS = Object.freeze({ retryBaseMs: 1_000, retryCapMs: 60_000 });

function canonical(status: string): TaskStatus | undefined {
  return normalizeTaskStatus(status);
}

/** The DAG from a `/tasks/graph` answer: edges to tasks outside the graph are kept (they hold nothing back). */
export function fromGraph(graph: TaskGraph): Pick<PipelineContext, 'nodes' | 'edges'> {
  return {
    nodes: graph.nodes.map((n) => ({ id: n.id, title: n.title, status: canonical(n.status) ?? n.status })),
    edges: graph.edges.map((e) => ({ task_id: e.task_id, depends_on_task_id: e.depends_on_task_id, required: e.required ?? true })),
  };
}

/** `todo` tasks whose every required dependency is done and every optional one settled. */
export function readyTasks(c: Pick<PipelineContext, 'nodes' | 'edges'>): string[] {
  const status = new Map(c.nodes.map((n) => [n.id, canonical(n.status)]));
  return c.nodes
    .filter((n) => status.get(n.id) === 'todo' && isReady(c.edges.filter((e) => e.task_id === n.id), (id) => status.get(id)))
    .map((n) => n.id);
}

export function isFinished(c: Pick<PipelineContext, 'nodes'>): boolean {
  return c.nodes.length > 0 && c.nodes.every((n) => {
    const s = canonical(n.status);
    return s !== undefined && SETTLED_STATUSES.includes(s);
  });
}

export function stageProgress(rows: readonly StageRow[]): StageProgress[] {
  const byStage = new Map<number, StageProgress>();
  for (const r of rows) {
    const p = byStage.get(r.stage) ?? { stage: r.stage, total: 0, done: 0, active: 0, blocked: 0 };
    p.total++;
    const s = canonical(r.status);
    if (s === 'done') p.done++;
    else if (s === 'doing' || s === 'review') p.active++;
    else if (s === 'blocked') p.blocked++;
    byStage.set(r.stage, p);
  }
  return [...byStage.values()].sort((a, b) => a.stage - b.stage);
}

export function pipelineReport(c: PipelineContext, phase: PipelineStatusReport['phase'], requestId: string): PipelineStatusReport {
  const rows = stageRows(c.nodes, c.edges, c.progress);
  return {
    type: 'PIPELINE.STATUS',
    requestId,
    pipelineId: c.pipelineId,
    phase,
    rows,
    stages: stageProgress(rows),
    ready: readyTasks(c),
    done: c.nodes.filter((n) => canonical(n.status) === 'done').length,
    total: c.nodes.length,
    lastError: c.lastError,
  };
}

function phaseOf(snapshot: { matches: (s: 'loading' | 'active' | 'finished') => boolean }): PipelineStatusReport['phase'] {
  if (snapshot.matches('finished')) return 'finished';
  if (snapshot.matches('active')) return 'active';
  return 'loading';
}

const errorText = (event: unknown): string => {
  const err = (event as { error?: unknown }).error;
  return err instanceof Error ? err.message : String(err);
};

export const pipelineMachine = setup({
  types: {
    context: {} as PipelineContext,
    events: {} as PipelineEvent,
    input: {} as PipelineInput,
    emitted: {} as PipelineEmitted,
  },
  actors: {
    /** `GET /tasks/graph?pipeline_id=<id>`, zod-validated. */
    loadGraph: fromPromise<TaskGraph, { pipelineId: string }>(async () => ({ nodes: [], edges: [] })),
  },
  delays: {
    retryDelay: ({ context }) => backoffCeilingMs(context.loadFailures, context.retryBaseMs, context.retryCapMs),
  },
  guards: {
    hasGraph: ({ context }) => context.nodes.length > 0,
    finished: ({ context }) => isFinished(context),
    notFinished: ({ context }) => !isFinished(context),
  },
  actions: {
    takeGraph: assign(({ event, context }) => {
      const graph = event.type === 'GRAPH' ? event.graph : (event as unknown as { output: TaskGraph }).output;
      const dag = fromGraph(graph);
      const ids = new Set(dag.nodes.map((n) => n.id));
      const progress = Object.fromEntries(Object.entries(context.progress).filter(([id]) => ids.has(id)));
      return { ...dag, progress, loadFailures: 0, lastError: null };
    }),
    /** A status change; emits the tasks it made ready (the hub dispatches them; the runtime may watch). */
    takeStatus: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'TASK.STATUS') return;
      if (!context.nodes.some((n) => n.id === event.taskId)) return;
      const before = new Set(readyTasks(context));
      const status = canonical(event.status) ?? event.status;
      const nodes = context.nodes.map((n) => (n.id === event.taskId ? { ...n, status } : n));
      const progress = { ...context.progress };
      if (status === 'done') progress[event.taskId] = 100;
      enqueue.assign({ nodes, progress });
      const fresh = readyTasks({ nodes, edges: context.edges }).filter((id) => !before.has(id));
      if (fresh.length > 0) enqueue(emit({ type: 'pipeline.ready', pipelineId: context.pipelineId, taskIds: fresh }));
    }),
    takeProgress: assign({
      progress: ({ context, event }) => {
        if (event.type !== 'TASK.PROGRESS' || !context.nodes.some((n) => n.id === event.taskId)) return context.progress;
        return { ...context.progress, [event.taskId]: Math.max(0, Math.min(100, event.progress)) };
      },
    }),
    answerStatus: ({ context, event, self }) => {
      if (event.type !== 'STATUS') return;
      event.replyTo.send(pipelineReport(context, phaseOf(self.getSnapshot() as { matches: (s: 'loading' | 'active' | 'finished') => boolean }), event.requestId));
    },
    announceFinished: emit(({ context }) => ({ type: 'pipeline.finished' as const, pipelineId: context.pipelineId })),
  },
}).createMachine({
  id: 'pipeline',
  description: 'One pipeline: its DAG, which tasks are ready, and stage progress.',
  context: ({ input }) => ({
    pipelineId: input.pipelineId,
    ...(input.graph ? fromGraph(input.graph) : { nodes: [], edges: [] }),
    progress: {},
    loadFailures: 0,
    lastError: null,
    retryBaseMs: input.retryBaseMs ?? PIPELINE_DEFAULTS.retryBaseMs,
    retryCapMs: input.retryCapMs ?? PIPELINE_DEFAULTS.retryCapMs,
  }),
  initial: 'start',
  on: {
    STATUS: { actions: 'answerStatus' },
    'TASK.PROGRESS': { actions: 'takeProgress' },
  },
  states: {
    start: {
      always: [{ guard: 'hasGraph', target: 'active' }, { target: 'loading' }],
    },
    loading: {
      initial: 'fetching',
      on: { GRAPH: { target: 'active', actions: 'takeGraph' } },
      states: {
        fetching: {
          invoke: {
            src: 'loadGraph',
            input: ({ context }) => ({ pipelineId: context.pipelineId }),
            onDone: { target: '#pipeline.active', actions: 'takeGraph' },
            onError: {
              target: 'waiting',
              actions: assign({ loadFailures: ({ context }) => context.loadFailures + 1, lastError: ({ event }) => errorText(event) }),
            },
          },
        },
        waiting: { after: { retryDelay: 'fetching' } },
      },
    },
    active: {
      description: 'Following the tasks until every one is settled.',
      always: { guard: 'finished', target: 'finished' },
      on: {
        'TASK.STATUS': { actions: 'takeStatus' },
        GRAPH: { actions: 'takeGraph' },
        RELOAD: 'loading',
      },
    },
    finished: {
      description: 'Every task is done, blocked or cancelled; a task that reopens makes it active again.',
      tags: ['finished'],
      entry: 'announceFinished',
      always: { guard: 'notFinished', target: 'active' },
      on: {
        'TASK.STATUS': { actions: 'takeStatus' },
        GRAPH: { actions: 'takeGraph' },
        RELOAD: 'loading',
      },
    },
  },
});

export type PipelineSnapshot = SnapshotFrom<typeof pipelineMachine>;
