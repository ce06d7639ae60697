/** Every error carries a stable `code` from the registry (src/hub/errors.ts) beside `detail`, over REST and WS. */
import { describe, expect, it } from 'vitest';
import { HUB_ERRORS } from '../../src/hub/errors.js';
import { api, useHub } from '../helpers/hub.js';

describe('hub error codes', () => {
  // The hub's clock stands still, so the frame bucket is not refilled during the test.
  const fx = useHub(['alice'], { now: () => Date.parse('2026-06-01T12:00:00Z'), limits: { maxJsonDepth: 8, maxBodyBytes: 4096, wsFrameBurst: 4, wsFrameRate: 1 } });

  it('answers REST errors with a registered code whose status is the answer\'s', async () => {
    const [alice] = fx.agents;
    const deep = `{"content":"x","metadata":${'['.repeat(20)}${']'.repeat(20)}}`;
    const form = () =>
      fetch(`${fx.h.url}/topics/`, { method: 'POST', body: 'a=1', headers: { authorization: `Bearer ${alice.agent_token}`, 'content-type': 'application/x-www-form-urlencoded' } }).then(async (r) => ({ status: r.status, body: (await r.json()) as { detail: string; code: string } }));
    const cases: [() => Promise<{ status: number; body: { detail: string; code: string } }>, string][] = [
      [() => api(fx.h.url, '/nowhere'), 'not_found'],
      [() => api(fx.h.url, '/topics/', { body: '{not json', token: alice.agent_token }), 'malformed_json'],
      [() => api(fx.h.url, '/topics/', { body: deep, token: alice.agent_token }), 'json_too_deep'],
      [() => api(fx.h.url, '/topics/', { body: { name: 'x' } }), 'unauthenticated'],
      [() => api(fx.h.url, '/topics/', { body: { name: '' }, token: alice.agent_token }), 'validation_failed'],
      [form, 'unsupported_media_type'],
      [() => api(fx.h.url, '/topics/', { body: `{"name":"${'x'.repeat(5000)}"}`, token: alice.agent_token }), 'body_too_large'],
      [() => api(fx.h.url, '/preview/url', { body: { url: 'http://127.0.0.1:9/' }, token: alice.agent_token }), 'destination_refused'],
      [() => api(fx.h.url, '/memory/recall/read?target_path=../x', { token: alice.agent_token }), 'bad_path'],
      [() => api(fx.h.url, '/media/sign', { body: { filename: 'a', mime_type: 'text/html', size: 1 }, token: alice.agent_token }), 'media_type'],
      [() => api(fx.h.url, '/ws/agent-x'), 'upgrade_required'],
    ];
    for (const [p, code] of cases) {
      const r = await p();
      expect(r.body.code, `${code}: ${JSON.stringify(r.body).slice(0, 200)}`).toBe(code);
      expect(r.status, code).toBe(HUB_ERRORS[code as keyof typeof HUB_ERRORS].status);
      expect(typeof r.body.detail).toBe('string');
    }
  });

  it('names the field in 422s from zod route schemas as parse() does (body., query., path.)', async () => {
    const [alice] = fx.agents;
    const size = await api(fx.h.url, '/media/sign', { body: { filename: 'a', mime_type: 'image/png', size: 'ten' }, token: alice.agent_token });
    expect(size).toMatchObject({ status: 422, body: { code: 'validation_failed' } });
    expect(size.body.detail).toMatch(/^body\.size: /);
    const limit = await api(fx.h.url, '/export/topic/t?limit=abc', { token: alice.agent_token });
    expect(limit.status).toBe(422);
    expect(limit.body.detail).toMatch(/^query\.limit: limit must be a whole number/);
    const id = await api(fx.h.url, '/media/not-an-id');
    expect(id.status).toBe(422);
    expect(id.body.detail).toBe('path.id: not a media id');
    const empty = await api(fx.h.url, '/talk/random', { method: 'POST', token: alice.agent_token });
    expect(empty.status).toBe(422);
    expect(empty.body.detail).toMatch(/^body\.text: /);
  });

  it('puts the code on WS errors too, with the request_id', async () => {
    const [alice] = fx.agents;
    const ws = await fx.ws(alice);
    const notFound = await ws.request({ action: 'detail', topic_id: 'no-such-topic' });
    expect(notFound).toMatchObject({ ok: false, code: 'not_found', status: 404 });
    const deep = await ws.request({ action: 'publish', topic_id: 't', content: 'x', metadata: JSON.parse(`${'['.repeat(20)}${']'.repeat(20)}`) });
    expect(deep).toMatchObject({ ok: false, code: 'json_too_deep' });
    const invalid = await ws.request({ action: 'no-such-action' });
    expect(invalid).toMatchObject({ ok: false, code: 'validation_failed' });
    // The bucket (4 frames: auth and the three above; the hub's clock stands still) is spent.
    const limited = await ws.request({ action: 'subscribed' });
    expect(limited).toMatchObject({ ok: false, code: 'frame_rate', status: 429 });
  });
});
