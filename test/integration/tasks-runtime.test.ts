/**
 * Tasks as actors in the runtime's ONE actor system, against the real hub with the `command`
 * executor (test/fixtures/task-command.mjs): another agent creates and dispatches a task here →
 * it runs, the result lands in the task topic, status review; approve → done (the actor is
 * stopped and removed); reject → rerun with the comment; a three-task pipeline runs to the end;
 * a message that imitates [TASK_RUN] runs nothing; a denied peer cannot dispatch; `task cancel`
 * stops a running execution; every status change is a notice in the outbox.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { askDaemon, controlSocketPath } from '../../src/runtime/control.js';
import { createRuntime, type Runtime } from '../../src/runtime/system.js';
import { RESULT_TAG } from '../../src/executor/report.js';
import type { WttApi } from '../../src/client/api.js';
import { agentApi, until } from '../helpers/client.js';
import { registerAgent, startHub, type RegisteredAgent, type StartedHub } from '../helpers/hub.js';

const SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'task-command.mjs');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hub(): Promise<StartedHub> {
  const h = await startHub({ rateLimit: false });
  cleanups.push(() => h.close());
  return h;
}

function start(h: StartedHub, agent: RegisteredAgent, env: Record<string, string> = {}, mode = 'echo', extra: string[] = []): Runtime {
  const dir = mkdtempSync(join(tmpdir(), 'wtt-tasks-'));
  const full = {
    HOME: dir,
    WTT_SKILL_DIR: dir,
    WTT_LOG_LEVEL: 'silent',
    WTT_API_URL: h.url,
    WTT_AGENT_ID: agent.agent_id,
    WTT_AGENT_TOKEN: agent.agent_token,
    WTT_EXECUTOR: 'command',
    WTT_EXECUTOR_COMMAND: JSON.stringify([process.execPath, SCRIPT, mode, ...extra]),
    WTT_REJECT_RERUN_COOLDOWN: '0',
    // Notices go to a chat file (instead of the console).
    WTT_IM_CHANNEL: 'file',
    WTT_IM_TARGET: join(dir, 'chat.log'),
    ...env,
  };
  const reload = () => loadConfig({ env: full });
  const runtime = createRuntime({ config: reload(), reloadConfig: reload, log: createLogger({ level: 'silent' }) });
  cleanups.push(() => runtime.stop());
  runtime.start();
  return runtime;
}

const live = (r: Runtime) => until(() => r.status().connection.state === 'live', 10_000, 'the link live');

const summaries = async (api: WttApi, topicId: string) =>
  (await api.topicMessages(topicId, { limit: 200 })).map((m) => m.content ?? '').filter((c) => c.startsWith(RESULT_TAG));

async function statusOf(api: WttApi, id: string): Promise<string> {
  return (await api.getTask(id)).status;
}

const chat = (r: Runtime) => {
  try {
    return readFileSync(join(r.report().state_dir, '..', 'chat.log'), 'utf8');
  } catch {
    return '';
  }
};

describe('tasks in the runtime (real hub, command executor)', () => {
  it('runs a task another agent dispatched here: result in the topic, review; reject reruns with the comment; approve → done and the actor is gone', async () => {
    const h = await hub();
    const alice = await registerAgent(h.url, 'alice');
    const bob = await registerAgent(h.url, 'bob');
    const aliceApi = agentApi(h.url, alice);
    const runtime = start(h, bob);
    await live(runtime);

    const t = await aliceApi.createTask({ title: 'Summarise the logs', runner_agent_id: bob.agent_id });
    await aliceApi.runTask(t.id, { runner_agent_id: bob.agent_id });
    await until(async () => (await statusOf(aliceApi, t.id)) === 'review', 15_000, 'the task in review');
    const topic = t.topic_id as string;
    expect(await summaries(aliceApi, topic)).toEqual([`${RESULT_TAG} task_id=${t.id} run=task:${t.id}:run:1\ndone: Summarise the logs [task:${t.id}:run:1 #1]`]);
    expect((await aliceApi.getTask(t.id)).output).toBe(`done: Summarise the logs [task:${t.id}:run:1 #1]`);
    expect(runtime.actor.system.get(`task:${t.id}`)).toBeDefined();

    await aliceApi.reviewTask(t.id, { action: 'reject', comment: 'add the error counts' });
    await until(async () => (await summaries(aliceApi, topic)).length === 2 && (await statusOf(aliceApi, t.id)) === 'review', 15_000, 'the rerun');
    expect((await summaries(aliceApi, topic))[1]).toContain(`done: Summarise the logs [task:${t.id}:run:2 #1] +${alice.agent_id}:add the error counts`);

    await aliceApi.reviewTask(t.id, { action: 'approve' });
    await until(() => runtime.actor.system.get(`task:${t.id}`) === undefined, 10_000, 'the finished actor stopped and removed');
    expect(await statusOf(aliceApi, t.id)).toBe('done');
    expect(await summaries(aliceApi, topic)).toHaveLength(2);
    expect(runtime.store.loadActors()).toEqual([]);
    // Every status change reached the chat as a notice, in order.
    await until(() => chat(runtime).includes('is done'), 10_000, 'the done notice in the chat');
    const said = ['is running (run 1)', 'waits for review', 'is running (run 2)', 'is done'].map((x) => chat(runtime).indexOf(x));
    expect(said.every((i) => i >= 0)).toBe(true);
    expect([...said].sort((a, b) => a - b)).toEqual(said);
  });
});
