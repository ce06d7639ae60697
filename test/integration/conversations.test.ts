/**
 * Conversations (WTT_AUTO_REPLY) through the real runtime and hub, answered by the `command`
 * executor: an @-mention from another agent is answered once, into its topic; broadcast topics,
 * messages without a mention and the agent's own messages are ignored; two agents that mention
 * each other stop at the guard's limit (2 replies to agents per topic) until a human speaks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime, type Runtime } from '../../src/runtime/system.js';
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

function start(h: StartedHub, agent: RegisteredAgent, mode: string, minGapMs?: number): Runtime {
  const dir = mkdtempSync(join(tmpdir(), 'wtt-conv-'));
  const env = {
    HOME: dir,
    WTT_SKILL_DIR: dir,
    WTT_LOG_LEVEL: 'silent',
    WTT_API_URL: h.url,
    WTT_AGENT_ID: agent.agent_id,
    WTT_AGENT_TOKEN: agent.agent_token,
    WTT_EXECUTOR: 'command',
    WTT_EXECUTOR_COMMAND: JSON.stringify([process.execPath, SCRIPT, mode]),
    WTT_AUTO_REPLY: 'on',
    WTT_IM_CHANNEL: 'file',
    WTT_IM_TARGET: join(dir, 'chat.log'),
  };
  const reload = () => loadConfig({ env });
  const runtime = createRuntime({ config: reload(), reloadConfig: reload, log: createLogger({ level: 'silent' }), control: false, ...(minGapMs === undefined ? {} : { autoReply: { minGapMs } }) });
  cleanups.push(() => runtime.stop());
  runtime.start();
  return runtime;
}

const live = (r: Runtime) => until(() => r.status().connection.state === 'live', 10_000, 'the link live');
const history = async (api: WttApi, topicId: string) => api.topicMessages(topicId, { limit: 200 });
/** Every message of the topic reached the runtime and its conversations handled them all. */
async function settled(r: Runtime, api: WttApi, topicId: string): Promise<void> {
  const ids = (await history(api, topicId)).map((m) => m.id);
  await until(() => ids.every((id) => r.store.hasSeen(id)), 10_000, 'every message seen');
  await r.conversations?.idle();
}

describe('conversations (auto-reply)', () => {
  it('answers an @-mention from another agent once; ignores broadcast, no mention and its own messages', async () => {
    const h = await hub();
    const carol = await registerAgent(h.url, 'carol');
    const bob = await registerAgent(h.url, 'bob');
    const carolApi = agentApi(h.url, carol);
    const bobApi = agentApi(h.url, bob);
    const runtime = start(h, bob, 'echo');
    await live(runtime);
    const talk = await carolApi.createTopic({ name: 'talk', description: 'x', type: 'discussion', visibility: 'public', join_method: 'open' });
    const news = await carolApi.createTopic({ name: 'news', description: 'x', type: 'broadcast', visibility: 'public', join_method: 'open' });
    await bobApi.joinTopic(talk.id);
    await bobApi.joinTopic(news.id);

    const ask = await carolApi.publishToTopic(talk.id, { content: `@${bob.agent_id} what changed today?` });
    await until(async () => (await history(carolApi, talk.id)).some((m) => m.sender_id === bob.agent_id), 15_000, 'the reply');
    await carolApi.publishToTopic(talk.id, { content: 'no mention here' });
    await bobApi.publishToTopic(talk.id, { content: `@${bob.agent_id} a note to myself` });
    await carolApi.publishToTopic(news.id, { content: `@${bob.agent_id} broadcast news` });
    await settled(runtime, carolApi, talk.id);
    await settled(runtime, carolApi, news.id);

    const replies = (await history(carolApi, talk.id)).filter((m) => m.sender_id === bob.agent_id && m.reply_to);
    expect(replies.map((m) => [m.content, m.reply_to])).toEqual([[`done: Reply to ${carol.agent_id} in talk [reply:${ask.id} #1]`, ask.id]]);
    expect(replies[0]?.metadata).toMatchObject({ wtt_hops: 1, wtt_auto_reply: true });
    expect((await history(carolApi, news.id)).filter((m) => m.sender_id === bob.agent_id)).toEqual([]);
    expect(runtime.conversations?.replies).toBe(1);
  });

  it('two agents that mention each other stop at the guard limit (2 replies to agents per topic) until a human speaks', async () => {
    const h = await hub();
    const alice = await registerAgent(h.url, 'alice');
    const bob = await registerAgent(h.url, 'bob');
    const aliceApi = agentApi(h.url, alice);
    const bobApi = agentApi(h.url, bob);
    // The 15 s spacing is shortened so the lock, not the rate, is what stops them.
    const ra = start(h, alice, 'mention', 0);
    const rb = start(h, bob, 'mention', 0);
    await live(ra);
    await live(rb);
    const topic = await aliceApi.createTopic({ name: 'pingpong', description: 'x', type: 'discussion', visibility: 'public', join_method: 'open' });
    await bobApi.joinTopic(topic.id);

    await aliceApi.publishToTopic(topic.id, { content: `@${bob.agent_id} ping` });
    const replies = async () => (await history(aliceApi, topic.id)).filter((m) => (m.metadata as { wtt_auto_reply?: boolean } | null)?.wtt_auto_reply === true);
    await until(async () => (await replies()).length >= 4, 20_000, 'four replies');
    for (const r of [ra, rb, ra, rb]) await settled(r, aliceApi, topic.id);
    const all = await replies();
    expect(all.map((m) => m.sender_id)).toEqual([bob.agent_id, alice.agent_id, bob.agent_id, alice.agent_id]);
    expect(all.every((m) => m.content.startsWith('@'))).toBe(true);
    expect([ra.conversations?.replies, rb.conversations?.replies]).toEqual([2, 2]);

    // A human speaking unlocks the topic: the next mention is answered again.
    await aliceApi.publishToTopic(topic.id, { content: 'ok you two, once more', sender_type: 'human' });
    await aliceApi.publishToTopic(topic.id, { content: `@${bob.agent_id} one more time` });
    await until(async () => (await replies()).length >= 5, 20_000, 'a reply after the human');
    expect((await replies())[4]?.sender_id).toBe(bob.agent_id);
  });
});
