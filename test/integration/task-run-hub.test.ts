/**
 * A task machine with the real `command` executor and the real report/setStatus bodies, against
 * the real hub: another agent creates and dispatches a task here; it runs, the result lands in the
 * task topic and the task in `review`; reject reruns with the comment; approve → done; a failing
 * command blocks the task with its reason; a repeated report publishes once.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import { taskMachine, type NotifyInput, type ReportInput, type SetStatusInput, type TaskSnapshot } from '../../machines/task.machine.js';
import { executeActor } from '../../src/executor/actor.js';
import { commandExecutor } from '../../src/executor/command.js';
import { ConcurrencyLimiter } from '../../src/executor/limiter.js';
import { RESULT_TAG, memoryLedger, reportResult, setTaskStatus, type ReportDeps } from '../../src/executor/report.js';
import type { WttApi } from '../../src/client/api.js';
import { Task } from '../../src/protocol/index.js';
import { agentApi, hubFor, useCleanups } from '../helpers/client.js';
import { registerAgent } from '../helpers/hub.js';

const SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'task-command.mjs');

describe('task run against the hub (command executor)', () => {
  const onCleanup = useCleanups();

  async function setup(mode = 'echo') {
    const h = await hubFor(onCleanup);
    const alice = await registerAgent(h.url, 'alice');
    const bob = await registerAgent(h.url, 'bob');
    const aliceApi = agentApi(h.url, alice);
    const bobApi = agentApi(h.url, bob);
    const ledger = memoryLedger();
    const deps: ReportDeps = { api: bobApi, ledger };
    const notices: NotifyInput[] = [];
    const machine = taskMachine.provide({
      actors: {
        execute: executeActor({ executor: commandExecutor({ argv: [process.execPath, SCRIPT, mode] }), limiter: new ConcurrencyLimiter(2), now: Date.now }),
        report: fromPromise<void, ReportInput>(({ input, signal }) => reportResult(deps, input, signal)),
        setStatus: fromPromise<void, SetStatusInput>(({ input, signal }) => setTaskStatus(deps, input, signal)),
        notify: fromPromise<void, NotifyInput>(async ({ input }) => void notices.push(input)),
      },
    });
    /** What the router will do: spawn the actor from the REAL task record, as its runner. */
    const spawnFor = async (taskId: string) => {
      const t = Task.parse(await bobApi.getTask(taskId));
      expect(t.runner_agent_id).toBe(bob.agent_id);
      const actor = createActor(machine, {
        input: { task: t, agentId: bob.agent_id, status: t.status as 'doing', at: Date.now(), maxRuntimeMs: 60_000, staleTimeoutMs: 60_000, rejectCooldownMs: 0 },
      });
      actor.start();
      onCleanup(() => void actor.stop());
      return actor;
    };
    const until = (actor: ReturnType<typeof createActor<typeof machine>>, pred: (s: TaskSnapshot) => boolean) => waitFor(actor, pred, { timeout: 10_000 });
    return { h, alice, bob, aliceApi, bobApi, ledger, deps, notices, spawnFor, until };
  }

  const summaries = async (api: WttApi, topicId: string) =>
    (await api.topicMessages(topicId, { limit: 100 })).filter((m) => (m.content ?? '').startsWith(RESULT_TAG)).map((m) => m.content);

  it('runs a task another agent dispatched here: result in the topic, review; reject reruns with the comment; approve → done', async () => {
    const { aliceApi, bobApi, bob, spawnFor, until, notices } = await setup();
    const created = await aliceApi.createTask({ title: 'Summarise the logs', description: 'last 24 h', runner_agent_id: bob.agent_id });
    await aliceApi.runTask(created.id, { runner_agent_id: bob.agent_id });
    const actor = await spawnFor(created.id);
    await until(actor, (s) => s.matches('review'));

    const t1 = await bobApi.getTask(created.id);
    expect(t1.status).toBe('review');
    expect(t1.output).toBe(`done: Summarise the logs [task:${created.id}:run:1 #1]`);
    expect(await summaries(aliceApi, created.topic_id as string)).toEqual([`${RESULT_TAG} task_id=${created.id} run=task:${created.id}:run:1\n${t1.output}`]);

    await aliceApi.reviewTask(created.id, { action: 'reject', comment: 'add the error counts' });
    actor.send({ type: 'REJECT', at: Date.now(), by: 'alice', comment: 'add the error counts' });
    await until(actor, (s) => s.matches('review') && s.context.run === 2);
    const t2 = await bobApi.getTask(created.id);
    expect(t2.status).toBe('review');
    expect(t2.output).toBe(`done: Summarise the logs [task:${created.id}:run:2 #1] +alice:add the error counts`);
    expect(await summaries(aliceApi, created.topic_id as string)).toHaveLength(2);

    await aliceApi.reviewTask(created.id, { action: 'approve' });
    actor.send({ type: 'APPROVE', at: Date.now() });
    await until(actor, (s) => s.matches('done'));
    expect((await bobApi.getTask(created.id)).status).toBe('done');
    await new Promise((r) => setImmediate(r));
    expect(notices.map((n) => n.kind)).toEqual(['doing', 'review', 'doing', 'review', 'done']);
  });

  it('picks up a todo task, marks it doing itself, and blocks it with the reason when the command fails', async () => {
    const { aliceApi, bobApi, bob, spawnFor, until } = await setup('fail');
    const created = await aliceApi.createTask({ title: 'Impossible', runner_agent_id: bob.agent_id });
    const actor = await spawnFor(created.id);
    actor.send({ type: 'RUN', at: Date.now() });
    await until(actor, (s) => s.matches({ blocked: 'saved' }));
    const t = await bobApi.getTask(created.id);
    expect(t.status).toBe('blocked');
    expect(t.output ?? '').toBe('');
    const msgs = (await aliceApi.topicMessages(created.topic_id as string, { limit: 100 })).map((m) => m.content ?? '');
    expect(msgs.filter((c) => c.startsWith(RESULT_TAG))).toEqual([]);
    const blocked = msgs.filter((c) => c.startsWith('[TASK_BLOCKED]'));
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatch(/exited with 2: cannot handle "Impossible": bad input$/u);
  });

  it('publishes a result once per run key, even when the ledger lost the first publish (crash before it was recorded)', async () => {
    const { aliceApi, bob, bobApi } = await setup();
    const created = await aliceApi.createTask({ title: 'Once', runner_agent_id: bob.agent_id });
    await aliceApi.runTask(created.id, { runner_agent_id: bob.agent_id });
    const input: ReportInput = { task: created, result: 'R', idempotencyKey: `task:${created.id}:run:1` };
    await reportResult({ api: bobApi, ledger: memoryLedger() }, input);
    await reportResult({ api: bobApi, ledger: memoryLedger() }, input);
    expect(await summaries(aliceApi, created.topic_id as string)).toHaveLength(1);
    // a new run is a new key: published again
    await aliceApi.reviewTask(created.id, { action: 'reject', comment: 'again' });
    await reportResult({ api: bobApi, ledger: memoryLedger() }, { ...input, idempotencyKey: `task:${created.id}:run:2` });
    expect(await summaries(aliceApi, created.topic_id as string)).toHaveLength(2);
    expect((await bobApi.getTask(created.id)).status).toBe('review');
  });

  it('cuts output to 50,000 characters', async () => {
    const { aliceApi, bob, bobApi } = await setup();
    const created = await aliceApi.createTask({ title: 'Long', runner_agent_id: bob.agent_id });
    await aliceApi.runTask(created.id, { runner_agent_id: bob.agent_id });
    await reportResult({ api: bobApi, ledger: memoryLedger() }, { task: created, result: 'y'.repeat(60_000), idempotencyKey: `task:${created.id}:run:1` });
    expect((await bobApi.getTask(created.id)).output?.length).toBe(50_000);
  });
});
