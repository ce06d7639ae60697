import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, createMachine, fromPromise, waitFor } from 'xstate';
import { pipelineMachine, readyTasks, type PipelineEmitted, type PipelineStatusReport } from '../../machines/pipeline.machine.js';
import { TaskGraph } from '../../src/protocol/index.js';

/** a → b → c, and a → d (optional); as the hub's /tasks/graph answers it. */
const GRAPH = TaskGraph.parse({
  nodes: [
    { id: 'a', title: 'Collect', status: 'todo' },
    { id: 'b', title: 'Analyse', status: 'todo' },
    { id: 'c', title: 'Write up', status: 'todo' },
    { id: 'd', title: 'Illustrate', status: 'todo' },
  ],
  edges: [
    { task_id: 'b', depends_on_task_id: 'a', mode: 'p2p', required: true },
    { task_id: 'c', depends_on_task_id: 'b', mode: 'p2p', required: true },
    { task_id: 'd', depends_on_task_id: 'a', mode: 'p2p', required: false },
  ],
});

/** Collects the answers to STATUS, like the commands actor would. */
function asker() {
  const answers: PipelineStatusReport[] = [];
  const ref = createActor(createMachine({ on: { 'PIPELINE.STATUS': { actions: ({ event }) => answers.push(event as unknown as PipelineStatusReport) } } }));
  ref.start();
  return { ref, answers };
}

function start(graph = GRAPH) {
  const actor = createActor(pipelineMachine, { input: { pipelineId: 'p1', graph } });
  const emitted: PipelineEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  return { actor, emitted };
}

describe('pipeline.machine', () => {
  it('knows which tasks are ready as upstream tasks settle, and emits the newly ready ones', () => {
    const { actor, emitted } = start();
    expect(readyTasks(actor.getSnapshot().context)).toEqual(['a']);
    actor.send({ type: 'TASK.STATUS', taskId: 'a', status: 'doing' });
    expect(readyTasks(actor.getSnapshot().context)).toEqual([]);
    actor.send({ type: 'TASK.STATUS', taskId: 'a', status: 'approved' }); // alias of done
    expect(readyTasks(actor.getSnapshot().context)).toEqual(['b', 'd']);
    expect(emitted).toEqual([{ type: 'pipeline.ready', pipelineId: 'p1', taskIds: ['b', 'd'] }]);
    actor.send({ type: 'TASK.STATUS', taskId: 'b', status: 'blocked' });
    // c needs b done (required); d was optional on a
    expect(readyTasks(actor.getSnapshot().context)).toEqual(['d']);
  });

  it('answers STATUS with stage rows, stage progress and real progress', () => {
    const { actor } = start();
    const { ref, answers } = asker();
    actor.send({ type: 'TASK.STATUS', taskId: 'a', status: 'done' });
    actor.send({ type: 'TASK.STATUS', taskId: 'b', status: 'doing' });
    actor.send({ type: 'TASK.PROGRESS', taskId: 'b', progress: 40 });
    actor.send({ type: 'TASK.PROGRESS', taskId: 'zz', progress: 40 });
    actor.send({ type: 'STATUS', requestId: 'r1', replyTo: ref });
    expect(answers).toHaveLength(1);
    const r = answers[0] as PipelineStatusReport;
    expect(r).toMatchObject({ requestId: 'r1', pipelineId: 'p1', phase: 'active', done: 1, total: 4, ready: ['d'] });
    expect(r.rows.map((x) => [x.id, x.stage, x.status, x.progress, x.after])).toEqual([
      ['a', 1, 'done', 100, []],
      ['b', 2, 'doing', 40, [1]],
      ['d', 2, 'todo', undefined, [1]],
      ['c', 3, 'todo', undefined, [2]],
    ]);
    expect(r.stages).toEqual([
      { stage: 1, total: 1, done: 1, active: 0, blocked: 0 },
      { stage: 2, total: 2, done: 0, active: 1, blocked: 0 },
      { stage: 3, total: 1, done: 0, active: 0, blocked: 0 },
    ]);
  });

  it('is finished when every task is settled, once, and active again when one reopens', () => {
    const { actor, emitted } = start();
    for (const id of ['a', 'b', 'c']) actor.send({ type: 'TASK.STATUS', taskId: id, status: 'done' });
    expect(actor.getSnapshot().value).toBe('active');
    actor.send({ type: 'TASK.STATUS', taskId: 'd', status: 'cancelled' });
    expect(actor.getSnapshot().value).toBe('finished');
    actor.send({ type: 'TASK.STATUS', taskId: 'd', status: 'cancelled' });
    expect(emitted.filter((e) => e.type === 'pipeline.finished')).toHaveLength(1);
    actor.send({ type: 'TASK.STATUS', taskId: 'c', status: 'doing' });
    expect(actor.getSnapshot().value).toBe('active');
  });

  it('loads the graph through loadGraph and retries a failed load after a growing delay', async () => {
    const clock = new SimulatedClock();
    let calls = 0;
    const machine = pipelineMachine.provide({
      actors: {
        loadGraph: fromPromise(async () => {
          calls++;
          if (calls < 3) throw new Error(`hub unreachable (${calls})`);
          return GRAPH;
        }),
      },
    });
    const actor = createActor(machine, { clock, input: { pipelineId: 'p1', retryBaseMs: 1_000 } });
    actor.start();
    await waitFor(actor, (s) => s.matches({ loading: 'waiting' }), { timeout: 1_000 });
    expect(actor.getSnapshot().context.lastError).toBe('hub unreachable (1)');
    clock.increment(1_000);
    await waitFor(actor, (s) => s.matches({ loading: 'waiting' }) && s.context.loadFailures === 2, { timeout: 1_000 });
    clock.increment(1_999);
    expect(calls).toBe(2);
    clock.increment(1);
    await waitFor(actor, (s) => s.matches('active'), { timeout: 1_000 });
    expect(calls).toBe(3);
    expect(actor.getSnapshot().context.lastError).toBeNull();
    expect(readyTasks(actor.getSnapshot().context)).toEqual(['a']);
  });

  it('ignores statuses of tasks outside its graph and keeps progress only for its tasks after a new graph', () => {
    const { actor } = start();
    actor.send({ type: 'TASK.STATUS', taskId: 'other', status: 'done' });
    actor.send({ type: 'TASK.PROGRESS', taskId: 'c', progress: 10 });
    actor.send({ type: 'GRAPH', graph: TaskGraph.parse({ nodes: GRAPH.nodes.slice(0, 2), edges: GRAPH.edges.slice(0, 1) }) });
    expect(actor.getSnapshot().context.nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(actor.getSnapshot().context.progress).toEqual({});
  });
});
