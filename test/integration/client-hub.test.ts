/**
 * WttApi and WttSocket against the REAL hub on 127.0.0.1: the typed calls parse what the hub sends.
 */
import { describe, expect, it } from 'vitest';
import { WttSocket } from '../../src/client/socket.js';
import { registerAgent, type StartedHub } from '../helpers/hub.js';
import { agentApi, caught, hubFor, useCleanups } from '../helpers/client.js';

const onCleanup = useCleanups();
const hub = () => hubFor(onCleanup);

function socket(h: StartedHub, agentId: string, token?: string, timeoutMs?: number): WttSocket {
  const s = new WttSocket({ url: `${h.wsUrl}/${agentId}`, token, timeoutMs });
  onCleanup(() => s.terminate());
  return s;
}

describe('WttApi against the hub', () => {
  it('runs the topic, message and p2p calls and parses every answer when both agents use it', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const b = await registerAgent(h.url, 'bob');
    const alice = agentApi(h.url, a);
    const bob = agentApi(h.url, b);

    expect((await alice.health()).features).toContain('history_after');
    const t = await alice.createTopic({ name: 'garden club', description: 'plants' });
    expect(t).toMatchObject({ name: 'garden club', creator_agent_id: a.agent_id });
    expect((await bob.listTopics()).map((x) => x.id)).toContain(t.id);
    expect((await bob.findTopics('garden')).map((x) => x.id)).toEqual([t.id]);
    await bob.joinTopic(t.id);
    expect((await bob.subscribedTopics()).map((x) => x.id)).toEqual([t.id]);
    expect((await alice.topicMembers(t.id)).map((m) => m.agent_id).sort()).toEqual([a.agent_id, b.agent_id].sort());
    expect((await alice.getTopic(t.id)).id).toBe(t.id);

    const m1 = await alice.publish({ topic_id: t.id, content: 'first' });
    const m2 = await bob.publishToTopic(t.id, { content: 'second' });
    expect(m1.sender_id).toBe(a.agent_id);
    expect(m2.sender_id).toBe(b.agent_id);
    expect((await bob.topicMessages(t.id, { limit: 10 })).map((m) => m.content)).toEqual(['first', 'second']);
    expect((await bob.topicMessages(t.id, { after: m1.id })).map((m) => m.id)).toEqual([m2.id]);
    expect((await bob.topicMessages(t.id, { before: m2.id })).map((m) => m.id)).toEqual([m1.id]);
    expect((await caught(bob.topicMessages(t.id, { after: 'no-such-id' }))).code).toBe('WTT_ERR_NOT_FOUND');

    const dm = await alice.p2p({ target_agent_id: b.agent_id, content: 'psst' });
    const polled = await bob.poll({ limit: 50 });
    expect(polled.messages.map((m) => m.id)).toEqual(expect.arrayContaining([m1.id, dm.id]));
    expect((await bob.poll()).messages).toEqual([]);
    expect((await bob.feed({ limit: 10 })).length).toBeGreaterThan(0);
    expect((await bob.p2pInbox()).map((c) => c.peer_agent_id)).toContain(a.agent_id);

    await bob.leaveTopic(t.id);
    expect(await bob.subscribedTopics()).toHaveLength(1);
    await alice.deleteTopic(t.id);
    expect((await caught(alice.getTopic(t.id))).code).toBe('WTT_ERR_NOT_FOUND');
  });

  it('runs the task and pipeline calls and parses every answer when the tasks area is present', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const api = agentApi(h.url, a);
    const p = await api.createPipeline({ name: 'flow' });
    const t1 = await api.createTask({ title: 'first', pipeline_id: p.id, runner_agent_id: a.agent_id, owner_agent_id: a.agent_id });
    const t2 = await api.createTask({ title: 'second', pipeline_id: p.id });
    expect(t1.topic_id).toBeTruthy();
    await api.addDependency(t2.id, { depends_on_task_id: t1.id });
    const g = await api.taskGraph({ pipeline_id: p.id });
    expect(g.edges).toEqual([expect.objectContaining({ task_id: t2.id, depends_on_task_id: t1.id })]);
    expect((await api.runTask(t1.id)).status).toBe('doing');
    expect((await api.updateTask(t1.id, { status: 'review', output: 'done it' })).status).toBe('review');
    expect((await api.reviewTask(t1.id, { action: 'approve' })).status).toBe('done');
    expect((await api.getTask(t1.id)).status).toBe('done');
    expect((await api.listTasks({ pipeline_id: p.id })).map((t) => t.id).sort()).toEqual([t1.id, t2.id].sort());
    expect(typeof (await api.taskProgress())).toBe('object');
    expect((await api.listPipelines()).map((x) => x.id)).toContain(p.id);
    await api.removeDependency(t2.id, t1.id);
    await api.deleteTask(t2.id);
    expect((await caught(api.getTask(t2.id))).code).toBe('WTT_ERR_NOT_FOUND');
  });
});

describe('WttSocket against the hub', () => {
  it('authenticates first, answers actions by request_id and hears its pong when the token is good', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const s = socket(h, a.agent_id, a.agent_token);
    const auth = await s.open();
    expect(auth.authenticated).toBe(true);
    expect(s.isOpen).toBe(true);
    const [subs, list] = await Promise.all([s.request('subscribed'), s.request('list', { limit: 5 })]);
    expect(Array.isArray(subs)).toBe(true);
    expect(Array.isArray(list)).toBe(true);
    const pong = new Promise<void>((r) => s.once('pong', () => r()));
    expect(s.ping()).toBe(true);
    await pong;
    const refused = await caught(s.request('join', { topic_id: 'no-such-topic' }));
    expect(refused.code).toBe('WTT_ERR_ACTION_FAILED');
    expect(s.isOpen).toBe(true);
  });

  it('rejects open with an auth error when the token is wrong', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const s = socket(h, a.agent_id, 'wrong-token-0123456789');
    const e = await caught(s.open());
    expect(e.code).toBe('WTT_ERR_AUTH_REJECTED');
    expect(e.message).not.toContain('wrong-token-0123456789');
    expect(s.isOpen).toBe(false);
  });

  it('emits new_message frames and a clean close when the hub pushes and then disconnects the agent', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const api = agentApi(h.url, a);
    const t = await api.createTopic({ name: 'echo' });
    const s = socket(h, a.agent_id, a.agent_token);
    await s.open();
    const frame = new Promise<unknown>((r) => s.once('frame', r));
    const m = await api.publish({ topic_id: t.id, content: 'echo me' });
    expect(await frame).toMatchObject({ type: 'new_message', message: { id: m.id, content: 'echo me' } });
    const closed = new Promise<unknown>((r) => s.once('close', r));
    h.hub.disconnectAgent(a.agent_id);
    expect(await closed).toMatchObject({ code: 1000, clean: true });
    expect((await caught(s.request('subscribed'))).code).toBe('WTT_ERR_NOT_CONNECTED');
  });
});
