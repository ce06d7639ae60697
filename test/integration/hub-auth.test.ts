import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHub } from '../../src/hub/index.js';
import { createLogger } from '../../src/log.js';
import { Binding, CLAIM_CODE_PATTERN, LoginResponse } from '../../src/protocol/index.js';
import { api, openWs, registerAgent, startHub, tempDir, type StartedHub, type TestSocket } from '../helpers/hub.js';

describe('hub auth', () => {
  let h: StartedHub | undefined;
  const sockets: TestSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) await s.close().catch(() => undefined);
    await h?.close();
    h = undefined;
  });

  it('requires the agent token for agent calls when auth is required', async () => {
    h = await startHub();
    const alice = await registerAgent(h.url, 'alice');
    const none = await api(h.url, `/topics/subscribed?agent_id=${alice.agent_id}`);
    expect(none.status).toBe(401);
    expect(none.body.detail).toMatch(/agent token required/);
    const create = await api(h.url, '/topics/', { body: { name: 'x', creator_agent_id: alice.agent_id } });
    expect(create.status).toBe(401);
    const poll = await api(h.url, `/messages/poll/${alice.agent_id}`);
    expect(poll.status).toBe(401);
    const byHeader = await api(h.url, '/topics/subscribed', { headers: { 'X-Agent-Token': alice.agent_token } });
    expect(byHeader.status).toBe(200);
    const byBearer = await api(h.url, '/topics/subscribed', { token: alice.agent_token });
    expect(byBearer.status).toBe(200);
  });

  it('refuses a wrong token with 401 without echoing it', async () => {
    h = await startHub();
    const wrong = 'definitely-not-the-token-1234567890';
    const r = await api(h.url, '/topics/subscribed', { token: wrong });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    expect(JSON.stringify(r.body)).not.toContain(wrong);
  });

  it('refuses with 403 when a token is used to act as another agent', async () => {
    h = await startHub();
    const alice = await registerAgent(h.url, 'alice');
    const bob = await registerAgent(h.url, 'bob');
    const t = (await api(h.url, '/topics/', { body: { name: 'shared' }, token: alice.agent_token })).body.id as string;
    await api(h.url, `/topics/${t}/join`, { method: 'POST', token: bob.agent_token });
    const asBob = await api(h.url, '/messages/', { body: { topic_id: t, sender_id: bob.agent_id, content: 'I am bob' }, token: alice.agent_token });
    expect(asBob.status).toBe(403);
    expect(asBob.body.detail).toMatch(/cannot act as agent/);
    const pollBob = await api(h.url, `/messages/poll/${bob.agent_id}`, { token: alice.agent_token });
    expect(pollBob.status).toBe(403);
    const joinAsBob = await api(h.url, `/topics/${t}/leave?agent_id=${bob.agent_id}`, { method: 'POST', token: alice.agent_token });
    expect(joinAsBob.status).toBe(403);
    const members = await api(h.url, `/topics/${t}/members`, { token: bob.agent_token });
    expect(members.body).toHaveLength(2);
  });

  it('accepts the Python skill\'s unauthenticated calls naming the agent when in legacy mode', async () => {
    h = await startHub({ authMode: 'legacy' });
    const alice = 'agent-0123456789ab';
    const bob = await registerAgent(h.url, 'bob');
    const created = await api(h.url, '/topics/', { body: { name: 'legacy', description: '', creator_agent_id: alice, type: 'discussion', visibility: 'public', join_method: 'open' } });
    expect(created.status).toBe(200);
    const t = created.body.id as string;
    expect((await api(h.url, `/topics/${t}/join?agent_id=${bob.agent_id}`, { method: 'POST' })).status).toBe(200);
    const pub = await api(h.url, '/messages/', { body: { topic_id: t, sender_id: alice, sender_type: 'agent', source: 'topic', content_type: 'text', semantic_type: 'post', content: 'hi' } });
    expect(pub.status).toBe(200);
    expect(pub.body.sender_id).toBe(alice);
    const poll = await api(h.url, `/messages/poll/${bob.agent_id}`);
    expect(poll.body.messages.map((m: { content: string }) => m.content)).toEqual(['hi']);
    const p2p = await api(h.url, `/messages/p2p?sender_id=${bob.agent_id}`, { body: { target_agent_id: alice, target_id: alice, content: 'dm' } });
    expect(p2p.status).toBe(200);
    expect((await api(h.url, '/topics/')).status).toBe(200);
    const anonymous = await api(h.url, '/messages/', { body: { topic_id: t, content: 'who am i' } });
    expect(anonymous.status).toBe(401);
    const tokenWins = await api(h.url, '/messages/', { body: { topic_id: t, sender_id: alice, content: 'spoof' }, token: bob.agent_token });
    expect(tokenWins.status).toBe(403);
    const ws = await openWs(h.wsUrl, alice);
    sockets.push(ws);
    const r = await ws.request({ action: 'publish', topic_id: t, content: 'over ws', agent_id: alice });
    expect(r.ok).toBe(true);
    await ws.waitFor((f) => f.type === 'new_message' && (f.message as { content: string }).content === 'over ws');
  });

  it('answers 429 with Retry-After when an agent exceeds the rate limit, without starving others', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    h = await startHub({ rateLimit: { max: 3, windowMs: 60_000 }, now: () => now });
    const alice = await registerAgent(h.url, 'alice');
    const bob = await registerAgent(h.url, 'bob');
    for (let i = 0; i < 3; i++) expect((await api(h.url, '/topics/subscribed', { token: alice.agent_token })).status).toBe(200);
    const limited = await api(h.url, '/topics/subscribed', { token: alice.agent_token });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(limited.body.detail).toMatch(/rate limit exceeded/);
    expect((await api(h.url, '/topics/subscribed', { token: bob.agent_token })).status).toBe(200);
    expect((await api(h.url, '/health')).status).toBe(200);
    now += 45_000;
    expect((await api(h.url, '/topics/subscribed', { token: alice.agent_token })).headers.get('retry-after')).toBe('15');
    now += 15_000;
    expect((await api(h.url, '/topics/subscribed', { token: alice.agent_token })).status).toBe(200);
  });

  it('rate-limits WebSocket actions per agent with a clear error', async () => {
    h = await startHub({ rateLimit: { max: 2, windowMs: 60_000 } });
    const alice = await registerAgent(h.url, 'alice');
    const ws = await openWs(h.wsUrl, alice.agent_id, alice.agent_token);
    sockets.push(ws);
    expect((await ws.request({ action: 'subscribed' })).ok).toBe(true);
    expect((await ws.request({ action: 'subscribed' })).ok).toBe(true);
    const third = await ws.request({ action: 'subscribed' });
    expect(third.ok).toBe(false);
    expect(String(third.error)).toMatch(/rate limit exceeded .* retry after \d+ s/);
  });

  it('binds an agent to a user through a single-use claim code when the user claims it', async () => {
    h = await startHub();
    const agent = await registerAgent(h.url, 'claimable');
    const code = await api(h.url, '/agents/claim-code', { body: { agent_id: agent.agent_id }, headers: { 'X-Agent-Token': agent.agent_token } });
    expect(code.status).toBe(200);
    expect(code.body.code).toMatch(CLAIM_CODE_PATTERN);
    expect(code.body.expires_in_seconds).toBe(900);
    const noToken = await api(h.url, '/agents/claim-code', { body: { agent_id: agent.agent_id } });
    expect(noToken.status).toBe(401);

    const reg = await api(h.url, '/auth/register', { body: { email: 'Ann@Example.com', password: 'correct horse', display_name: 'Ann' } });
    expect(reg.status).toBe(200);
    expect(reg.body).toMatchObject({ ok: true, email: 'ann@example.com' });
    expect((await api(h.url, '/auth/register', { body: { email: 'ann@example.com', password: 'another pass' } })).status).toBe(409);
    expect((await api(h.url, '/auth/login', { body: { email: 'ann@example.com', password: 'wrong password' } })).status).toBe(401);
    const login = LoginResponse.parse((await api(h.url, '/auth/login', { body: { email: 'ann@example.com', password: 'correct horse' } })).body);

    const unauth = await api(h.url, '/agents/claim', { body: { code: code.body.code } });
    expect(unauth.status).toBe(401);
    const claim = await api(h.url, '/agents/claim', { body: { code: code.body.code }, token: login.access_token });
    expect(claim.status).toBe(200);
    const binding = Binding.parse(claim.body);
    expect(binding).toMatchObject({ agent_id: agent.agent_id, is_primary: true, binding_method: 'claim_code', display_name: 'claimable' });
    expect(binding.api_key).toMatch(/^wtt_sk_/);
    const reused = await api(h.url, '/agents/claim', { body: { code: code.body.code }, token: login.access_token });
    expect(reused.status).toBe(409);
    expect(reused.body.detail).toMatch(/already been used/);

    const secondCode = (await api(h.url, '/agents/claim-code', { body: {}, token: agent.agent_token })).body.code as string;
    const viaBindAlias = await api(h.url, '/agents/bind', { body: { code: secondCode }, token: login.access_token });
    expect(viaBindAlias.status).toBe(409);
    expect(viaBindAlias.body.detail).toBe(`agent ${agent.agent_id} is already bound to this user`);

    const mine = await api(h.url, '/agents/my', { token: login.access_token });
    expect(mine.body).toEqual([binding]);
    const viaKey = await api(h.url, '/topics/', { body: { name: 'made with api key' }, token: binding.api_key as string });
    expect(viaKey.status).toBe(200);
    expect(viaKey.body.creator_agent_id).toBe(agent.agent_id);
    const viaJwt = await api(h.url, `/feed?agent_id=${agent.agent_id}`, { token: login.access_token });
    expect(viaJwt.status).toBe(200);
    const ws = await openWs(h.wsUrl, agent.agent_id, login.access_token);
    sockets.push(ws);
    expect((await ws.request({ action: 'subscribed' })).ok).toBe(true);
  });

  it('refuses an expired or unknown claim code with a clear detail', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    h = await startHub({ now: () => now });
    const agent = await registerAgent(h.url);
    const code = (await api(h.url, '/agents/claim-code', { body: {}, token: agent.agent_token })).body.code as string;
    await api(h.url, '/auth/register', { body: { email: 'bo@example.com', password: 'password1' } });
    const token = (await api(h.url, '/auth/login', { body: { email: 'bo@example.com', password: 'password1' } })).body.access_token as string;
    now += 900_000;
    const expired = await api(h.url, '/agents/claim', { body: { code }, token });
    expect(expired.status).toBe(410);
    expect(expired.body.detail).toMatch(/expired/);
    const unknown = await api(h.url, '/agents/claim', { body: { invite_code: 'WTT-CLAIM-ZZZZZZZZ' }, token });
    expect(unknown.status).toBe(404);
    expect((await api(h.url, '/agents/my', { token })).body).toEqual([]);
  });

  it('refuses a user token once it has expired', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    h = await startHub({ now: () => now });
    await api(h.url, '/auth/register', { body: { email: 'cy@example.com', password: 'password1' } });
    const token = (await api(h.url, '/auth/login', { body: { email: 'cy@example.com', password: 'password1' } })).body.access_token as string;
    expect((await api(h.url, '/agents/my', { token })).status).toBe(200);
    now += 31 * 24 * 3600 * 1000;
    const late = await api(h.url, '/agents/my', { token });
    expect(late.status).toBe(401);
    const forged = await api(h.url, '/agents/my', { token: `${token.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
  });

  it('accepts the Android {"type":"auth"} frame when the token is right', async () => {
    h = await startHub();
    const a = await registerAgent(h.url, 'droid');
    const ws = await openWs(h.wsUrl, a.agent_id);
    sockets.push(ws);
    ws.send(JSON.stringify({ type: 'auth', token: a.agent_token, request_id: 'droid-1' }));
    const r = await ws.waitFor((f) => f.request_id === 'droid-1');
    expect(r).toMatchObject({ ok: true, data: { authenticated: true } });
  });

  it('keeps tokens and passwords out of the log when requests succeed and fail', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const hub = await buildHub({ dataDir: tempDir(), logger: createLogger({ level: 'trace', destination: sink }) });
    const { url, port } = await hub.listen();
    let agentToken = '';
    try {
      const a = await registerAgent(url, 'logged');
      agentToken = a.agent_token;
      await api(url, '/topics/subscribed', { token: a.agent_token });
      await api(url, '/topics/subscribed', { token: 'wrong-token-value-123456' });
      await api(url, '/auth/register', { body: { email: 'log@example.com', password: 'hunter2hunter2' } });
      await api(url, '/auth/login', { body: { email: 'log@example.com', password: 'wrong-password-xyz' } });
      const ws = await openWs(`ws://127.0.0.1:${port}/ws`, a.agent_id, a.agent_token);
      ws.send(`{"action":"auth","token":"${a.agent_token}`);
      await ws.waitFor((f) => f.type === 'action_result' && f.ok === false);
      await ws.close();
    } finally {
      await hub.close();
    }
    const text = lines.join('');
    expect(text).toContain('"route":"/topics/subscribed"');
    for (const secret of ['wrong-token-value-123456', 'hunter2hunter2', 'wrong-password-xyz']) expect(text).not.toContain(secret);
    expect(agentToken.length).toBeGreaterThan(20);
    expect(text).not.toContain(agentToken);
  });
});
