/**
 * The original Python skill against the hub in `legacy` auth mode: every REST call of its MCP
 * adapter (wtt-protocol.md §3.2), sent exactly as it sends them — no credentials, the agent named by
 * `agent_id` / `sender_id` / `operator_agent_id` / `created_by` in the query or body — and its
 * WebSocket, which connects without an `auth` frame.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { api, useHub, type StartedHub } from '../helpers/hub.js';

/** The skill's `_request_json`: JSON in, JSON out, no auth headers. */
const skill = (h: StartedHub, method: string, path: string, body?: unknown) =>
  api(h.url, path, { method, ...(body === undefined ? {} : { body }) });

describe('hub legacy mode', () => {
  const fx = useHub([], { authMode: 'legacy' });
  let h: StartedHub;
  let me: string;
  let peer: string;
  let topicId: string;

  beforeEach(async () => {
    h = fx.h;
    const reg = await skill(h, 'POST', '/agents/register', { platform: 'openclaw' });
    expect(reg.status).toBe(200);
    me = reg.body.agent_id;
    peer = (await skill(h, 'POST', '/agents/register', { display_name: 'peer', platform: 'openclaw' })).body.agent_id;
    const created = await skill(h, 'POST', '/topics/', { name: 'python club', description: 'snakes', creator_agent_id: me, type: 'discussion', visibility: 'public', join_method: 'open' });
    expect(created.status).toBe(200);
    topicId = created.body.id;
  });

  it('serves the topic, message, poll, p2p and blacklist calls of the skill when they carry no credentials', async () => {
    expect((await skill(h, 'POST', '/agents/claim-code', { agent_id: me })).body.code).toMatch(/^WTT-CLAIM-[A-Z0-9]{8}$/);
    expect((await skill(h, 'GET', '/topics/')).body.map((t: { id: string }) => t.id)).toEqual([topicId]);
    expect((await skill(h, 'GET', '/topics/search?query=snake')).body.map((t: { id: string }) => t.id)).toEqual([topicId]);
    expect((await skill(h, 'GET', `/topics/${topicId}`)).body).toMatchObject({ id: topicId, type: 'discussion' });

    const join = await skill(h, 'POST', `/topics/${topicId}/join?agent_id=${peer}`);
    expect(join.body).toMatchObject({ message: 'Joined successfully' });
    const subs = await skill(h, 'GET', `/topics/subscribed?agent_id=${peer}&limit=100`);
    expect(subs.body).toEqual([expect.objectContaining({ id: topicId, my_role: 'member' })]);

    const pub = await skill(h, 'POST', '/messages/', { topic_id: topicId, sender_id: me, sender_type: 'agent', source: 'topic', content_type: 'text', semantic_type: 'post', content: 'hello peer' });
    expect(pub.status).toBe(200);
    expect(pub.body.sender_id).toBe(me);
    const history = await skill(h, 'GET', `/topics/${topicId}/messages?limit=100&offset=0&agent_id=${peer}`);
    expect(history.body.map((m: { content: string }) => m.content)).toEqual(['hello peer']);
    const poll = await skill(h, 'GET', `/messages/poll/${peer}`);
    expect(poll.body).toMatchObject({ messages: [expect.objectContaining({ content: 'hello peer' })], topics: [expect.objectContaining({ id: topicId })] });

    // The skill sends both target keys; its handler sends target_id alone.
    const both = await skill(h, 'POST', `/messages/p2p?sender_id=${peer}`, { target_agent_id: me, target_id: me, content: 'dm 1', content_type: 'text', semantic_type: 'post' });
    const targetIdOnly = await skill(h, 'POST', `/messages/p2p?sender_id=${peer}`, { target_id: me, content: 'dm 2', content_type: 'text', semantic_type: 'post' });
    expect([both.status, targetIdOnly.status]).toEqual([200, 200]);
    expect(targetIdOnly.body).toMatchObject({ sender_id: peer, topic_id: both.body.topic_id, topic_type: 'p2p' });
    expect((await skill(h, 'GET', `/messages/poll/${me}`)).body.messages.map((m: { content: string }) => m.content)).toEqual(['hello peer', 'dm 1', 'dm 2']);

    const bl = await skill(h, 'POST', `/topics/${topicId}/blacklist?operator_agent_id=${me}`, { target_agent_id: peer, mode: 'permanent' });
    expect(bl.status).toBe(200);
    expect((await skill(h, 'GET', `/topics/${topicId}/blacklist?operator_agent_id=${me}`)).body.map((e: { agent_id: string }) => e.agent_id)).toEqual([peer]);
    expect((await skill(h, 'POST', '/messages/', { topic_id: topicId, sender_id: peer, content: 'still here?' })).status).toBe(403);
    expect((await skill(h, 'DELETE', `/topics/${topicId}/blacklist/${peer}?operator_agent_id=${me}`)).status).toBe(200);
    expect((await skill(h, 'POST', `/topics/${topicId}/join?agent_id=${peer}`)).status).toBe(200);
    expect((await skill(h, 'POST', `/topics/${topicId}/leave?agent_id=${peer}`)).body).toMatchObject({ message: 'Left successfully' });

    // DELETE /topics/{id}?agent_id= stays owner-only when the owner is only named.
    const byPeer = await skill(h, 'DELETE', `/topics/${topicId}?agent_id=${peer}`);
    expect(byPeer.status).toBe(403);
    expect(byPeer.body.detail).toMatch(/only the owner/);
    expect((await skill(h, 'DELETE', `/topics/${topicId}?agent_id=${me}`)).status).toBe(200);
    expect((await skill(h, 'GET', `/topics/${topicId}`)).status).toBe(404);
  });

  it('serves the skill\'s task and pipeline calls, including Python\'s delete_topic=True', async () => {
    const task = await skill(h, 'POST', '/tasks', { title: 'Write notes', created_by: me, description: 'from chat', priority: 'P2', estimate_hours: '1.5' });
    expect(task.status).toBe(200);
    expect(task.body).toMatchObject({ owner_agent_id: me, runner_agent_id: me, estimate_hours: 1.5, status: 'todo' });
    const id = task.body.id as string;
    expect((await skill(h, 'GET', '/tasks?limit=100')).body.map((t: { id: string }) => t.id)).toEqual([id]);
    expect((await skill(h, 'POST', `/tasks/${id}/assign?agent_id=${peer}`)).body.runner_agent_id).toBe(peer);
    expect((await skill(h, 'POST', `/tasks/${id}/run`, { trigger_agent_id: me, note: '' })).body.status).toBe('doing');
    expect((await skill(h, 'PATCH', `/tasks/${id}`, { status: 'review', output: 'notes written' })).body.status).toBe('review');
    expect((await skill(h, 'POST', `/tasks/${id}/review`, { action: 'approve', comment: '', reviewer: '' })).body.status).toBe('done');

    const next = (await skill(h, 'POST', '/tasks', { title: 'Follow up', created_by: me })).body.id as string;
    expect((await skill(h, 'POST', `/tasks/${next}/dependencies`, { depends_on_task_id: id, mode: 'finish_to_start', required: true })).status).toBe(200);
    expect((await skill(h, 'GET', '/tasks/graph?limit=300')).body.edges).toEqual([expect.objectContaining({ task_id: next, depends_on_task_id: id })]);
    expect((await skill(h, 'GET', '/tasks/progress')).body).toEqual({ [id]: 100, [next]: 0 });
    expect((await skill(h, 'DELETE', `/tasks/${next}/dependencies/${id}`)).status).toBe(200);

    const pipe = await skill(h, 'POST', '/tasks/pipelines', { name: 'weekly', description: '', auto_review: false });
    expect(pipe.status).toBe(200);
    expect((await skill(h, 'PATCH', `/tasks/pipelines/${pipe.body.id}`, { auto_review: true })).body.auto_review).toBe(true);
    expect((await skill(h, 'POST', '/tasks/pipeline/execute', { trigger_agent_id: '', note: '' })).body).toMatchObject({ count: 1 });
    expect((await skill(h, 'DELETE', `/tasks/pipelines/${pipe.body.id}`)).status).toBe(200);

    const deleted = await skill(h, 'DELETE', `/tasks/${next}?delete_topic=True&agent_id=${me}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ deleted_topic: true });
    const bad = await skill(h, 'DELETE', `/tasks/${id}?delete_topic=perhaps`);
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toMatch(/delete_topic: expected true or false/);
  });

  it('serves memory, export, talk and rich calls, keeping anonymous memory in one shared directory', async () => {
    await skill(h, 'POST', '/messages/', { topic_id: topicId, sender_id: me, content: 'remember this' });
    const exported = await skill(h, 'POST', '/memory/recall/export', { topic_id: topicId, mode: 'timeline', limit: 200 });
    expect(exported.status).toBe(200);
    expect(exported.body).toMatchObject({ target_path: 'memory/recall-memory.md', count: 1 });
    const read = await skill(h, 'GET', '/memory/recall/read?target_path=memory/recall-memory.md&tail_lines=200');
    expect(read.body.content).toContain('remember this');
    // A named agent has its own directory, apart from the shared one.
    expect((await skill(h, 'GET', `/memory/recall/read?target_path=memory/recall-memory.md&agent_id=${me}`)).status).toBe(404);
    expect((await skill(h, 'POST', '/memory/recall/export', { topic_id: topicId, target_path: '../escape.md' })).status).toBe(400);

    expect((await skill(h, 'GET', `/export/topic/${topicId}?format=md&limit=2000`)).body.content).toContain('remember this');
    const talk = await skill(h, 'POST', '/talk/random', { agent_id: peer, text: 'any python fans?', limit: 5, auto_subscribe: true, auto_publish: true });
    expect(talk.body).toMatchObject({ published: true, subscribed: [topicId] });
    const rich = await skill(h, 'POST', '/rich/publish', { topic_id: topicId, agent_id: me, title: 'Weekly', blocks: [{ type: 'markdown', content: '- item' }], ai_refine: false });
    expect(rich.body).toMatchObject({ sender_id: me, content: '# Weekly\n\n- item' });
  });

  it('lets delegated publishing work by naming the manager, but still wants the target\'s token to grant it', async () => {
    const refused = await skill(h, 'POST', '/manager/delegations', { manager_agent_id: me, target_agent_id: peer, can_publish: true, can_p2p: true });
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toMatch(/target agent's own token/);
    const peerToken = (await skill(h, 'POST', '/agents/register', { platform: 'openclaw' })).body;
    const granted = await api(h.url, '/manager/delegations', { body: { manager_agent_id: me, target_agent_id: peerToken.agent_id }, token: peerToken.agent_token });
    expect(granted.status).toBe(200);
    expect((await skill(h, 'GET', `/manager/delegations?manager_agent_id=${me}`)).body).toEqual([expect.objectContaining({ target_agent_id: peerToken.agent_id })]);
    await skill(h, 'POST', `/topics/${topicId}/join?agent_id=${peerToken.agent_id}`);
    const asPeer = await skill(h, 'POST', '/manager/publish-as', { manager_agent_id: me, target_agent_id: peerToken.agent_id, topic_id: topicId, content: 'on behalf', content_type: 'text', semantic_type: 'post' });
    expect(asPeer.body).toMatchObject({ sender_id: peerToken.agent_id, delegated_by: me });
    expect((await skill(h, 'DELETE', `/manager/delegations?manager_agent_id=${me}&target_agent_id=${peerToken.agent_id}`)).status).toBe(200);
  });

  it('answers the skill\'s WebSocket actions without an auth frame and pushes to it', async () => {
    const ws = await fx.ws({ agent_id: me, agent_token: '' }, { auth: false });
    const created = await ws.request({ action: 'create', name: 'ws made', description: '', creator_agent_id: me, type: 'discussion', visibility: 'public', join_method: 'open' });
    expect(created.ok).toBe(true);
    expect((await ws.request({ action: 'subscribed', agent_id: me })).ok).toBe(true);
    const pub = await ws.request({ action: 'publish', topic_id: topicId, content: 'over ws', sender_id: me });
    expect(pub.ok).toBe(true);
    await ws.waitFor((f) => f.type === 'new_message' && (f.message as { content: string }).content === 'over ws');
    const dm = await ws.request({ action: 'p2p', sender_id: me, target_id: peer, content: 'ws dm' });
    expect(dm).toMatchObject({ ok: true, data: { sender_id: me, content: 'ws dm' } });
    expect((await ws.request({ action: 'poll', agent_id: me })).ok).toBe(true);
    const spoof = await ws.request({ action: 'publish', topic_id: topicId, content: 'x', sender_id: peer });
    expect(spoof.ok).toBe(false);
  });
});

describe('hub legacy mode url preview', () => {
  const fx = useHub([], { authMode: 'legacy', limits: { previewAllow: ['127.0.0.1'] } });
  let site: Server;
  let siteUrl: string;
  beforeEach(async () => {
    site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><head><title>Local page</title></head></html>');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  });
  afterEach(async () => {
    site.closeAllConnections();
    await new Promise<void>((resolve) => site.close(() => resolve()));
  });

  it('previews a url for the skill, which names no agent in that call', async () => {
    const r = await skill(fx.h, 'POST', '/preview/url', { url: siteUrl });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ title: 'Local page' });
  });
});

describe('hub body-less posts', () => {
  const fx = useHub(['alice', 'bob']);

  it('treats an empty body sent as application/json as no body when the call needs none', async () => {
    const [alice, bob] = fx.agents;
    const t = (await api(fx.h.url, '/topics/', { body: { name: 'open door' }, token: alice.agent_token })).body.id as string;
    const join = await api(fx.h.url, `/topics/${t}/join`, { method: 'POST', token: bob.agent_token, headers: { 'content-type': 'application/json' } });
    expect(join.status).toBe(200);
    expect(join.body.message).toBe('Joined successfully');
    const blank = await api(fx.h.url, '/agents/register', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '  ' });
    expect(blank.status).toBe(200);
    const needsBody = await api(fx.h.url, '/topics/', { method: 'POST', token: alice.agent_token, headers: { 'content-type': 'application/json' } });
    expect(needsBody.status).toBe(422);
    expect(needsBody.body.detail).toMatch(/name/);
  });
});
