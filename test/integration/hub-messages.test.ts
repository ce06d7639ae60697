import { beforeEach, describe, expect, it } from 'vitest';
import { LIMITS, Message, P2pInboxResponse, PollResponse } from '../../src/protocol/index.js';
import { api, createTopic, registerAgent, useHub, type RegisteredAgent, type StartedHub } from '../helpers/hub.js';

describe('hub messages', () => {
  const fx = useHub(['alice', 'bob']);
  let h: StartedHub;
  let alice: RegisteredAgent;
  let bob: RegisteredAgent;
  let topicId: string;

  beforeEach(async () => {
    h = fx.h;
    [alice, bob] = fx.agents;
    topicId = await createTopic(h, alice, { name: 'chat' }, [bob]);
  });

  const post = async (who: RegisteredAgent, content: string, topic = topicId) => {
    const r = await api(h.url, '/messages/', { body: { topic_id: topic, sender_id: who.agent_id, sender_type: 'agent', source: 'topic', content_type: 'text', semantic_type: 'post', content }, token: who.agent_token });
    expect(r.status).toBe(200);
    return Message.parse(r.body);
  };
  const history = async (query: string, who = bob) => {
    const r = await api(h.url, `/topics/${topicId}/messages${query}`, { token: who.agent_token });
    return r;
  };
  const contents = (ms: { content: string }[]) => ms.map((m) => m.content);

  it('stores a published message with id, seq, topic and sender fields when posted to /messages/', async () => {
    const m = await post(alice, 'hello');
    expect(m).toMatchObject({ topic_id: topicId, sender_id: alice.agent_id, sender_type: 'agent', content_type: 'text', semantic_type: 'post', content: 'hello', topic_name: 'chat', topic_type: 'discussion' });
    expect(typeof m.id).toBe('string');
    expect(Number.isInteger(m.seq)).toBe(true);
    expect(Number.isNaN(Date.parse(m.created_at as string))).toBe(false);
  });

  it('publishes through /topics/{id}/messages with the web fields when sender_type is HUMAN', async () => {
    const r = await api(h.url, `/topics/${topicId}/messages?agent_id=${bob.agent_id}`, { body: { content: 'from the web', sender_type: 'HUMAN', metadata: { via: 'web' }, reply_to: null }, token: bob.agent_token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ sender_id: bob.agent_id, sender_type: 'human', content: 'from the web', metadata: { via: 'web' } });
  });

  it('refuses to publish when the agent is not a member of the topic', async () => {
    const carol = await registerAgent(h.url, 'carol');
    const r = await api(h.url, `/topics/${topicId}/messages`, { body: { content: 'hi' }, token: carol.agent_token });
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/not a member/);
    const system = await api(h.url, `/topics/${topicId}/messages`, { body: { content: 'hi', sender_type: 'system' }, token: bob.agent_token });
    expect(system.status).toBe(422);
  });

  it('refuses content over 64 KiB with a clear detail and accepts exactly 64 KiB', async () => {
    const tooBig = 'é'.repeat(LIMITS.maxContentBytes / 2 + 1);
    const r = await api(h.url, '/messages/', { body: { topic_id: topicId, content: tooBig }, token: alice.agent_token });
    expect(r.status).toBe(413);
    expect(r.body.detail).toBe(`content is ${LIMITS.maxContentBytes + 2} bytes; the limit is ${LIMITS.maxContentBytes} bytes`);
    const p2p = await api(h.url, '/messages/p2p', { body: { target_agent_id: bob.agent_id, content: tooBig }, token: alice.agent_token });
    expect(p2p.status).toBe(413);
    const exact = await api(h.url, '/messages/', { body: { topic_id: topicId, content: 'x'.repeat(LIMITS.maxContentBytes) }, token: alice.agent_token });
    expect(exact.status).toBe(200);
  });

  it('returns history oldest first with limit, offset, before and after when paging', async () => {
    const sent: Message[] = [];
    for (let i = 1; i <= 10; i++) sent.push(await post(i % 2 ? alice : bob, `m${i}`));
    const newest = await history('?limit=3');
    expect(contents(newest.body)).toEqual(['m8', 'm9', 'm10']);
    const skipped = await history('?limit=3&offset=2');
    expect(contents(skipped.body)).toEqual(['m6', 'm7', 'm8']);
    const beforeId = await history(`?limit=3&before=${sent[5]!.id}`);
    expect(contents(beforeId.body)).toEqual(['m3', 'm4', 'm5']);
    const after = await history(`?limit=4&after=${sent[2]!.id}`);
    expect(contents(after.body)).toEqual(['m4', 'm5', 'm6', 'm7']);
    const sinceId = await history(`?since_id=${sent[7]!.id}`);
    expect(contents(sinceId.body)).toEqual(['m9', 'm10']);
    const afterLast = await history(`?after=${sent[9]!.id}`);
    expect(afterLast.body).toEqual([]);
    const all = await history('');
    expect(contents(all.body)).toEqual(sent.map((m) => m.content));
    const seqs = all.body.map((m: { seq: number }) => m.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(10);
  });

  it('pages history by ISO timestamp when before is a time', async () => {
    let t = Date.parse('2030-01-01T00:00:00.000Z');
    h = await fx.restart({ now: () => (t += 1000) });
    for (let i = 1; i <= 5; i++) await post(alice, `t${i}`);
    const all = (await history('')).body as { created_at: string }[];
    const r = await history(`?before=${encodeURIComponent(all[3]!.created_at)}&limit=2`);
    expect(contents(r.body)).toEqual(['t2', 't3']);
  });

  it('answers 404 for an unknown after id and 422 for a bad limit so clients can fall back', async () => {
    const unknown = await history('?after=no-such-message');
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toMatch(/no-such-message/);
    for (const bad of ['0', '1001', 'ten', '2.5']) {
      const r = await history(`?limit=${bad}`);
      expect(r.status).toBe(422);
      expect(r.body.detail).toMatch(/limit must be a whole number from 1 to 1000/);
    }
    const garbageBefore = await history('?before=not-a-time');
    expect(garbageBefore.status).toBe(404);
  });

  it('advances the per-agent poll cursor past what it returned when polled repeatedly', async () => {
    for (let i = 1; i <= 5; i++) await post(alice, `p${i}`);
    const first = PollResponse.parse((await api(h.url, `/messages/poll/${bob.agent_id}?limit=3`, { token: bob.agent_token })).body);
    expect(contents(first.messages)).toEqual(['p1', 'p2', 'p3']);
    expect(first.topics).toEqual([{ id: topicId, name: 'chat', type: 'discussion' }]);
    const second = PollResponse.parse((await api(h.url, `/messages/poll/${bob.agent_id}?limit=3`, { token: bob.agent_token })).body);
    expect(contents(second.messages)).toEqual(['p4', 'p5']);
    const empty = PollResponse.parse((await api(h.url, `/messages/poll/${bob.agent_id}`, { token: bob.agent_token })).body);
    expect(empty.messages).toEqual([]);
    await post(bob, 'own');
    const own = PollResponse.parse((await api(h.url, `/messages/poll/${bob.agent_id}`, { token: bob.agent_token })).body);
    expect(contents(own.messages)).toEqual(['own']);
    const aliceFirst = PollResponse.parse((await api(h.url, `/messages/poll/${alice.agent_id}`, { token: alice.agent_token })).body);
    expect(contents(aliceFirst.messages)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'own']);
    const bad = await api(h.url, `/messages/poll/${bob.agent_id}?limit=501`, { token: bob.agent_token });
    expect(bad.status).toBe(422);
  });

  it('does not poll messages sent before the agent joined when it joins later', async () => {
    await post(alice, 'before carol');
    const carol = await registerAgent(h.url, 'carol');
    await api(h.url, `/topics/${topicId}/join`, { method: 'POST', token: carol.agent_token });
    await post(alice, 'after carol');
    const r = PollResponse.parse((await api(h.url, `/messages/poll/${carol.agent_id}`, { token: carol.agent_token })).body);
    expect(contents(r.messages)).toEqual(['after carol']);
  });

  it('creates one p2p topic per pair on first use when target_id or target_agent_id is given', async () => {
    const first = await api(h.url, `/messages/p2p?sender_id=${alice.agent_id}`, { body: { target_agent_id: bob.agent_id, target_id: bob.agent_id, content: 'psst', content_type: 'text', semantic_type: 'post' }, token: alice.agent_token });
    expect(first.status).toBe(200);
    const reply = await api(h.url, '/messages/p2p', { body: { target_id: alice.agent_id, content: 'yes?' }, token: bob.agent_token });
    expect(reply.status).toBe(200);
    expect(reply.body.topic_id).toBe(first.body.topic_id);
    expect(first.body.topic_type).toBe('p2p');
    const topic = await api(h.url, `/topics/${first.body.topic_id}`, { token: bob.agent_token });
    expect(topic.body).toMatchObject({ type: 'p2p', member_count: 2 });
    const carol = await registerAgent(h.url, 'carol');
    const peek = await api(h.url, `/topics/${first.body.topic_id}/messages`, { token: carol.agent_token });
    expect(peek.status).toBe(403);
    const toSelf = await api(h.url, '/messages/p2p', { body: { target_id: alice.agent_id, content: 'me' }, token: alice.agent_token });
    expect(toSelf.status).toBe(422);
    const toNobody = await api(h.url, '/messages/p2p', { body: { target_id: 'agent-000000000000', content: 'hello?' }, token: alice.agent_token });
    expect(toNobody.status).toBe(404);
    const noTarget = await api(h.url, '/messages/p2p', { body: { content: 'to whom' }, token: alice.agent_token });
    expect(noTarget.status).toBe(422);
    expect(noTarget.body.detail).toMatch(/target_agent_id/);
  });

  it('lists p2p conversations with last message and unread count until the agent reads them', async () => {
    await api(h.url, '/messages/p2p', { body: { target_id: bob.agent_id, content: 'one' }, token: alice.agent_token });
    await api(h.url, '/messages/p2p', { body: { target_id: bob.agent_id, content: 'two' }, token: alice.agent_token });
    const inbox = P2pInboxResponse.parse((await api(h.url, '/feed/p2p-inbox?page=1&limit=20', { token: bob.agent_token })).body);
    expect(inbox).toHaveLength(1);
    expect(inbox[0]).toMatchObject({ peer_agent_id: alice.agent_id, unread_count: 2, last_message: { content: 'two' } });
    const senderView = P2pInboxResponse.parse((await api(h.url, '/feed/p2p-inbox', { token: alice.agent_token })).body);
    expect(senderView[0]).toMatchObject({ peer_agent_id: bob.agent_id, unread_count: 0 });
    await api(h.url, `/topics/${inbox[0]!.topic_id}/messages`, { token: bob.agent_token });
    const read = P2pInboxResponse.parse((await api(h.url, '/feed/p2p-inbox', { token: bob.agent_token })).body);
    expect(read[0]!.unread_count).toBe(0);
  });

  it('serves the feed newest first across subscribed topics when paged', async () => {
    const other = (await api(h.url, '/topics/', { body: { name: 'other' }, token: bob.agent_token })).body.id as string;
    await post(alice, 'f1');
    await post(bob, 'f2', other);
    await post(alice, 'f3');
    const feed = await api(h.url, '/feed?page=1&limit=2', { token: bob.agent_token });
    expect(feed.status).toBe(200);
    expect(contents(feed.body.messages)).toEqual(['f3', 'f2']);
    expect(feed.body.messages[1].topic_name).toBe('other');
    const page2 = await api(h.url, '/feed?page=2&limit=2', { token: bob.agent_token });
    expect(contents(page2.body.messages)).toEqual(['f1']);
    const aliceFeed = await api(h.url, '/feed', { token: alice.agent_token });
    expect(contents(aliceFeed.body.messages)).toEqual(['f3', 'f1']);
  });
});
