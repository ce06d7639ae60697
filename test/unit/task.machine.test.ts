import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromCallback, fromPromise, waitFor, type AnyStateNode } from 'xstate';
import {
  runKey,
  taskMachine,
  taskPhaseOf,
  taskStatusOf,
  type ExecEvent,
  type ExecuteInput,
  type NotifyInput,
  type ReportInput,
  type SetStatusInput,
  type TaskEvent,
  type TaskMachineInput,
  type TaskSnapshot,
} from '../../machines/task.machine.js';
import { TASK_STATUSES, canTransition, type TaskStatus } from '../../src/protocol/index.js';

const T0 = 1_700_000_000_000;
const MAX_RUNTIME = 600_000;
const STALE = 900_000;
const COOLDOWN = 120_000;

interface Exec {
  input: ExecuteInput;
  send: (e: ExecEvent) => void;
  stopped: boolean;
}
interface Deferred {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** The machine with recording fake actors on a simulated clock; the test plays the executor. */
function harness(over: Partial<TaskMachineInput> = {}, opts: { snapshot?: unknown; manualReport?: boolean; clock?: SimulatedClock } = {}) {
  const clock = opts.clock ?? new SimulatedClock();
  if (!opts.clock) clock.set(T0);
  const execs: Exec[] = [];
  const reports: Array<ReportInput & Deferred> = [];
  const statuses: SetStatusInput[] = [];
  const notices: NotifyInput[] = [];
  const machine = taskMachine.provide({
    actors: {
      execute: fromCallback<TaskEvent, ExecuteInput>(({ input, sendBack }) => {
        const e: Exec = { input, send: (ev) => sendBack(ev), stopped: false };
        execs.push(e);
        return () => {
          e.stopped = true;
        };
      }),
      report: fromPromise<void, ReportInput>(
        ({ input }) =>
          new Promise<void>((resolve, reject) => {
            reports.push({ ...input, resolve, reject });
            if (!opts.manualReport) resolve();
          }),
      ),
      setStatus: fromPromise<void, SetStatusInput>(async ({ input }) => {
        statuses.push(input);
      }),
      notify: fromPromise<void, NotifyInput>(async ({ input }) => {
        notices.push(input);
      }),
    },
  });
  const input: TaskMachineInput = {
    task: { id: 't1', title: 'Write the summary', description: 'Summarise the thread', topic_id: 'topic-1', owner_agent_id: 'boss', created_by: 'peer', runner_agent_id: 'me' },
    agentId: 'me',
    at: clock.now(),
    maxRuntimeMs: MAX_RUNTIME,
    staleTimeoutMs: STALE,
    rejectCooldownMs: COOLDOWN,
    ...over,
  };
  const actor = opts.snapshot
    ? createActor(machine, { clock, snapshot: opts.snapshot as TaskSnapshot, input })
    : createActor(machine, { clock, input });
  actor.start();
  const at = () => clock.now();
  const send = (e: TaskEvent) => actor.send(e);
  const until = (pred: (s: TaskSnapshot) => boolean) => waitFor(actor, pred, { timeout: 2_000 });
  const status = () => taskStatusOf(actor.getSnapshot());
  const last = () => execs[execs.length - 1] as Exec;
  /** RUN, then the executor starts (the hub PATCH to doing resolves first). */
  const runAndStart = async () => {
    send({ type: 'RUN', at: at() });
    await until((s) => s.matches({ doing: { run: { running: { attempt: 'waitingForSlot' } } } }));
    last().send({ type: 'EXEC.STARTED', at: at() });
  };
  const settle = () => new Promise<void>((r) => setImmediate(r));
  return { clock, actor, execs, reports, statuses, notices, at, send, until, status, last, runAndStart, settle };
}

describe('task.machine', () => {
  it('runs a dispatched task to review and to done on approve', async () => {
    const h = harness();
    expect(h.status()).toBe('todo');
    await h.runAndStart();
    expect(h.statuses).toEqual([{ taskId: 't1', topicId: 'topic-1', status: 'doing', idempotencyKey: `${runKey('t1', 1)}:doing` }]);
    expect(taskPhaseOf(h.actor.getSnapshot())).toBe('running');
    expect(h.last().input).toMatchObject({ idempotencyKey: 'task:t1:run:1', attempt: 1, followUps: [] });
    expect(h.last().input.prompt).toContain('Task title: Write the summary');
    expect(h.last().input.prompt).toContain('trust="peer"');
    h.last().send({ type: 'EXEC.PROGRESS', at: h.at(), text: 'reading the thread' });
    h.last().send({ type: 'EXEC.DONE', at: h.at(), result: 'The summary.' });
    await h.until((s) => s.matches('review'));
    expect(h.reports.map((r) => [r.result, r.idempotencyKey])).toEqual([['The summary.', 'task:t1:run:1']]);
    expect(h.last().stopped).toBe(true);
    expect(h.actor.getSnapshot().context.result).toBeNull();
    h.send({ type: 'APPROVE', at: h.at() });
    await h.until((s) => s.matches('done'));
    await h.settle();
    expect(h.notices.map((n) => n.kind)).toEqual(['doing', 'review', 'done']);
    expect(new Set(h.notices.map((n) => n.key)).size).toBe(3);
    expect(h.actor.getSnapshot().hasTag('finished')).toBe(true);
  });

  it('times out a run after maxRuntimeMs from the real start and reports a timeout, not a failure', async () => {
    const h = harness();
    h.send({ type: 'RUN', at: h.at() });
    await h.until((s) => s.matches({ doing: { run: { running: { attempt: 'waitingForSlot' } } } }));
    h.clock.increment(MAX_RUNTIME * 2); // waiting for a concurrency slot does not count
    expect(h.status()).toBe('doing');
    h.last().send({ type: 'EXEC.STARTED', at: h.at() });
    h.clock.increment(MAX_RUNTIME - 1);
    expect(h.status()).toBe('doing');
    h.clock.increment(1);
    expect(h.status()).toBe('blocked');
    expect(h.actor.getSnapshot().context.reason).toEqual({ kind: 'timeout', text: 'timed out after 600 s without a result' });
    expect(h.last().stopped).toBe(true);
    await h.until((s) => s.matches({ blocked: 'saved' }));
    await h.settle();
    expect(h.statuses.at(-1)).toEqual({ taskId: 't1', topicId: 'topic-1', status: 'blocked', reason: 'timeout: timed out after 600 s without a result', idempotencyKey: 'task:t1:run:1:blocked' });
    expect(h.notices.map((n) => n.kind)).toEqual(['doing', 'timeout']);
    expect(h.reports).toEqual([]);
  });

  it('retries transient executor errors with growing backoff under the same key, then blocks with the reason', async () => {
    const h = harness({ retryBaseMs: 2_000 });
    await h.runAndStart();
    h.last().send({ type: 'EXEC.FAILED', at: h.at(), reason: 'gateway 503', transient: true });
    expect(h.actor.getSnapshot().matches({ doing: { run: { running: 'backoff' } } })).toBe(true);
    expect(h.last().stopped).toBe(true);
    h.clock.increment(1_999);
    expect(h.execs).toHaveLength(1);
    h.clock.increment(1);
    expect(h.execs).toHaveLength(2);
    expect(h.last().input).toMatchObject({ attempt: 2, idempotencyKey: 'task:t1:run:1' });
    h.last().send({ type: 'EXEC.FAILED', at: h.at(), reason: 'gateway 503', transient: true });
    h.clock.increment(3_999);
    expect(h.execs).toHaveLength(2);
    h.clock.increment(1);
    expect(h.execs).toHaveLength(3);
    h.last().send({ type: 'EXEC.FAILED', at: h.at(), reason: 'gateway 503', transient: true });
    expect(h.status()).toBe('blocked');
    expect(h.actor.getSnapshot().context.reason).toEqual({ kind: 'failed', text: 'gateway 503 (after 3 attempts)' });
    expect(h.reports).toEqual([]);
  });

  it('blocks at once on a permanent failure and on an empty result, never reporting an error as the result', async () => {
    const h = harness();
    await h.runAndStart();
    h.last().send({ type: 'EXEC.FAILED', at: h.at(), reason: 'exit 2: bad input', transient: false });
    expect(h.status()).toBe('blocked');
    expect(h.actor.getSnapshot().context.reason).toEqual({ kind: 'failed', text: 'exit 2: bad input' });
    await h.until((s) => s.matches({ blocked: 'saved' }));
    // a new run from blocked, which returns nothing
    h.send({ type: 'RUN', at: h.at() });
    await h.until((s) => s.matches({ doing: { run: { running: { attempt: 'waitingForSlot' } } } }));
    h.last().send({ type: 'EXEC.DONE', at: h.at(), result: '  \n' });
    expect(h.status()).toBe('blocked');
    expect(h.actor.getSnapshot().context.reason?.text).toBe('the executor returned an empty result');
    expect(h.reports).toEqual([]);
    expect(h.statuses.map((s) => [s.status, s.idempotencyKey])).toEqual([
      ['doing', 'task:t1:run:1:doing'],
      ['blocked', 'task:t1:run:1:blocked'],
      ['doing', 'task:t1:run:2:doing'],
      ['blocked', 'task:t1:run:2:blocked'],
    ]);
  });

  it('cancels a running execution: the executor is stopped and the status PATCHed unless the hub sent it', async () => {
    const h = harness();
    await h.runAndStart();
    h.send({ type: 'CANCEL', at: h.at() });
    expect(h.status()).toBe('cancelled');
    expect(h.last().stopped).toBe(true);
    await h.until((s) => s.hasTag('finished'));
    expect(h.statuses.map((s) => s.status)).toEqual(['doing', 'cancelled']);

    const g = harness();
    await g.runAndStart();
    g.send({ type: 'CANCEL', at: g.at(), hubKnows: true });
    await g.until((s) => s.hasTag('finished'));
    expect(g.last().stopped).toBe(true);
    expect(g.statuses.map((s) => s.status)).toEqual(['doing']);
  });

  it('blocks the task when its deadline passes while it runs', async () => {
    const h = harness({ deadlineAt: T0 + 300_000 });
    await h.runAndStart();
    h.clock.increment(299_999);
    expect(h.status()).toBe('doing');
    h.clock.increment(1);
    expect(h.status()).toBe('blocked');
    expect(h.actor.getSnapshot().context.reason?.kind).toBe('deadline');
    expect(h.last().stopped).toBe(true);
  });

  it('reruns on reject with the comment, spacing reject reruns by the cooldown', async () => {
    const h = harness();
    await h.runAndStart();
    h.last().send({ type: 'EXEC.DONE', at: h.at(), result: 'v1' });
    await h.until((s) => s.matches('review'));
    h.clock.increment(5_000);
    h.send({ type: 'REJECT', at: h.at(), by: 'reviewer-a', comment: 'cite the sources' });
    // first reject: no wait; the hub already moved the task to doing (no PATCH)
    await h.until((s) => s.matches({ doing: { run: 'running' } }));
    expect(h.execs).toHaveLength(2);
    expect(h.last().input).toMatchObject({ idempotencyKey: 'task:t1:run:2', followUps: [{ kind: 'review', from: 'reviewer-a', text: 'cite the sources' }] });
    expect(h.last().input.prompt).toContain('cite the sources');
    expect(h.statuses.map((s) => s.status)).toEqual(['doing']);
    h.last().send({ type: 'EXEC.STARTED', at: h.at() });
    h.clock.increment(10_000);
    h.last().send({ type: 'EXEC.DONE', at: h.at(), result: 'v2' });
    await h.until((s) => s.matches('review'));
    h.send({ type: 'REJECT', at: h.at(), by: 'reviewer-a', comment: 'still no sources' });
    expect(h.actor.getSnapshot().matches({ doing: { run: { queued: 'cooling' } } })).toBe(true);
    h.send({ type: 'REJECT', at: h.at(), by: 'reviewer-b', comment: 'and shorter' });
    h.clock.increment(COOLDOWN - 10_000 - 1);
    expect(h.execs).toHaveLength(2);
    h.clock.increment(1);
    await h.until((s) => s.matches({ doing: { run: 'running' } }));
    expect(h.execs).toHaveLength(3);
    expect(h.last().input.followUps.map((f) => f.text)).toEqual(['still no sources', 'and shorter']);
  });

  it('queues follow-ups that arrive while running and runs them once, merged, after the result', async () => {
    const h = harness();
    await h.runAndStart();
    h.send({ type: 'FOLLOW_UP', at: h.at(), from: 'human-1', text: 'also add a title' });
    h.send({ type: 'FOLLOW_UP', at: h.at(), from: 'human-1', text: 'also add a title' });
    h.send({ type: 'FOLLOW_UP', at: h.at(), from: 'human-2', text: 'in English' });
    expect(h.execs).toHaveLength(1);
    expect(h.last().stopped).toBe(false);
    h.last().send({ type: 'EXEC.DONE', at: h.at(), result: 'v1' });
    await h.until((s) => s.matches({ doing: { run: { running: 'attempt' } } }) && s.context.run === 2);
    expect(h.reports.map((r) => r.result)).toEqual(['v1']);
    expect(h.execs).toHaveLength(2);
    expect(h.last().input.followUps).toEqual([
      { kind: 'human', from: 'human-1', text: 'also add a title' },
      { kind: 'human', from: 'human-2', text: 'in English' },
    ]);
    // the task was in review on the hub: it is marked doing again before the rerun
    expect(h.statuses.map((s) => s.status)).toEqual(['doing', 'doing']);
    h.last().send({ type: 'EXEC.STARTED', at: h.at() });
    h.last().send({ type: 'EXEC.DONE', at: h.at(), result: 'v2' });
    await h.until((s) => s.matches('review'));
    expect(h.execs).toHaveLength(2);
    expect(h.actor.getSnapshot().context.followUps).toEqual([]);
  });

  it('reports a stalled executor once per run', async () => {
    const h = harness({ maxRuntimeMs: STALE * 10 });
    await h.runAndStart();
    h.clock.increment(STALE / 2);
    h.last().send({ type: 'EXEC.PROGRESS', at: h.at(), text: 'step 1' });
    h.clock.increment(STALE - 1);
    await h.settle();
    expect(h.notices.map((n) => n.kind)).toEqual(['doing']);
    h.clock.increment(1);
    await h.settle();
    expect(h.notices.map((n) => n.kind)).toEqual(['doing', 'stale']);
    expect(h.notices[1]?.urgent).toBe(true);
    h.last().send({ type: 'EXEC.PROGRESS', at: h.at(), text: 'step 2' });
    h.clock.increment(STALE * 3);
    await h.settle();
    expect(h.notices.map((n) => n.kind)).toEqual(['doing', 'stale']);
    expect(h.status()).toBe('doing');
  });

  it('restores a running task from its persisted snapshot and re-arms the run timeout where it was', async () => {
    const h = harness();
    await h.runAndStart();
    h.clock.increment(100_000);
    const persisted = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot())) as unknown;
    h.actor.stop();

    // the daemon comes back 200 s later
    const clock = new SimulatedClock();
    clock.set(T0 + 300_000);
    const r = harness({}, { snapshot: persisted, clock });
    // the execution is resumed with the same run key (the executor may find its session again)
    expect(r.execs).toHaveLength(1);
    expect(r.last().input).toMatchObject({ idempotencyKey: 'task:t1:run:1', attempt: 1 });
    r.send({ type: 'RESTORED', at: r.at() });
    // started at T0, so it times out at T0 + 600 s: 300 s after the restart
    r.clock.increment(299_999);
    expect(r.status()).toBe('doing');
    r.clock.increment(1);
    expect(r.status()).toBe('blocked');
    expect(r.actor.getSnapshot().context.reason?.kind).toBe('timeout');
  });

  it('restored in reporting publishes again only with the same key; restored after review never again', async () => {
    const h = harness({}, { manualReport: true });
    await h.runAndStart();
    h.last().send({ type: 'EXEC.DONE', at: h.at(), result: 'the result' });
    await h.until((s) => s.matches({ doing: { run: 'reporting' } }));
    const inFlight = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot())) as unknown;
    h.reports[0]?.resolve();
    await h.until((s) => s.matches('review'));
    const afterReview = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot())) as unknown;
    h.actor.stop();

    const r = harness({}, { snapshot: inFlight, manualReport: true });
    r.send({ type: 'RESTORED', at: r.at() });
    await r.until(() => r.reports.length === 1);
    expect(r.reports.map((x) => [x.result, x.idempotencyKey])).toEqual([['the result', 'task:t1:run:1']]);
    expect(r.execs).toEqual([]);
    r.reports[0]?.resolve();
    await r.until((s) => s.matches('review'));

    const q = harness({}, { snapshot: afterReview });
    q.send({ type: 'RESTORED', at: q.at() });
    q.clock.increment(STALE * 2);
    await q.settle();
    expect(q.status()).toBe('review');
    expect(q.reports).toEqual([]);
    expect(q.execs).toEqual([]);
    q.send({ type: 'APPROVE', at: q.at() });
    expect(q.status()).toBe('done');
  });

  it('re-arms the reject cooldown and the retry backoff after a restore', async () => {
    const h = harness({ retryBaseMs: 10_000 });
    await h.runAndStart();
    h.last().send({ type: 'EXEC.FAILED', at: h.at(), reason: 'ECONNRESET', transient: true });
    h.clock.increment(4_000);
    const persisted = JSON.parse(JSON.stringify(h.actor.getPersistedSnapshot())) as unknown;
    h.actor.stop();
    const clock = new SimulatedClock();
    clock.set(T0 + 4_000);
    const r = harness({}, { snapshot: persisted, clock });
    r.send({ type: 'RESTORED', at: r.at() });
    r.clock.increment(5_999);
    expect(r.execs).toHaveLength(0);
    r.clock.increment(1);
    expect(r.execs).toHaveLength(1);
    expect(r.last().input.attempt).toBe(2);
  });

  it('routes a spawned task by its hub status: doing reruns once without a PATCH, review waits', async () => {
    const h = harness({ status: 'doing' });
    await h.until((s) => s.matches({ doing: { run: 'running' } }));
    expect(h.statuses).toEqual([]);
    expect(h.execs).toHaveLength(1);
    const r = harness({ status: 'review' });
    expect(r.status()).toBe('review');
    expect(r.execs).toEqual([]);
  });

  it('keeps a JSON-serialisable, small context', async () => {
    const h = harness();
    await h.runAndStart();
    const ctx = h.actor.getSnapshot().context;
    expect(JSON.parse(JSON.stringify(ctx))).toEqual(ctx);
    expect(JSON.stringify(h.actor.getPersistedSnapshot()).length).toBeLessThan(4_000);
  });

  it('only moves between statuses that the shared transition guard allows', () => {
    const statusOf = (node: AnyStateNode): TaskStatus | undefined => {
      let n: AnyStateNode | undefined = node;
      while (n && n.parent && n.parent.parent) n = n.parent;
      return n && (TASK_STATUSES as readonly string[]).includes(n.key) ? (n.key as TaskStatus) : undefined;
    };
    const moves: string[] = [];
    const visit = (node: AnyStateNode) => {
      const from = statusOf(node);
      const transitions = [...node.transitions.values()].flat().concat(node.always ?? []);
      for (const t of transitions) {
        for (const target of t.target ?? []) {
          const to = statusOf(target);
          if (from && to && from !== to) {
            moves.push(`${from}→${to}`);
            expect(canTransition(from, to), `${node.id} → ${target.id}`).toBe(true);
          }
        }
      }
      for (const child of Object.values(node.states)) visit(child);
    };
    visit(taskMachine.root);
    expect(new Set(moves)).toEqual(
      new Set(['todo→doing', 'todo→cancelled', 'doing→review', 'doing→blocked', 'doing→cancelled', 'review→done', 'review→doing', 'review→cancelled', 'blocked→doing', 'blocked→cancelled', 'done→doing']),
    );
  });
});
