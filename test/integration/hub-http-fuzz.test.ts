/**
 * Every route the hub serves (core and areas, read from `hub.routes`) fed malformed and mistyped
 * JSON bodies and query strings: each answer is a 2xx or a 4xx with a `{detail}` text, never a 500,
 * and the hub keeps serving afterwards. Bodies never contain a URL, so nothing leaves 127.0.0.1.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HubRoute } from '../../src/hub/index.js';
import { api, useHub } from '../helpers/hub.js';

const RAW_BODIES: readonly string[] = [
  '{"name": ',
  'nul',
  '[1, 2',
  '{"__proto__": {"polluted": true}}',
  '{"constructor": {"prototype": {"polluted": true}}}',
  'null',
  '[]',
  '"just a string"',
  '12345',
  'true',
  '{}',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  '\u0000',
  '{"content": "\\ud800", "title": "\\udfff"}',
  JSON.stringify({
    topic_id: 1, content: [], agent_id: {}, sender_id: 7, target_id: [], target_agent_id: null, title: null, status: 5,
    action: [], limit: 'many', offset: -3, url: 7, target_path: ['..'], blocks: 'x', task_ids: 'x', depends_on_task_id: {},
    name: { deep: true }, code: 42, email: [], password: {}, token: 1, mode: [], required: 'sometimes', auto_review: 'perhaps',
  }),
];

const RANDOM_BODIES: readonly string[] = fc
  .sample(fc.jsonValue({ maxDepth: 3 }), { numRuns: 8, seed: 424242 })
  .map((v) => JSON.stringify(v) ?? 'null')
  .filter((s) => !/https?:|:\/\//i.test(s));

const BAD_QUERY =
  '?limit=abc&offset=-1&before=&after=&since_id=&agent_id=&agent_id=x&status=,,&delete_topic=maybe&tail_lines=0&target_path=&format=&page=0&query=';

/** Routes that change or remove state run last, so the others still find what they name. */
const ORDER: Readonly<Record<string, number>> = { GET: 0, POST: 1, PATCH: 2, DELETE: 3 };

describe.each(['required', 'legacy'] as const)('hub http robustness (%s auth)', (authMode) => {
  const fx = useHub(['alice', 'bob'], { authMode, rateLimit: false });

  it('answers every route with 2xx or a 4xx {detail} and never 500 when bodies and queries are malformed', { timeout: 180_000 }, async () => {
    const { h } = fx;
    const [alice, bob] = fx.agents;
    const topicId = (await api(h.url, '/topics/', { body: { name: 'fuzzed' }, token: alice.agent_token })).body.id as string;
    const taskId = (await api(h.url, '/tasks', { body: { title: 'fuzzed task' }, token: alice.agent_token })).body.id as string;
    const depId = (await api(h.url, '/tasks', { body: { title: 'upstream' }, token: alice.agent_token })).body.id as string;
    const pipelineId = (await api(h.url, '/tasks/pipelines', { body: { name: 'fuzzed pipeline' }, token: alice.agent_token })).body.id as string;

    const routes = [...h.hub.routes].sort((a, b) => (ORDER[a.method] ?? 9) - (ORDER[b.method] ?? 9));
    expect(routes.length).toBeGreaterThan(55);
    const pathOf = (r: HubRoute) =>
      r.url
        .replace(':topic_id', topicId)
        .replace(':agent_id', alice.agent_id)
        .replace(':target', bob.agent_id)
        .replace(':dep', depId)
        .replace(':id', r.url.startsWith('/tasks/pipelines/') ? pipelineId : taskId);

    const failures: string[] = [];
    let requests = 0;
    const check = async (r: HubRoute, path: string, init: { body?: string; headers?: Record<string, string> }, what: string) => {
      const token = authMode === 'required' ? alice.agent_token : undefined;
      const res = await api(h.url, path, { method: r.method, ...init, ...(token ? { token } : {}) });
      requests++;
      const ok = res.status < 400 || (res.status < 500 && typeof res.body?.detail === 'string');
      if (!ok) failures.push(`${r.method} ${r.url} ${what} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    };

    for (const r of routes) {
      const path = pathOf(r);
      await check(r, `${path}${BAD_QUERY}`, {}, 'bad query');
      if (r.method === 'GET') continue;
      for (const body of [...RAW_BODIES, ...RANDOM_BODIES]) await check(r, path, { body }, `body ${body.slice(0, 40)}`);
      await check(r, path, { body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 'form body');
      await check(r, path, { body: 'plain words', headers: { 'content-type': 'text/plain' } }, 'text body');
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(routes.length * 10);

    const health = await api(h.url, '/health');
    expect(health.status).toBe(200);
    const fresh = await api(h.url, '/topics/', { body: { name: 'after the storm' }, token: bob.agent_token });
    expect(fresh.status).toBe(200);
  });
});
