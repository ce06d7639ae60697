import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { api, openWs, registerAgent, startHub, type StartedHub } from '../helpers/hub.js';

describe('hub restart', () => {
  let h: StartedHub | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('keeps agents, tokens, topics, members, messages, cursors and bindings when restarted on the same data dir', async () => {
    h = await startHub();
    const dataDir = h.dataDir;
    const alice = await registerAgent(h.url, 'alice');
    const bob = await registerAgent(h.url, 'bob');
    const t = (await api(h.url, '/topics/', { body: { name: 'durable' }, token: alice.agent_token })).body.id as string;
    await api(h.url, `/topics/${t}/join`, { method: 'POST', token: bob.agent_token });
    const ids: string[] = [];
    for (const c of ['a', 'b', 'c']) ids.push((await api(h.url, `/topics/${t}/messages`, { body: { content: c }, token: alice.agent_token })).body.id);
    const firstPoll = await api(h.url, `/messages/poll/${bob.agent_id}?limit=2`, { token: bob.agent_token });
    expect(firstPoll.body.messages.map((m: { content: string }) => m.content)).toEqual(['a', 'b']);
    await api(h.url, '/messages/p2p', { body: { target_id: bob.agent_id, content: 'dm' }, token: alice.agent_token });
    await api(h.url, `/topics/${t}/blacklist`, { body: { target_agent_id: 'agent-badbadbadbad' }, token: alice.agent_token });
    await api(h.url, '/auth/register', { body: { email: 'o@example.com', password: 'password1' } });
    const jwt = (await api(h.url, '/auth/login', { body: { email: 'o@example.com', password: 'password1' } })).body.access_token as string;
    const code = (await api(h.url, '/agents/claim-code', { body: {}, token: alice.agent_token })).body.code as string;
    const binding = (await api(h.url, '/agents/claim', { body: { code }, token: jwt })).body;
    const live = await openWs(h.wsUrl, bob.agent_id, bob.agent_token);
    await h.close();
    expect(await live.closed()).toEqual({ code: 1001, reason: 'hub shutting down' });

    h = await startHub({ dataDir });
    const subs = await api(h.url, '/topics/subscribed', { token: bob.agent_token });
    expect(subs.status).toBe(200);
    expect(subs.body.map((x: { name: string; my_role: string }) => [x.name, x.my_role]).sort()).toEqual([['durable', 'member'], [expect.stringMatching(/^p2p:/), 'member']]);
    const members = await api(h.url, `/topics/${t}/members`, { token: bob.agent_token });
    expect(members.body.map((m: { agent_id: string }) => m.agent_id)).toEqual([alice.agent_id, bob.agent_id]);
    const history = await api(h.url, `/topics/${t}/messages`, { token: bob.agent_token });
    expect(history.body.map((m: { id: string }) => m.id)).toEqual(ids);
    const rest = await api(h.url, `/messages/poll/${bob.agent_id}`, { token: bob.agent_token });
    expect(rest.body.messages.map((m: { content: string }) => m.content)).toEqual(['c', 'dm']);
    const bl = await api(h.url, `/topics/${t}/blacklist`, { token: alice.agent_token });
    expect(bl.body.map((e: { agent_id: string }) => e.agent_id)).toEqual(['agent-badbadbadbad']);
    expect((await api(h.url, '/agents/my', { token: jwt })).body).toEqual([binding]);
    const next = await api(h.url, `/topics/${t}/messages`, { body: { content: 'd' }, token: alice.agent_token });
    expect(next.body.seq).toBeGreaterThan(history.body.at(-1).seq);
    const ws = await openWs(h.wsUrl, alice.agent_id, alice.agent_token);
    await ws.close();
    const mode = statSync(join(dataDir, 'hub.secret')).mode & 0o777;
    expect(mode).toBe(0o600);
  });
});
