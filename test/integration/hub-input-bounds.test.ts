/**
 * No 5xx for client input: bodies and frames nested past `maxJsonDepth` are refused before anything
 * parses or serialises them (4xx naming the limit, the WS `request_id` kept), file names the
 * filesystem refuses are 4xx, and a fast-check property over generated bodies and frames (deep,
 * wide, long names) never sees a 5xx or an `internal error`. Nothing leaves 127.0.0.1.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { api, createTopic, useHub } from '../helpers/hub.js';

const nested = (depth: number, leaf: unknown = 1): string => `${'{"a":'.repeat(depth)}${JSON.stringify(leaf)}${'}'.repeat(depth)}`;
const nestedArr = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('hub input bounds', () => {
  const fx = useHub(['alice', 'bob'], { rateLimit: false });

  it('refuses metadata nested thousands of levels deep with a 400 naming maxJsonDepth, over REST and WS', async () => {
    const [alice] = fx.agents;
    const topic = await createTopic(fx.h, alice, { name: 'deep' });
    const deep = nested(5000);
    expect(deep.length).toBeGreaterThan(25_000);
    for (const body of [`{"content":"hi","metadata":${deep}}`, `{"content":"hi","metadata":${nestedArr(4000)}}`, `{"content":"hi","metadata":${JSON.stringify(deep)}}`]) {
      const r = await api(fx.h.url, `/topics/${topic}/messages`, { body, token: alice.agent_token });
      expect(r.status, body.slice(0, 60)).toBe(400);
      expect(r.body.detail).toMatch(/deeper than 64 levels \(limit maxJsonDepth, --max-json-depth\)/);
    }
    // Depth 60 is fine.
    const ok = await api(fx.h.url, `/topics/${topic}/messages`, { body: `{"content":"hi","metadata":${nested(60)}}`, token: alice.agent_token });
    expect(ok.status).toBe(200);

    const ws = await fx.ws(alice);
    for (const [i, meta] of [nested(5000), nestedArr(3000), JSON.stringify(nested(3000))].entries()) {
      const request_id = `deep-${i}`;
      ws.send(`{"action":"publish","request_id":"${request_id}","topic_id":"${topic}","content":"x","metadata":${meta}}`);
      const r = await ws.waitFor((f) => f.type === 'action_result' && f.request_id === request_id);
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/deeper than 64 levels/);
      expect(r.status).toBe(400);
    }
    expect((await ws.request({ action: 'subscribed' })).ok).toBe(true);
    expect((await api(fx.h.url, '/health')).status).toBe(200);
  });

  it('answers 4xx for memory paths the filesystem refuses (names too long, a file used as a directory)', async () => {
    const [alice] = fx.agents;
    const topic = await createTopic(fx.h, alice, { name: 'paths' });
    const exp = (target_path: string) => api(fx.h.url, '/memory/recall/export', { body: { topic_id: topic, target_path }, token: alice.agent_token });
    const read = (target_path: string) => api(fx.h.url, `/memory/recall/read?target_path=${encodeURIComponent(target_path)}`, { token: alice.agent_token });
    for (const bad of [`${'n'.repeat(300)}.md`, `dir/${'é'.repeat(200)}.md`, `${'d'.repeat(256)}/x.md`]) {
      for (const r of [await exp(bad), await read(bad)]) {
        expect(r.status, bad.slice(0, 40)).toBe(400);
        expect(r.body.detail).toMatch(/target_path/);
      }
    }
    const long = Array.from({ length: 60 }, () => 'abcdefghijklmnopqrstu').join('/');
    for (const r of [await exp(long), await read(long)]) {
      expect([400, 422]).toContain(r.status);
      expect(r.body.detail).toMatch(/target_path/);
    }
    expect((await exp('plain.md')).status).toBe(200);
    const under = await exp('plain.md/inner.md');
    expect(under.status).toBe(400);
    expect(under.body.detail).toMatch(/is a file, not a directory/);
    expect((await read('plain.md/inner.md')).status).toBeLessThan(500);
  });

  it('never answers 5xx to generated bodies: deep, wide, long strings, long paths (fast-check)', { timeout: 180_000 }, async () => {
    const [alice, bob] = fx.agents;
    const topic = await createTopic(fx.h, alice, { name: 'property' }, [bob]);
    const task = (await api(fx.h.url, '/tasks', { body: { title: 'property task' }, token: alice.agent_token })).body.id as string;
    const targets = [
      `/topics/${topic}/messages`, '/messages/', '/messages/p2p', '/memory/recall/export', '/tasks', `/tasks/${task}`,
      '/rich/publish', '/talk/random', '/topics/', '/agents/claim-code', '/tasks/pipelines',
      '/media/sign', '/media/commit', `/agents/${alice.agent_id}/set-name`,
    ];
    const leaf = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.boolean(), fc.constant(null), fc.string({ minLength: 200, maxLength: 400 }));
    const deepText = fc.tuple(fc.integer({ min: 1, max: 6000 }), fc.constantFrom('{"a":', '[', '{"metadata":')).map(([d, open]) =>
      `${open.repeat(d)}1${(open === '[' ? ']' : '}').repeat(d)}`);
    const field = fc.oneof(leaf, deepText.map((t) => ({ raw: t })));
    const body = fc
      .record({
        content: field, metadata: field, title: field, name: field, topic_id: fc.oneof(fc.constant(topic), leaf),
        target_path: fc.oneof(leaf, fc.integer({ min: 1, max: 5000 }).map((n) => `${'x'.repeat(n)}.md`), fc.array(fc.constantFrom('a', 'b'.repeat(300)), { maxLength: 40 }).map((a) => a.join('/'))),
        target_agent_id: fc.oneof(fc.constant(bob.agent_id), leaf), text: field, blocks: field,
        filename: field, mime_type: fc.oneof(fc.constantFrom('image/png', 'text/html'), leaf), size: fc.oneof(fc.integer(), leaf), upload_token: field, display_name: field,
      }, { requiredKeys: [] })
      .map((o) => `{${Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}:${typeof v === 'object' && v !== null && 'raw' in v ? (v as { raw: string }).raw : JSON.stringify(v)}`).join(',')}}`);
    const bad: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), fc.constantFrom('POST', 'PATCH'), body, async (path, method, text) => {
        const r = await api(fx.h.url, path, { method, body: text, token: alice.agent_token });
        if (r.status >= 500 || (r.status >= 400 && typeof r.body?.detail !== 'string')) bad.push(`${method} ${path} ${text.slice(0, 80)} → ${r.status}`);
        return r.status < 500;
      }),
      { numRuns: 150, seed: 1212 },
    );
    expect(bad).toEqual([]);
  });

  it('never answers 5xx to generated media uploads: any content type, any bytes, any token (fast-check)', { timeout: 180_000 }, async () => {
    const [alice] = fx.agents;
    const sign = await api(fx.h.url, '/media/sign', { body: { filename: 'f.bin', mime_type: 'application/octet-stream', size: 4096 }, token: alice.agent_token });
    const url = sign.body.upload_url as string;
    const bad: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(url), fc.string({ maxLength: 300 }).map((t) => `${fx.h.url}/media/upload/${encodeURIComponent(t) || 'x'}`)),
        fc.oneof(fc.constantFrom('application/json', 'text/plain', 'image/png', 'multipart/form-data; boundary=x', ''), fc.string({ maxLength: 40 }).filter((t) => /^[\x21-\x7e]*$/.test(t))),
        fc.uint8Array({ maxLength: 6000 }),
        async (target, type, bytes) => {
          const res = await fetch(target, { method: 'PUT', headers: type ? { 'content-type': type } : {}, body: bytes });
          const text = await res.text();
          let detailOk = true;
          try {
            const b = JSON.parse(text) as { detail?: unknown };
            detailOk = res.status < 400 || typeof b.detail === 'string';
          } catch {
            detailOk = false;
          }
          if (res.status >= 500 || !detailOk) bad.push(`${type} ${bytes.length} → ${res.status} ${text.slice(0, 80)}`);
          return res.status < 500;
        },
      ),
      { numRuns: 120, seed: 5656 },
    );
    expect(bad).toEqual([]);
  });

  it('never answers a generated frame with a 5xx or without its request_id (fast-check)', { timeout: 180_000 }, async () => {
    const [alice] = fx.agents;
    const topic = await createTopic(fx.h, alice, { name: 'frames' });
    const ws = await fx.ws(alice);
    const action = fc.constantFrom('publish', 'history', 'poll', 'create', 'typing', 'p2p', 'find', 'list', 'detail');
    const deep = fc.integer({ min: 1, max: 5000 }).map((d) => nested(d));
    const frame = fc.tuple(action, fc.oneof(deep, fc.string({ maxLength: 50 }).map((s) => JSON.stringify(s)), fc.constant('null')), fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/["\\]/.test(s)));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(frame, async ([a, meta, id]) => {
        const request_id = `p${++n}-${id}`;
        ws.send(`{"request_id":${JSON.stringify(request_id)},"action":"${a}","topic_id":"${topic}","content":"x","query":"q","name":"n","state":"start","target_agent_id":"nobody","metadata":${meta}}`);
        const r = await ws.waitFor((f) => f.type === 'action_result' && f.request_id === request_id);
        return r.status !== 500 && r.error !== 'internal error';
      }),
      { numRuns: 200, seed: 3434 },
    );
    expect(ws.frames.some((f) => f.type === 'action_result' && f.request_id === null)).toBe(false);
  });
});
