import { beforeEach, describe, expect, it } from 'vitest';
import { Topic } from '../../src/protocol/index.js';
import { api, useHub, type RegisteredAgent, type StartedHub } from '../helpers/hub.js';

describe('hub topics', () => {
  const fx = useHub(['alice', 'bob']);
  let h: StartedHub;
  let alice: RegisteredAgent;
  let bob: RegisteredAgent;

  beforeEach(async () => {
    h = fx.h;
    [alice, bob] = fx.agents;
  });

  const create = async (who: RegisteredAgent, body: Record<string, unknown>) => {
    const r = await api(h.url, '/topics/', { body, token: who.agent_token });
    expect(r.status).toBe(200);
    return Topic.parse(r.body);
  };

  it('reports health with the history_after feature when asked', async () => {
    const r = await api(h.url, '/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok', service: 'wtt-hub', features: ['history_after'] });
  });

  it('registers agents with an agent-<12 hex> id and a token when posted to /agents/register', async () => {
    const r = await api(h.url, '/agents/register', { body: { platform: 'openclaw', display_name: 'carol' } });
    expect(r.status).toBe(200);
    expect(r.body.agent_id).toMatch(/^agent-[0-9a-f]{12}$/);
    expect(typeof r.body.agent_token).toBe('string');
    expect(r.body.agent_token.length).toBeGreaterThanOrEqual(32);
    const empty = await api(h.url, '/agents/register', { method: 'POST' });
    expect(empty.status).toBe(200);
    expect(empty.body.agent_id).not.toBe(r.body.agent_id);
    const profile = await api(h.url, `/agents/${r.body.agent_id}/profile`);
    expect(profile.body).toMatchObject({ agent_id: r.body.agent_id, display_name: 'carol' });
  });

  it('creates a topic owned by its creator with the skill defaults when only a name is given', async () => {
    const t = await create(alice, { name: 'general', creator_agent_id: alice.agent_id });
    expect(t).toMatchObject({ name: 'general', type: 'discussion', visibility: 'public', join_method: 'open', creator_agent_id: alice.agent_id, my_role: 'owner', member_count: 1 });
    const detail = await api(h.url, `/topics/${t.id}`, { token: bob.agent_token });
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: t.id, name: 'general', type: 'discussion', my_role: null });
  });

  it('serves collection paths with and without a trailing slash', async () => {
    const t = await create(alice, { name: 'slashy' });
    await api(h.url, `/topics/${t.id}/join`, { method: 'POST', token: bob.agent_token });
    const withSlash = await api(h.url, '/topics/', { token: bob.agent_token });
    const without = await api(h.url, '/topics', { token: bob.agent_token });
    expect(withSlash.status).toBe(200);
    expect(without.body).toEqual(withSlash.body);
    const created = await api(h.url, '/topics', { body: { name: 'no slash' }, token: bob.agent_token });
    expect(created.status).toBe(200);

    // §2.1: the skill posts to /messages/ (slash), others to /messages; /tasks and /feed the other way round.
    const pubSlash = await api(h.url, '/messages/', { body: { topic_id: t.id, content: 'with slash' }, token: bob.agent_token });
    const pubBare = await api(h.url, '/messages', { body: { topic_id: t.id, content: 'without slash' }, token: bob.agent_token });
    expect([pubSlash.status, pubBare.status]).toEqual([200, 200]);
    const feed = await api(h.url, '/feed', { token: bob.agent_token });
    const feedSlash = await api(h.url, '/feed/', { token: bob.agent_token });
    expect(feed.body.messages.map((m: { content: string }) => m.content)).toEqual(['without slash', 'with slash']);
    expect(feedSlash.body).toEqual(feed.body);
    const task = await api(h.url, '/tasks/', { body: { title: 'slash task' }, token: bob.agent_token });
    expect(task.status).toBe(200);
    for (const [a, b] of [['/tasks', '/tasks/'], ['/tasks/pipelines', '/tasks/pipelines/'], ['/topics/subscribed', '/topics/subscribed/'], ['/feed/p2p-inbox', '/feed/p2p-inbox/']]) {
      const bare = await api(h.url, a as string, { token: bob.agent_token });
      const slash = await api(h.url, b as string, { token: bob.agent_token });
      expect(bare.status, a).toBe(200);
      expect(slash.body, b).toEqual(bare.body);
    }
  });

  it('serves an agent\'s public profile at /agents/{id} without credentials', async () => {
    const r = await api(h.url, `/agents/${alice.agent_id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ agent_id: alice.agent_id, display_name: 'alice', name: 'alice' });
    expect(JSON.stringify(r.body)).not.toContain(alice.agent_token);
    expect((await api(h.url, '/agents/agent-000000000000')).status).toBe(404);
  });

  it('lists public topics and searches by name or description when asked', async () => {
    await create(alice, { name: 'rust lovers', description: 'systems' });
    await create(alice, { name: 'gardening', description: 'plants and rust fungus' });
    await create(alice, { name: 'secret rust', visibility: 'private', join_method: 'invite_only' });
    const list = await api(h.url, '/topics/', { token: bob.agent_token });
    expect(list.body.map((t: { name: string }) => t.name).sort()).toEqual(['gardening', 'rust lovers']);
    const found = await api(h.url, '/topics/search?query=rust', { token: bob.agent_token });
    expect(found.body.map((t: { name: string }) => t.name).sort()).toEqual(['gardening', 'rust lovers']);
    const foundByOwner = await api(h.url, '/topics/search?q=rust', { token: alice.agent_token });
    expect(foundByOwner.body.map((t: { name: string }) => t.name).sort()).toEqual(['gardening', 'rust lovers', 'secret rust']);
    const none = await api(h.url, '/topics/search?query=%25', { token: bob.agent_token });
    expect(none.body).toEqual([]);
  });

  it('joins, lists subscriptions with my_role, shows members and leaves when an agent asks', async () => {
    const t = await create(alice, { name: 'club' });
    const join = await api(h.url, `/topics/${t.id}/join?agent_id=${bob.agent_id}`, { method: 'POST', token: bob.agent_token });
    expect(join.status).toBe(200);
    expect(join.body.message).toBe('Joined successfully');
    const again = await api(h.url, `/topics/${t.id}/join`, { method: 'POST', token: bob.agent_token });
    expect(again.body.message).toBe('Already a member');
    const subs = await api(h.url, `/topics/subscribed?agent_id=${bob.agent_id}`, { token: bob.agent_token });
    expect(subs.body).toHaveLength(1);
    expect(subs.body[0]).toMatchObject({ id: t.id, my_role: 'member' });
    const members = await api(h.url, `/topics/${t.id}/members`, { token: bob.agent_token });
    expect(members.body.map((m: { agent_id: string; role: string; display_name: string }) => [m.agent_id, m.role, m.display_name])).toEqual([
      [alice.agent_id, 'owner', 'alice'],
      [bob.agent_id, 'member', 'bob'],
    ]);
    const leave = await api(h.url, `/topics/${t.id}/leave`, { method: 'POST', token: bob.agent_token });
    expect(leave.status).toBe(200);
    const subsAfter = await api(h.url, '/topics/subscribed', { token: bob.agent_token });
    expect(subsAfter.body).toEqual([]);
    const leaveAgain = await api(h.url, `/topics/${t.id}/leave`, { method: 'POST', token: bob.agent_token });
    expect(leaveAgain.status).toBe(404);
    expect(leaveAgain.body.detail).toMatch(/not a member/);
  });

  it('refuses to join an invite-only or private topic when the agent is not invited', async () => {
    const t = await create(alice, { name: 'vip', visibility: 'private', join_method: 'invite_only' });
    const join = await api(h.url, `/topics/${t.id}/join`, { method: 'POST', token: bob.agent_token });
    expect(join.status).toBe(403);
    const detail = await api(h.url, `/topics/${t.id}`, { token: bob.agent_token });
    expect(detail.status).toBe(403);
    expect(detail.body.detail).toMatch(/private/);
  });

  it('lets only the owner delete a topic when a member tries first', async () => {
    const t = await create(alice, { name: 'doomed' });
    await api(h.url, `/topics/${t.id}/join`, { method: 'POST', token: bob.agent_token });
    const byBob = await api(h.url, `/topics/${t.id}?agent_id=${bob.agent_id}`, { method: 'DELETE', token: bob.agent_token });
    expect(byBob.status).toBe(403);
    expect(byBob.body.detail).toMatch(/only the owner/);
    const byAlice = await api(h.url, `/topics/${t.id}?agent_id=${alice.agent_id}`, { method: 'DELETE', token: alice.agent_token });
    expect(byAlice.status).toBe(200);
    const gone = await api(h.url, `/topics/${t.id}`, { token: alice.agent_token });
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ detail: `topic ${t.id} not found`, code: 'not_found' });
  });

  it('enforces the blacklist on join and publish when the owner adds an agent', async () => {
    const t = await create(alice, { name: 'moderated' });
    await api(h.url, `/topics/${t.id}/join`, { method: 'POST', token: bob.agent_token });
    const byMember = await api(h.url, `/topics/${t.id}/blacklist?operator_agent_id=${bob.agent_id}`, { body: { target_agent_id: alice.agent_id }, token: bob.agent_token });
    expect(byMember.status).toBe(403);
    const add = await api(h.url, `/topics/${t.id}/blacklist?operator_agent_id=${alice.agent_id}`, { body: { target_agent_id: bob.agent_id, mode: 'permanent' }, token: alice.agent_token });
    expect(add.status).toBe(200);
    const list = await api(h.url, `/topics/${t.id}/blacklist?operator_agent_id=${alice.agent_id}`, { token: alice.agent_token });
    expect(list.body.map((e: { agent_id: string }) => e.agent_id)).toEqual([bob.agent_id]);
    const publish = await api(h.url, `/topics/${t.id}/messages`, { body: { content: 'let me in' }, token: bob.agent_token });
    expect(publish.status).toBe(403);
    expect(publish.body.detail).toMatch(/blacklisted/);
    const join = await api(h.url, `/topics/${t.id}/join`, { method: 'POST', token: bob.agent_token });
    expect(join.status).toBe(403);
    expect(join.body.detail).toMatch(/blacklisted/);
    const remove = await api(h.url, `/topics/${t.id}/blacklist/${bob.agent_id}?operator_agent_id=${alice.agent_id}`, { method: 'DELETE', token: alice.agent_token });
    expect(remove.status).toBe(200);
    const rejoin = await api(h.url, `/topics/${t.id}/join`, { method: 'POST', token: bob.agent_token });
    expect(rejoin.status).toBe(200);
  });

  it('lets a timed blacklist entry lapse when its expires_at has passed', async () => {
    const t = await create(alice, { name: 'timeout corner' });
    const past = new Date(Date.now() - 1000).toISOString();
    await api(h.url, `/topics/${t.id}/blacklist`, { body: { target_agent_id: bob.agent_id, mode: 'timed', expires_at: past }, token: alice.agent_token });
    const join = await api(h.url, `/topics/${t.id}/join`, { method: 'POST', token: bob.agent_token });
    expect(join.status).toBe(200);
  });

  it('answers every error as {detail} with an honest status when input is bad', async () => {
    const invalid = await api(h.url, '/topics/', { body: { name: '' }, token: alice.agent_token });
    expect(invalid.status).toBe(422);
    expect(invalid.body.detail).toMatch(/name/);
    const badJson = await api(h.url, '/topics/', { body: '{"name": ', token: alice.agent_token });
    expect(badJson.status).toBe(400);
    expect(typeof badJson.body.detail).toBe('string');
    const badType = await api(h.url, '/topics/', { body: { name: 'x', type: 'chaos' }, token: alice.agent_token });
    expect(badType.status).toBe(422);
    expect(badType.body.detail).toMatch(/type/);
    const p2pType = await api(h.url, '/topics/', { body: { name: 'x', type: 'p2p' }, token: alice.agent_token });
    expect(p2pType.status).toBe(422);
    const unknown = await api(h.url, '/nowhere', { token: alice.agent_token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toMatch(/nowhere/);
    const huge = await api(h.url, '/topics/', { body: { name: 'x', description: 'y'.repeat(1_100_000) }, token: alice.agent_token });
    expect(huge.status).toBe(413);
    expect(huge.body.detail).toMatch(/larger than/);
    const badLimit = await api(h.url, '/topics/?limit=0', { token: alice.agent_token });
    expect(badLimit.status).toBe(422);
    expect(badLimit.body.detail).toMatch(/limit/);
  });
});
