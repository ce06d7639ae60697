/**
 * Quotas and fairness against the real hub: history, poll, feed and export answers cut at
 * `maxResponseBytes` (and saying so), paging on through the cut, per-agent memory files and bytes,
 * and a burst of frames from one socket that does not keep others from being answered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { api, openWs, registerAgent, startHub, type RegisteredAgent, type StartedHub, type TestSocket } from '../helpers/hub.js';

const KiB = 1024;

describe('hub response size and memory quotas', () => {
  let h: StartedHub | undefined;
  const sockets: TestSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) await s.close().catch(() => undefined);
    await h?.close();
    h = undefined;
  });

  /** A hub, an agent and a topic holding `n` messages of `size` bytes, numbered in their content. */
  async function filled(n: number, size: number, limits: Parameters<typeof startHub>[0] = {}): Promise<{ a: RegisteredAgent; topic: string; ids: string[] }> {
    await h?.close();
    h = await startHub({ rateLimit: false, ...limits });
    const a = await registerAgent(h.url, 'writer');
    const t = await api(h.url, '/topics/', { body: { name: 'big', type: 'discussion' }, token: a.agent_token });
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await api(h.url, `/topics/${t.body.id}/messages`, { body: { content: `${String(i).padStart(4, '0')}:${'x'.repeat(size)}` }, token: a.agent_token });
      expect(r.status).toBe(200);
      ids.push(r.body.id as string);
    }
    return { a, topic: t.body.id as string, ids };
  }

  it('cuts a history page at maxResponseBytes, keeps the newest, says so in headers, and pages back with before', async () => {
    const { a, topic, ids } = await filled(12, 20 * KiB, { limits: { maxResponseBytes: 64 * KiB } });
    const res = await fetch(`${h!.url}/topics/${topic}/messages?limit=12`, { headers: { authorization: `Bearer ${a.agent_token}` } });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * KiB);
    const page = JSON.parse(text) as { id: string }[];
    expect(page.length).toBeGreaterThan(0);
    expect(page.length).toBeLessThan(12);
    expect(res.headers.get('x-wtt-truncated')).toBe('true');
    expect(Number(res.headers.get('x-wtt-omitted'))).toBe(12 - page.length);
    expect(page.map((m) => m.id)).toEqual(ids.slice(12 - page.length));
    // Paging back with before = the first one returned reads every message once, in order.
    const seen = [...page.map((m) => m.id)];
    while (seen.length < 12) {
      const r = await api(h!.url, `/topics/${topic}/messages?limit=12&before=${seen[0]}`, { token: a.agent_token });
      expect(r.status).toBe(200);
      expect(r.body.length).toBeGreaterThan(0);
      seen.unshift(...(r.body as { id: string }[]).map((m) => m.id));
    }
    expect(seen).toEqual(ids);
    // With `after`, the oldest are kept, so `after` = the last one pages forward.
    const fwd = await api(h!.url, `/topics/${topic}/messages?limit=12&after=${ids[0]}`, { token: a.agent_token });
    expect(fwd.body.map((m: { id: string }) => m.id)).toEqual(ids.slice(1, 1 + fwd.body.length));
    expect(fwd.headers.get('x-wtt-truncated')).toBe('true');
    // A page that fits carries no such header.
    const small = await api(h!.url, `/topics/${topic}/messages?limit=2`, { token: a.agent_token });
    expect(small.body).toHaveLength(2);
    expect(small.headers.get('x-wtt-truncated')).toBeNull();
  });

  it('cuts poll, feed, WS history and export the same way, and poll loses nothing across cut pages', async () => {
    const { a, topic, ids } = await filled(10, 20 * KiB, { limits: { maxResponseBytes: 64 * KiB } });
    const polled: string[] = [];
    for (let i = 0; i < 20 && polled.length < 10; i++) {
      const r = await api(h!.url, `/messages/poll/${a.agent_id}?limit=100`, { token: a.agent_token });
      expect(r.status).toBe(200);
      if (polled.length + r.body.messages.length < 10) expect(r.body.truncated).toBe(true);
      polled.push(...(r.body.messages as { id: string }[]).map((m) => m.id));
    }
    expect(polled).toEqual(ids);
    const feed = await api(h!.url, '/feed?limit=10', { token: a.agent_token });
    expect(feed.body).toMatchObject({ truncated: true, page: 1, limit: 10 });
    expect(feed.body.messages[0].id).toBe(ids[9]);
    expect(feed.body.omitted).toBe(10 - feed.body.messages.length);
    const ws = await openWs(h!.wsUrl, a.agent_id, a.agent_token);
    sockets.push(ws);
    const hist = await ws.request({ action: 'history', topic_id: topic, limit: 10 });
    expect(hist).toMatchObject({ ok: true, truncated: true });
    expect((hist.data as unknown[]).length).toBe(10 - (hist.omitted as number));
    const exp = await api(h!.url, `/export/topic/${topic}?limit=10`, { token: a.agent_token });
    expect(exp.status).toBe(200);
    expect(exp.body).toMatchObject({ truncated: true, omitted: 10 - exp.body.count });
    expect(exp.body.content).toContain('0009:');
    expect(exp.body.content).not.toContain('0000:');
  });

  it('pages a cut topic export and memory export back with next_before until every message was exported once', async () => {
    const { a, topic, ids } = await filled(12, 20 * KiB, { limits: { maxResponseBytes: 64 * KiB, memoryMaxBytes: 100 * KiB, memoryMaxFiles: 20 } });
    const numbers = (content: string) => [...content.matchAll(/(\d{4}):x/g)].map((m) => Number(m[1]));
    const exported: number[] = [];
    let before: string | undefined;
    for (let i = 0; i < 12; i++) {
      const r = await api(h!.url, `/export/topic/${topic}?limit=12${before ? `&before=${before}` : ''}`, { token: a.agent_token });
      expect(r.status).toBe(200);
      expect(r.body.count).toBeGreaterThan(0);
      exported.unshift(...numbers(r.body.content as string));
      if (!r.body.truncated) break;
      expect(r.body.next_before).toBe(ids[12 - exported.length]);
      before = r.body.next_before as string;
    }
    expect(exported).toEqual(ids.map((_, i) => i));
    // The memory export (cut at memoryMaxBytes, which also bounds the agent's whole directory) offers
    // the same cursor: read each page, then export the next over it.
    const written: number[] = [];
    before = undefined;
    for (let i = 0; i < 12; i++) {
      const r = await api(h!.url, '/memory/recall/export', { body: { topic_id: topic, target_path: 'part.md', limit: 12, ...(before ? { before } : {}) }, token: a.agent_token });
      expect(r.status).toBe(200);
      const read = await api(h!.url, `/memory/recall/read?target_path=part.md&tail_lines=1000`, { token: a.agent_token });
      written.unshift(...numbers(read.body.content as string));
      if (!r.body.truncated) break;
      expect(r.body.next_before).toBeTruthy();
      before = r.body.next_before as string;
    }
    expect(written).toEqual(ids.map((_, i) => i));
    // An unknown cursor is a 404 naming it.
    const bad = await api(h!.url, `/export/topic/${topic}?before=nope`, { token: a.agent_token });
    expect(bad).toMatchObject({ status: 404 });
  });

  it('refuses a memory export past memoryMaxFiles or memoryMaxBytes with 413 naming the limit; overwriting stays possible', async () => {
    const { a, topic } = await filled(3, 2 * KiB, { limits: { memoryMaxFiles: 2, memoryMaxBytes: 16 * KiB } });
    const exp = (path: string, limit = 3) => api(h!.url, '/memory/recall/export', { body: { topic_id: topic, target_path: path, limit }, token: a.agent_token });
    expect((await exp('one.md')).status).toBe(200);
    expect((await exp('two.md')).status).toBe(200);
    const third = await exp('three.md');
    expect(third.status).toBe(413);
    expect(third.body.detail).toMatch(/memory quota: .*limit memoryMaxFiles, --memory-max-files/);
    expect((await exp('one.md', 1)).status).toBe(200);
    // A fresh hub where 8 messages of 3 KiB (about 24 KiB of markdown) fit 40 KiB once, not twice.
    const b = await filled(8, 3 * KiB, { limits: { memoryMaxFiles: 5, memoryMaxBytes: 40 * KiB } });
    const expB = (path: string) => api(h!.url, '/memory/recall/export', { body: { topic_id: b.topic, target_path: path, limit: 8 }, token: b.a.agent_token });
    const first = await expB('a.md');
    expect(first.status).toBe(200);
    const second = await expB('b.md');
    expect(second.status).toBe(413);
    expect(second.body.detail).toMatch(/limit memoryMaxBytes, --memory-max-bytes/);
    const read = await api(h!.url, '/memory/recall/read?target_path=b.md', { token: b.a.agent_token });
    expect(read.status).toBe(404);
  });
});

describe('hub fairness under a frame burst', () => {
  let h: StartedHub | undefined;
  const sockets: TestSocket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) await s.close().catch(() => undefined);
    await h?.close();
    h = undefined;
  });

  it('answers others\' /health and actions while one socket bursts 10,000 frames, and answers the burst in order', { timeout: 120_000 }, async () => {
    h = await startHub({ rateLimit: false });
    const loud = await registerAgent(h.url, 'loud');
    const quiet = await registerAgent(h.url, 'quiet');
    const burster = await openWs(h.wsUrl, loud.agent_id, loud.agent_token);
    const other = await openWs(h.wsUrl, quiet.agent_id, quiet.agent_token);
    sockets.push(burster, other);
    const N = 10_000;
    let answered = 0;
    let inOrder = true;
    let last = -1;
    burster.ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { request_id?: string };
      if (!f.request_id?.startsWith('b-')) return;
      const n = Number(f.request_id.slice(2));
      if (n <= last) inOrder = false;
      last = n;
      answered++;
    });
    const burst = Array.from({ length: N }, (_, i) => JSON.stringify({ action: 'subscribed', request_id: `b-${i}` }));
    for (const f of burst) burster.ws.send(f);

    const healthMs: number[] = [];
    const actionMs: number[] = [];
    let answeredAtFirstHealth = -1;
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      const r = await fetch(`${h.url}/health`);
      expect(r.status).toBe(200);
      await r.text();
      healthMs.push(performance.now() - t0);
      if (i === 0) answeredAtFirstHealth = answered;
      const t1 = performance.now();
      expect((await other.request({ action: 'subscribed' }, 60_000)).ok).toBe(true);
      actionMs.push(performance.now() - t1);
    }
    const answeredWhileOthersServed = answered;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${answered} of ${N} burst frames answered`)), 100_000);
      const check = setInterval(() => {
        if (answered === N) {
          clearTimeout(t);
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    const fmt = (xs: number[]) => `median ${[...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!.toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(
      `burst of ${N} frames: others' /health ${fmt(healthMs)}; others' WS action ${fmt(actionMs)}; ` +
        `burst frames answered when the first /health came back: ${answeredAtFirstHealth}, after 20 rounds: ${answeredWhileOthersServed}`,
    );
    expect(inOrder).toBe(true);
    expect(answered).toBe(N);
  });
});
