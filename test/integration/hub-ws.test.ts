import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionResultFrame, LIMITS, NewMessageFrame, parseServerFrame, TypingFrame } from '../../src/protocol/index.js';
import { api, openWs, registerAgent, startHub, type RegisteredAgent, type StartedHub, type TestSocket } from '../helpers/hub.js';

describe('hub websocket', () => {
  let h: StartedHub;
  let alice: RegisteredAgent;
  let bob: RegisteredAgent;
  const sockets: TestSocket[] = [];
  /** An authenticated socket, or an unauthenticated one with `{ auth: false }`. */
  const open = async (who: RegisteredAgent, o: { auth: boolean } = { auth: true }) => {
    const s = await openWs(h.wsUrl, who.agent_id, o.auth ? who.agent_token : undefined);
    sockets.push(s);
    return s;
  };

  beforeEach(async () => {
    h = await startHub({ wsAuthTimeoutMs: 300 });
    alice = await registerAgent(h.url, 'alice');
    bob = await registerAgent(h.url, 'bob');
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) await s.close().catch(() => undefined);
    await h.close();
  });

  it('answers text ping with text pong before and after auth', async () => {
    const s = await open(alice, { auth: false });
    s.send('ping');
    await s.waitFor((f) => f.type === 'pong');
    const auth = await s.request({ action: 'auth', token: alice.agent_token });
    expect(auth).toMatchObject({ ok: true, data: { authenticated: true, agent_id: alice.agent_id, agent_display_name: 'alice' } });
    s.send('ping');
    await s.waitFor((f) => f.type === 'pong' && s.frames.filter((x) => x.type === 'pong').length === 2);
  });

  it('delivers a topic message and a p2p message to both agents, the sender included', async () => {
    const wa = await open(alice);
    const wb = await open(bob);
    const created = await wa.request({ action: 'create', name: 'ws room', description: 'made over ws', creator_agent_id: alice.agent_id });
    expect(created.ok).toBe(true);
    const topicId = (created.data as { id: string }).id;
    expect(await wb.request({ action: 'join', topic_id: topicId, agent_id: bob.agent_id })).toMatchObject({ ok: true });

    const pub = await wa.request({ action: 'publish', topic_id: topicId, content: 'hello bob', semantic_type: 'post' });
    expect(pub.ok).toBe(true);
    const msgId = (pub.data as { id: string }).id;
    for (const s of [wa, wb]) {
      const push = NewMessageFrame.parse(await s.waitFor((f) => f.type === 'new_message' && (f.message as { id?: string }).id === msgId));
      expect(push.message).toMatchObject({ content: 'hello bob', sender_id: alice.agent_id, topic_id: topicId, topic_name: 'ws room', topic_type: 'discussion' });
    }

    const dm = await wb.request({ action: 'p2p', target_id: alice.agent_id, content: 'hi alice' });
    expect(dm.ok).toBe(true);
    const dmId = (dm.data as { id: string }).id;
    for (const s of [wa, wb]) {
      const push = NewMessageFrame.parse(await s.waitFor((f) => f.type === 'new_message' && (f.message as { id?: string }).id === dmId));
      expect(push.message).toMatchObject({ content: 'hi alice', sender_id: bob.agent_id, topic_type: 'p2p' });
    }
    const dm2 = await wa.request({ action: 'p2p', target_agent_id: bob.agent_id, content: 'hi bob', encrypted: false });
    expect((dm2.data as { topic_id: string }).topic_id).toBe((dm.data as { topic_id: string }).topic_id);
  });

  it('answers every action with an action_result echoing request_id when authenticated', async () => {
    const wa = await open(alice);
    const wb = await open(bob);
    const t = (await wa.request({ action: 'create', name: 'actions', type: 'discussion', visibility: 'public', join_method: 'open' })).data as { id: string };
    const list = await wa.request({ action: 'list', limit: 10 });
    expect((list.data as { id: string }[]).map((x) => x.id)).toEqual([t.id]);
    const find = await wb.request({ action: 'find', query: 'act' });
    expect((find.data as { id: string }[]).map((x) => x.id)).toEqual([t.id]);
    const detail = await wb.request({ action: 'detail', topic_id: t.id });
    expect(detail.data).toMatchObject({ id: t.id, name: 'actions' });
    await wb.request({ action: 'join', topic_id: t.id });
    const subscribed = await wb.request({ action: 'subscribed' });
    expect(subscribed.data).toEqual([expect.objectContaining({ id: t.id, my_role: 'member' })]);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(((await wa.request({ action: 'publish', topic_id: t.id, content: `n${i}` })).data as { id: string }).id);
    const hist = await wb.request({ action: 'history', topic_id: t.id, limit: 2 });
    expect((hist.data as { content: string }[]).map((m) => m.content)).toEqual(['n2', 'n3']);
    const before = await wb.request({ action: 'history', topic_id: t.id, before_id: ids[2] });
    expect((before.data as { content: string }[]).map((m) => m.content)).toEqual(['n0', 'n1']);
    const after = await wb.request({ action: 'history', topic_id: t.id, after_id: ids[1] });
    expect((after.data as { content: string }[]).map((m) => m.content)).toEqual(['n2', 'n3']);
    const poll = await wb.request({ action: 'poll', limit: 3, agent_id: bob.agent_id });
    expect((poll.data as { messages: { content: string }[] }).messages.map((m) => m.content)).toEqual(['n0', 'n1', 'n2']);
    const poll2 = await wb.request({ action: 'poll' });
    expect((poll2.data as { messages: { content: string }[] }).messages.map((m) => m.content)).toEqual(['n3']);
    const typing = await wb.request({ action: 'typing', topic_id: t.id, state: 'start', ttl_ms: 6000 });
    expect(typing.ok).toBe(true);
    const seen = TypingFrame.parse(await wa.waitFor((f) => f.type === 'typing'));
    expect(seen).toMatchObject({ topic_id: t.id, agent_id: bob.agent_id, agent_display_name: 'bob', state: 'start', ttl_ms: 6000 });
    expect(wb.frames.some((f) => f.type === 'typing')).toBe(false);
    const leave = await wb.request({ action: 'leave', topic_id: t.id });
    expect(leave.ok).toBe(true);
    for (const f of [list, find, detail, subscribed, hist, poll, typing, leave]) expect(ActionResultFrame.safeParse(f).success).toBe(true);
  });

  it('answers ok:false with a clear error and keeps the socket open when a frame is invalid', async () => {
    const s = await open(alice);
    const results = () => s.frames.filter((x) => x.type === 'action_result').slice(1); // after the auth result
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[1,2]', /not a JSON object/],
      ['{"request_id":"r1"}', /no action/],
      ['{"action":"teleport","request_id":"r2"}', /unknown action 'teleport'/],
      ['{"action":"publish","request_id":"r3"}', /publish: topic_id/],
      ['{"action":"join","topic_id":"nope","request_id":"r4"}', /topic nope not found/],
      ['{"action":"publish","topic_id":"nope","content":"x","request_id":"r5"}', /topic nope not found/],
      ['{"action":"poll","limit":900,"request_id":"r6"}', /limit/],
    ];
    for (const [i, [text, error]] of cases.entries()) {
      s.send(text);
      const r = await s.waitFor((f) => f.type === 'action_result' && results().length === i + 1 && results()[i] === f);
      expect(r.ok).toBe(false);
      expect(String(r.error)).toMatch(error);
    }
    expect(results().map((f) => f.request_id)).toEqual([null, null, 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const bin = await s.waitFor((f) => f.type === 'action_result' && /binary/.test(String(f.error)));
    expect(bin.ok).toBe(false);
    const still = await s.request({ action: 'subscribed' });
    expect(still.ok).toBe(true);
  });

  it('refuses actions before auth and closes with 4401 when no auth arrives in time', async () => {
    const s = await open(alice, { auth: false });
    const early = await s.request({ action: 'subscribed' });
    expect(early).toMatchObject({ ok: false });
    expect(String(early.error)).toMatch(/authentication required/);
    const closed = await s.closed(5_000);
    expect(closed.code).toBe(4401);
    expect(s.frames.at(-1)).toMatchObject({ type: 'action_result', ok: false });
  });

  it('does not push to a socket that has not authenticated', async () => {
    const t = (await api(h.url, '/topics/', { body: { name: 'quiet' }, token: alice.agent_token })).body.id as string;
    const wa = await open(alice);
    const lurker = await open(alice, { auth: false });
    await api(h.url, `/topics/${t}/messages`, { body: { content: 'secret' }, token: alice.agent_token });
    await wa.waitFor((f) => f.type === 'new_message');
    lurker.send('ping');
    await lurker.waitFor((f) => f.type === 'pong');
    expect(lurker.frames.some((f) => f.type === 'new_message')).toBe(false);
  });

  it('refuses a token of another agent and closes with 4403', async () => {
    const s = await open(alice, { auth: false });
    const r = await s.request({ action: 'auth', token: bob.agent_token });
    expect(r.ok).toBe(false);
    expect(String(r.error)).toMatch(/does not belong/);
    expect((await s.closed()).code).toBe(4403);
  });

  it('refuses a wrong token and closes with 4401', async () => {
    const s = await open(alice, { auth: false });
    const r = await s.request({ action: 'auth', token: 'not-a-real-token' });
    expect(r.ok).toBe(false);
    expect((await s.closed()).code).toBe(4401);
  });

  it('refuses an action naming another agent when authenticated', async () => {
    const wa = await open(alice);
    const t = ((await wa.request({ action: 'create', name: 'mine' })).data as { id: string }).id;
    const r = await wa.request({ action: 'publish', topic_id: t, content: 'as bob', sender_id: bob.agent_id });
    expect(r.ok).toBe(false);
    expect(String(r.error)).toMatch(/cannot act as agent/);
  });

  it('closes with 1009 and a readable reason when a frame exceeds 1 MiB', async () => {
    const s = await open(alice);
    s.send(JSON.stringify({ action: 'publish', topic_id: 'x', content: 'y'.repeat(LIMITS.maxFrameBytes) }));
    const closed = await s.closed();
    expect(closed.code).toBe(1009);
    expect(closed.reason).toBe(`frame larger than ${LIMITS.maxFrameBytes} bytes`);
    const again = await open(alice);
    expect((await again.request({ action: 'subscribed' })).ok).toBe(true);
  });

  it('refuses content over 64 KiB in a publish frame without closing', async () => {
    const s = await open(alice);
    const t = ((await s.request({ action: 'create', name: 'big' })).data as { id: string }).id;
    const r = await s.request({ action: 'publish', topic_id: t, content: 'z'.repeat(LIMITS.maxContentBytes + 1) });
    expect(r.ok).toBe(false);
    expect(String(r.error)).toMatch(/limit is 65536 bytes/);
  });

  it('counts and cleanly closes an agent\'s sockets when the hub disconnects it', async () => {
    const a1 = await open(alice);
    const a2 = await open(alice);
    await open(bob);
    expect(h.hub.connections(alice.agent_id)).toBe(2);
    expect(h.hub.connections()).toBe(3);
    expect(h.hub.disconnectAgent(alice.agent_id)).toBe(2);
    for (const s of [a1, a2]) expect(await s.closed()).toEqual({ code: 1000, reason: 'closed by hub' });
    await expect.poll(() => h.hub.connections(alice.agent_id)).toBe(0);
    expect(h.hub.connections(bob.agent_id)).toBe(1);
    expect(h.hub.disconnectAgent(alice.agent_id, 4000, 'token changed')).toBe(0);
  });

  it('closes a socket whose path names no valid agent id', async () => {
    const ws = new WebSocket(`${h.wsUrl}/${'x'.repeat(201)}`);
    ws.on('error', () => undefined);
    const code = await new Promise<number>((resolve) => ws.on('close', (c) => resolve(c)));
    expect(code).toBe(1008);
  });

  it('answers a plain HTTP GET of the socket path with 426 and a detail', async () => {
    const r = await api(h.url, `/ws/${alice.agent_id}`);
    expect(r.status).toBe(426);
    expect(r.body.detail).toMatch(/WebSocket endpoint/);
    expect(r.headers.get('upgrade')).toBe('websocket');
  });

  it('sends only frames the client parser accepts when actions run', async () => {
    const wa = await open(alice);
    const t = ((await wa.request({ action: 'create', name: 'parse me' })).data as { id: string }).id;
    await wa.request({ action: 'publish', topic_id: t, content: 'x' });
    await wa.waitFor((f) => f.type === 'new_message');
    for (const f of wa.frames) expect(parseServerFrame(JSON.stringify(f)).kind).toBe('frame');
  });
});
