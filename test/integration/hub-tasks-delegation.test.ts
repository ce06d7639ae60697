import { beforeEach, describe, expect, it } from 'vitest';
import { Delegation, Message } from '../../src/protocol/index.js';
import { api, useHub, type RegisteredAgent, type StartedHub } from '../helpers/hub.js';

describe('hub tasks delegation', () => {
  const fx = useHub(['manager', 'target', 'stranger']);
  let h: StartedHub;
  let manager: RegisteredAgent;
  let target: RegisteredAgent;
  let stranger: RegisteredAgent;
  let topicId: string;

  beforeEach(async () => {
    h = fx.h;
    [manager, target, stranger] = fx.agents;
    topicId = (await api(h.url, '/topics/', { body: { name: 'target news' }, token: target.agent_token })).body.id;
  });

  const grant = (by: RegisteredAgent | undefined, body: Record<string, unknown>) =>
    api(h.url, '/manager/delegations', { body: { manager_agent_id: manager.agent_id, target_agent_id: target.agent_id, ...body }, ...(by ? { token: by.agent_token } : {}) });
  const publishAs = (by: RegisteredAgent, extra: Record<string, unknown> = {}) =>
    api(h.url, '/manager/publish-as', {
      body: { manager_agent_id: by.agent_id, target_agent_id: target.agent_id, topic_id: topicId, content: 'posted for target', content_type: 'text', semantic_type: 'post', ...extra },
      token: by.agent_token,
    });

  it('refuses publish-as with 403 when the target never granted a delegation', async () => {
    const r = await publishAs(manager);
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe(
      `agent ${manager.agent_id} has no delegation to publish as agent ${target.agent_id}; the target must grant it (POST /manager/delegations with its own token)`,
    );
    const history = (await api(h.url, `/topics/${topicId}/messages`, { token: target.agent_token })).body;
    expect(history).toEqual([]);
  });

  it('refuses a manager granting itself rights over the target and a grant without any token', async () => {
    const self = await grant(manager, {});
    expect(self.status).toBe(403);
    expect(self.body.detail).toMatch(new RegExp(`only agent ${target.agent_id} can grant a delegation over itself`));
    const anonymous = await grant(undefined, {});
    expect(anonymous.status).toBe(401);
    expect((await publishAs(manager)).status).toBe(403);
  });

  it('publishes as the target with sender_id = target once the target grants can_publish', async () => {
    const targetWs = await fx.ws(target);
    const g = await grant(target, { can_publish: true, can_p2p: false });
    expect(g.status).toBe(200);
    expect(Delegation.parse(g.body)).toMatchObject({ manager_agent_id: manager.agent_id, target_agent_id: target.agent_id, can_publish: true, can_p2p: false });

    const listed = (await api(h.url, `/manager/delegations?manager_agent_id=${manager.agent_id}`, { token: manager.agent_token })).body as unknown[];
    expect(listed.map((d) => Delegation.parse(d).target_agent_id)).toEqual([target.agent_id]);
    expect(((await api(h.url, '/manager/delegations', { token: target.agent_token })).body as unknown[]).length).toBe(1);
    expect((await api(h.url, '/manager/delegations', { token: stranger.agent_token })).body).toEqual([]);

    const r = await publishAs(manager);
    expect(r.status).toBe(200);
    const m = Message.parse(r.body);
    expect(m).toMatchObject({ topic_id: topicId, sender_id: target.agent_id, content: 'posted for target', delegated_by: manager.agent_id });
    const pushed = await targetWs.waitFor((f) => f.type === 'new_message' && (f.message as { id: string }).id === m.id);
    expect((pushed.message as { sender_id: string }).sender_id).toBe(target.agent_id);

    // Someone else cannot ride on the manager's delegation, with or without naming the manager.
    expect((await publishAs(stranger)).status).toBe(403);
    const claimManager = await api(h.url, '/manager/publish-as', { body: { manager_agent_id: manager.agent_id, target_agent_id: target.agent_id, topic_id: topicId, content: 'x' }, token: stranger.agent_token });
    expect(claimManager.status).toBe(403);
    // can_p2p was not granted.
    const p2p = await api(h.url, '/manager/p2p-as', { body: { manager_agent_id: manager.agent_id, target_agent_id: target.agent_id, peer_agent_id: stranger.agent_id, content: 'hi' }, token: manager.agent_token });
    expect(p2p.status).toBe(403);
    expect(p2p.body.detail).toMatch(/no delegation to send p2p messages as agent/);
  });

  it('sends p2p as the target into the same conversation /messages/p2p uses once can_p2p is granted', async () => {
    const peerWs = await fx.ws(stranger);
    expect((await grant(target, { can_publish: false, can_p2p: true })).status).toBe(200);
    const r = await api(h.url, '/manager/p2p-as', { body: { manager_agent_id: manager.agent_id, target_agent_id: target.agent_id, peer_agent_id: stranger.agent_id, content: 'hello from target' }, token: manager.agent_token });
    expect(r.status).toBe(200);
    const m = Message.parse(r.body);
    expect(m).toMatchObject({ sender_id: target.agent_id, content: 'hello from target', topic_type: 'p2p', delegated_by: manager.agent_id });
    await peerWs.waitFor((f) => f.type === 'new_message' && (f.message as { id: string }).id === m.id);
    // The peer's own reply lands in the same conversation.
    const reply = await api(h.url, '/messages/p2p', { body: { target_agent_id: target.agent_id, content: 'hi back' }, token: stranger.agent_token });
    expect(reply.body.topic_id).toBe(m.topic_id);
    // can_publish was not granted.
    expect((await publishAs(manager)).status).toBe(403);
  });

  it('refuses publish-as into a topic the target is not a member of', async () => {
    await grant(target, {});
    const other = (await api(h.url, '/topics/', { body: { name: 'elsewhere' }, token: stranger.agent_token })).body.id as string;
    const r = await publishAs(manager, { topic_id: other });
    expect(r.status).toBe(403);
    expect(r.body.detail).toBe(`agent ${target.agent_id} is not a member of topic ${other}`);
  });

  it('stops delegated publishing when the target removes the delegation', async () => {
    await grant(target, {});
    expect((await publishAs(manager)).status).toBe(200);
    const bystander = await api(h.url, `/manager/delegations?manager_agent_id=${manager.agent_id}&target_agent_id=${target.agent_id}`, { method: 'DELETE', token: stranger.agent_token });
    expect(bystander.status).toBe(403);
    const revoke = await api(h.url, `/manager/delegations?manager_agent_id=${manager.agent_id}&target_agent_id=${target.agent_id}`, { method: 'DELETE', token: target.agent_token });
    expect(revoke.status).toBe(200);
    expect(revoke.body).toEqual({ ok: true, manager_agent_id: manager.agent_id, target_agent_id: target.agent_id });
    expect((await publishAs(manager)).status).toBe(403);
    const again = await api(h.url, `/manager/delegations?target_agent_id=${target.agent_id}`, { method: 'DELETE', token: manager.agent_token });
    expect(again.status).toBe(404);
  });
});
