import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWs, registerAgent, startHub, type StartedHub, type TestSocket } from '../helpers/hub.js';

describe.each(['required', 'legacy'] as const)('hub websocket robustness (%s auth)', (authMode) => {
  let h: StartedHub;
  let ws: TestSocket;
  beforeAll(async () => {
    // 1,500 frames in one burst: above the per-connection frame burst (tested in hub-input-bounds), so raise it here.
    h = await startHub({ rateLimit: false, authMode, limits: { wsFrameBurst: 5_000 } });
    const a = await registerAgent(h.url, 'fuzz');
    // The legacy skill never sends an auth frame; its socket acts as the path's agent at once.
    ws = await openWs(h.wsUrl, a.agent_id, authMode === 'required' ? a.agent_token : undefined);
  });
  afterAll(async () => {
    await ws.close();
    await h.close();
  });

  it('answers every random frame with exactly one reply and stays open when fed garbage', async () => {
    const action = fc.constantFrom('auth', 'list', 'find', 'join', 'leave', 'subscribed', 'publish', 'poll', 'p2p', 'history', 'detail', 'typing', 'create', 'nope');
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }));
    const frame = fc.oneof(
      fc.string({ maxLength: 200 }).filter((s) => s !== 'ping' && s !== 'pong'),
      fc.record({ action, request_id: fc.option(fc.string({ maxLength: 20 })), topic_id: value, content: value, limit: value, query: value, target_id: value, state: value, name: value }, { requiredKeys: ['action'] }).map((o) => JSON.stringify(o)),
      fc.jsonValue().map((v) => JSON.stringify(v)),
    ).filter((s) => !/"action"\s*:\s*"auth"/.test(s));
    const frames = fc.sample(frame, { numRuns: 1500, seed: 20251124 });
    const before = ws.frames.filter((f) => f.type === 'action_result').length;
    for (const f of frames) ws.send(f);
    ws.send('ping');
    await ws.waitFor((f) => f.type === 'pong', 15_000);
    const results = ws.frames.filter((f) => f.type === 'action_result').length - before;
    expect(results).toBe(frames.length);
    expect(ws.ws.readyState).toBe(ws.ws.OPEN);
    expect((await ws.request({ action: 'subscribed' })).ok).toBe(true);
  });
});
