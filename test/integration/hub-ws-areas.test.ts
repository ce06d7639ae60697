/** A feature area adds its own WebSocket actions through `core.ws.action` and they behave like the core's. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WS_ACTIONS } from '../../src/protocol/index.js';
import { DEFAULT_AREAS, HubError, type HubArea } from '../../src/hub/index.js';
import { openWs, registerAgent, startHub, useHub } from '../helpers/hub.js';

const echoArea: HubArea = (core) => {
  core.ws.action('echo', {
    schema: z.looseObject({ action: z.literal('echo'), text: z.string().max(10) }),
    run: (agentId, input) => ({ text: input.text, agent_id: agentId, topics: core.topics.listPublic(5).length }),
  });
  core.ws.action('refuse', {
    schema: z.looseObject({ action: z.literal('refuse') }),
    run: () => {
      throw HubError.of('conflict', 'refused on purpose');
    },
  });
};

describe('hub WS actions from areas', () => {
  const fx = useHub(['alice', 'bob'], { areas: [...DEFAULT_AREAS, echoArea] });

  it('answers an area action as the connection\'s agent, with request_id, and keeps the core actions', async () => {
    const [alice] = fx.agents;
    const ws = await fx.ws(alice);
    expect(await ws.request({ action: 'echo', text: 'hello' })).toMatchObject({ type: 'action_result', ok: true, data: { text: 'hello', agent_id: alice.agent_id } });
    expect((await ws.request({ action: 'subscribed' })).ok).toBe(true);
  });

  it('refuses like the core: validation 422 naming the field, act-as 403, the area\'s own HubError, and nothing before auth', async () => {
    const [alice, bob] = fx.agents;
    const ws = await fx.ws(alice);
    const invalid = await ws.request({ action: 'echo', text: 'much too long for it' });
    expect(invalid).toMatchObject({ ok: false, status: 422, code: 'validation_failed' });
    expect(String(invalid.error)).toMatch(/^echo\.text: /);
    expect(await ws.request({ action: 'echo', text: 'x', agent_id: bob.agent_id })).toMatchObject({ ok: false, status: 403, code: 'forbidden' });
    expect(await ws.request({ action: 'refuse' })).toMatchObject({ ok: false, status: 409, code: 'conflict', error: 'refused on purpose' });
    const anon = await fx.ws(bob, { auth: false });
    expect(await anon.request({ action: 'echo', text: 'x' })).toMatchObject({ ok: false, code: 'unauthenticated' });
    expect(await anon.request({ action: 'nope' })).toMatchObject({ ok: false, error: "unknown action 'nope'" });
  });
});

describe('hub WS core actions', () => {
  const fx = useHub(['carol']);

  it('registers every protocol action in the registry: none is unknown, each validates its frame', async () => {
    const [carol] = fx.agents;
    const ws = await fx.ws(carol);
    for (const action of WS_ACTIONS.filter((a) => a !== 'auth')) {
      const r = await ws.request({ action, limit: 'x', topic_id: 7, query: 7, content: 7, state: 'x', name: 7 });
      expect(String(r.error ?? ''), action).not.toMatch(/unknown action/);
    }
  });
});

describe('hub WS action registration', () => {
  it('refuses an area that takes a core action\'s name or one already taken', async () => {
    const takesCore: HubArea = (core) => core.ws.action('publish', { schema: z.any(), run: () => null });
    await expect(startHub({ areas: [takesCore] })).rejects.toThrow("ws action 'publish' is the core's");
    const twice: HubArea = (core) => {
      core.ws.action('twice', { schema: z.any(), run: () => null });
      core.ws.action('twice', { schema: z.any(), run: () => null });
    };
    await expect(startHub({ areas: [twice] })).rejects.toThrow("ws action 'twice' is already registered");
    // A hub without area actions still works (no stray state from the refused builds).
    const h = await startHub();
    const a = await registerAgent(h.url, 'solo');
    const ws = await openWs(h.wsUrl, a.agent_id, a.agent_token);
    expect((await ws.request({ action: 'echo', text: 'x' })).error).toBe("unknown action 'echo'");
    await ws.close();
    await h.close();
  });
});
