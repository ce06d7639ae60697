/**
 * A task dispatched here runs on the user's OpenClaw agent (`WTT_EXECUTOR=openclaw`) through a fake
 * gateway's session tools (test/fakes/gateway.ts), inside the real runtime against the real hub:
 * the result lands in the task topic and the task in review; a reject sends the comment to the same
 * session with sessions_send; a gateway without the session tools blocks the task with the fix.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { RESULT_TAG } from '../../src/executor/report.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime/system.js';
import { startFakeGateway, type FakeGateway, type FakeSessionsOptions } from '../fakes/gateway.js';
import { agentApi, until } from '../helpers/client.js';
import { registerAgent, startHub, type RegisteredAgent, type StartedHub } from '../helpers/hub.js';

const TOKEN = 'gw-openclaw-exec-token-42';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function world(sessions?: FakeSessionsOptions) {
  const h: StartedHub = await startHub({ rateLimit: false });
  cleanups.push(() => h.close());
  const gw: FakeGateway = await startFakeGateway({ token: TOKEN, ...(sessions ? { sessions } : {}) });
  cleanups.push(() => gw.close());
  const alice = await registerAgent(h.url, 'alice');
  const bob = await registerAgent(h.url, 'bob');
  const dir = mkdtempSync(join(tmpdir(), 'wtt-tasks-openclaw-'));
  const env = {
    HOME: dir,
    WTT_SKILL_DIR: dir,
    WTT_LOG_LEVEL: 'silent',
    WTT_API_URL: h.url,
    WTT_AGENT_ID: bob.agent_id,
    WTT_AGENT_TOKEN: bob.agent_token,
    WTT_EXECUTOR: 'openclaw',
    WTT_REJECT_RERUN_COOLDOWN: '0',
    WTT_IM_CHANNEL: 'telegram',
    WTT_IM_TARGET: '555001',
    OPENCLAW_GATEWAY_URL: gw.url,
    OPENCLAW_GATEWAY_TOKEN: TOKEN,
    OPENCLAW_BIN: join(dir, 'no-openclaw-here'),
  };
  const reload = () => loadConfig({ env });
  const runtime: Runtime = createRuntime({ config: reload(), reloadConfig: reload, log: createLogger({ level: 'silent' }), control: false });
  cleanups.push(() => runtime.stop());
  runtime.start();
  await until(() => runtime.status().connection.state === 'live', 10_000, 'live');
  await runtime.tasks?.recovered;
  return { h, gw, alice, bob, runtime, aliceApi: agentApi(h.url, alice) };
}

const dispatch = async (w: Awaited<ReturnType<typeof world>>, bob: RegisteredAgent, title: string) => {
  const t = await w.aliceApi.createTask({ title, runner_agent_id: bob.agent_id });
  await w.aliceApi.runTask(t.id, { runner_agent_id: bob.agent_id });
  return t;
};

describe('tasks on the OpenClaw agent (WTT_EXECUTOR=openclaw)', () => {
  it('runs a dispatched task through sessions_spawn, and a reject through sessions_send to the same session', async () => {
    const w = await world({ reply: (p) => (p.includes('with sources') ? 'answer with sources' : 'first answer'), stepMs: 50 });
    const t = await dispatch(w, w.bob, 'Find the outage cause');
    await until(async () => (await w.aliceApi.getTask(t.id)).status === 'review', 20_000, 'the task in review');
    expect((await w.aliceApi.getTask(t.id)).output).toBe('first answer');
    const spawn = w.gw.calls.filter((c) => c.body.tool === 'sessions_spawn');
    expect(spawn).toHaveLength(1);
    // Another agent's task text reaches the agent as data, with its provenance.
    expect(String((spawn[0]?.body.args as { task?: unknown }).task)).toContain('Find the outage cause');

    await w.aliceApi.reviewTask(t.id, { action: 'reject', comment: 'with sources please' });
    await until(async () => (await w.aliceApi.getTask(t.id)).output === 'answer with sources', 20_000, 'the rerun in the same session');
    const send = w.gw.calls.filter((c) => c.body.tool === 'sessions_send');
    expect(send).toHaveLength(1);
    expect(send[0]?.body.args).toMatchObject({ sessionKey: 'agent:main:subagent:1' });
    expect(w.gw.calls.filter((c) => c.body.tool === 'sessions_spawn')).toHaveLength(1);
    const results = (await w.aliceApi.topicMessages(t.topic_id as string, { limit: 100 })).filter((m) => (m.content ?? '').startsWith(RESULT_TAG));
    expect(results).toHaveLength(2);
  });

  it('blocks the task with the exact gateway.tools.allow fix when the gateway does not allow the session tools', async () => {
    const w = await world();
    const t = await dispatch(w, w.bob, 'Needs the agent');
    await until(async () => (await w.aliceApi.getTask(t.id)).status === 'blocked', 20_000, 'the task blocked');
    const messages = (await w.aliceApi.topicMessages(t.topic_id as string, { limit: 100 })).map((m) => m.content ?? '');
    expect(messages.some((m) => m.includes('"sessions_spawn", "sessions_send", "sessions_history", "sessions_list" to gateway.tools.allow'))).toBe(true);
    // Never published as if it were the result.
    expect(messages.some((m) => m.startsWith(RESULT_TAG))).toBe(false);
  });

  it('keeps one status message per task in the chat, edited in place, with Approve/Reject while it waits for this user’s review', async () => {
    const w = await world({ reply: () => 'the answer', stepMs: 80 });
    const bobApi = agentApi(w.h.url, w.bob);
    // A task this agent owns and runs (the user reviews it from the chat).
    const t = await bobApi.createTask({ title: 'Draft the notes', runner_agent_id: w.bob.agent_id });
    await bobApi.runTask(t.id, { runner_agent_id: w.bob.agent_id });
    const statusMessages = () => [...w.gw.messages.values()].filter((m) => m.text.includes('Task "Draft the notes"'));
    await until(() => statusMessages().some((m) => m.text.includes('waits for review') && m.buttons !== undefined), 20_000, () => `the review status with buttons (chat: ${JSON.stringify([...w.gw.messages.values()])})`);
    expect(statusMessages()).toHaveLength(1);
    const status = statusMessages()[0]!;
    expect(status.edits).toBeGreaterThanOrEqual(1);
    expect(status.text).toMatch(/since the run started/);
    expect(status.buttons).toEqual([{ type: 'buttons', buttons: [{ label: '✅ Approve', value: `wtt:approve:${t.id}` }, { label: '↩ Reject', value: `wtt:reject:${t.id}` }] }]);
    // The result arrives as its own message.
    await until(() => [...w.gw.messages.values()].some((m) => m.text.startsWith('📄 Result of "Draft the notes":\nthe answer')), 10_000, 'the result message');

    await bobApi.reviewTask(t.id, { action: 'approve' });
    await until(() => statusMessages()[0]?.text.includes('is done') === true, 15_000, 'the status edited to done');
    expect(statusMessages()).toHaveLength(1);
    expect(w.gw.calls.filter((c) => (c.body.args as { action?: string } | undefined)?.action === 'edit').length).toBeGreaterThanOrEqual(2);
  });
});
