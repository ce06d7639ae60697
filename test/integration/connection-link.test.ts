/**
 * The link (connection machine + WttSocket + WttApi + store + intake) against the REAL hub on
 * 127.0.0.1, in process. (c) "server closes the socket cleanly 20 times" lives here.
 */
import { describe, expect, it } from 'vitest';
import { reconnectCeilingMs } from '../../machines/backoff.js';
import type { ConnectionStatus } from '../../machines/connection.machine.js';
import { catchUp, isInitialized } from '../../src/runtime/catchup.js';
import { Intake } from '../../src/runtime/intake.js';
import { Link, type LinkConfig, type LinkTuning } from '../../src/runtime/link.js';
import { StateStore } from '../../src/runtime/store.js';
import type { Message } from '../../src/protocol/index.js';
import { registerAgent, startHub } from '../helpers/hub.js';
import { agentApi, hubFor, linkConfig as baseConfig, tempStateDir, until, useCleanups, type AgentCredentials } from '../helpers/client.js';

const onCleanup = useCleanups();
const hub = () => hubFor(onCleanup);
const linkConfig = (h: { url: string; wsUrl: string }, agent: AgentCredentials, stateDir: string): LinkConfig => baseConfig(h, agent, { stateDir });

function startLink(cfg: LinkConfig, tuning: LinkTuning = { backoffBaseMs: 20, backoffCapMs: 200 }) {
  const got: Message[] = [];
  const link = new Link({ config: cfg, tuning, onMessage: (m) => got.push(m) });
  onCleanup(() => link.stop());
  link.start();
  return { link, got };
}

const stateDir = () => tempStateDir();
const api = (h: { url: string }, a: AgentCredentials) => agentApi(h.url, a);

describe('Link against the hub', () => {
  it('hands on a message published by another agent once when the link is live', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const b = await registerAgent(h.url, 'bob');
    const topic = await api(h, b).createTopic({ name: 'news' });
    await api(h, a).joinTopic(topic.id);
    const { link, got } = startLink(linkConfig(h, a, stateDir()));
    await link.waitForStatus((s) => s.state === 'live', 10_000);
    const sent = await api(h, b).publish({ topic_id: topic.id, content: 'hello alice' });
    await until(() => got.length >= 1, 5_000, 'the pushed message');
    expect(got.map((m) => [m.id, m.content, m.sender_id])).toEqual([[sent.id, 'hello alice', b.agent_id]]);
    expect((await link.socket())?.isOpen).toBe(true);
    expect(link.counts).toMatchObject({ delivered: 1, invalid: 0 });
  });

  it('starts from now on first start and catches up what was missed on the next start', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const b = await registerAgent(h.url, 'bob');
    const topic = await api(h, b).createTopic({ name: 'news' });
    await api(h, a).joinTopic(topic.id);
    await api(h, b).publish({ topic_id: topic.id, content: 'old news' });
    const dir = stateDir();

    const first = startLink(linkConfig(h, a, dir));
    await first.link.waitForStatus((s) => s.state === 'live', 10_000);
    expect(first.got).toEqual([]);
    await first.link.stop();

    const missed = [];
    for (let i = 0; i < 250; i++) missed.push((await api(h, b).publish({ topic_id: topic.id, content: `missed ${i}` })).id);
    const p2p = await api(h, b).p2p({ target_agent_id: a.agent_id, content: 'psst' });

    const second = startLink(linkConfig(h, a, dir));
    await second.link.waitForStatus((s) => s.state === 'live', 10_000);
    await until(() => second.got.length >= 251, 5_000, 'the missed messages');
    const topicIds = second.got.filter((m) => m.topic_id === topic.id).map((m) => m.id);
    expect(topicIds).toEqual(missed);
    expect(second.got.filter((m) => m.topic_id !== topic.id).map((m) => [m.id, m.content])).toEqual([[p2p.id, 'psst']]);
    expect(second.got).toHaveLength(251);
  });

  it('catches up 20 topics at once with every missed message once and each topic in its order', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const b = await registerAgent(h.url, 'bob');
    const topics = [];
    for (let i = 0; i < 20; i++) {
      const t = await api(h, b).createTopic({ name: `t${i}` });
      await api(h, a).joinTopic(t.id);
      topics.push(t.id);
    }
    const dir = stateDir();
    const first = startLink(linkConfig(h, a, dir));
    await first.link.waitForStatus((s) => s.state === 'live', 10_000);
    await first.link.stop();

    const missed = new Map<string, string[]>(topics.map((t) => [t, []]));
    for (let n = 0; n < 15; n++) {
      for (const t of topics) missed.get(t)?.push((await api(h, b).publish({ topic_id: t, content: `${t} #${n}` })).id);
    }
    const second = startLink(linkConfig(h, a, dir));
    await second.link.waitForStatus((s) => s.state === 'live', 10_000);
    await until(() => second.got.length >= 300, 10_000, 'the missed messages of 20 topics');
    expect(second.got).toHaveLength(300);
    for (const t of topics) expect(second.got.filter((m) => m.topic_id === t).map((m) => m.id)).toEqual(missed.get(t));
  });

  it('delivers messages by REST poll when the socket cannot connect', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const b = await registerAgent(h.url, 'bob');
    const topic = await api(h, b).createTopic({ name: 'news' });
    await api(h, a).joinTopic(topic.id);
    const dead = await startHub({ rateLimit: false });
    const deadWs = dead.wsUrl;
    await dead.close();
    const { link, got } = startLink({ ...linkConfig(h, a, stateDir()), wsUrl: deadWs }, { backoffBaseMs: 20, backoffCapMs: 100 });
    await link.waitForStatus((s) => s.state === 'polling', 10_000);
    // The first poll round of a fresh state file sets the starting point ("from now").
    await until(() => isInitialized(link.store), 5_000, 'the first poll round');
    const sent = await api(h, b).publish({ topic_id: topic.id, content: 'by poll' });
    await until(() => got.length >= 1, 5_000, 'the polled message');
    expect(got.map((m) => m.id)).toEqual([sent.id]);
    expect(link.status?.state).toBe('polling');
  });

  it('pages back with before until the cursor when the server has no after extension', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const topic = await api(h, a).createTopic({ name: 'log' });
    const first = await api(h, a).publish({ topic_id: topic.id, content: 'seen' });
    const store = StateStore.open({ stateDir: stateDir() });
    onCleanup(() => store.close());
    store.setKv('catchup_initialized', '1');
    store.markHandled(first);
    const later = [];
    for (let i = 0; i < 23; i++) later.push((await api(h, a).publish({ topic_id: topic.id, content: `n${i}` })).id);
    const got: string[] = [];
    const intake = new Intake({ store, onMessage: (m) => got.push(m.id) });
    const r = await catchUp({ api: api(h, a), intake, store, features: [], pageLimit: 5 });
    expect(got).toEqual(later);
    expect(r.delivered).toBe(23);
    const again = await catchUp({ api: api(h, a), intake, store, features: [], pageLimit: 5 });
    expect(again.delivered).toBe(0);
  });

  it('catches up a topic joined long ago when the subscribed list is full of newer topics', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const old = await api(h, a).createTopic({ name: 'old' });
    const seen = await api(h, a).publish({ topic_id: old.id, content: 'seen' });
    // Newer topics fill the list (newest joined first): with a limit of 3, `old` is not listed.
    for (let i = 0; i < 3; i++) await api(h, a).createTopic({ name: `task ${i}` });
    const listed = await api(h, a).subscribedTopics({ limit: 3 });
    expect(listed.map((t) => t.id)).not.toContain(old.id);
    const store = StateStore.open({ stateDir: stateDir() });
    onCleanup(() => store.close());
    store.setKv('catchup_initialized', '1');
    store.markHandled(seen);
    const missed = [];
    for (let i = 0; i < 4; i++) missed.push((await api(h, a).publish({ topic_id: old.id, content: `missed ${i}` })).id);
    const got: string[] = [];
    const intake = new Intake({ store, onMessage: (m) => got.push(m.id) });
    const r = await catchUp({ api: api(h, a), intake, store, features: ['history_after'], topicsLimit: 3 });
    expect(got).toEqual(missed);
    expect(r.topics).toBe(4);
  });

  it('catches up everything in one run when the hub cuts its history pages at the response size cap', async () => {
    // ~1.5 KB messages against a 4 KiB cap: a page asked for 5 comes back with 2 and X-WTT-Truncated.
    const { startHub } = await import('../helpers/hub.js');
    const h = await startHub({ rateLimit: false, limits: { maxResponseBytes: 4096 } });
    onCleanup(() => h.close());
    const a = await registerAgent(h.url, 'alice');
    const topic = await api(h, a).createTopic({ name: 'big' });
    const first = await api(h, a).publish({ topic_id: topic.id, content: 'seen' });
    const store = StateStore.open({ stateDir: stateDir() });
    onCleanup(() => store.close());
    store.setKv('catchup_initialized', '1');
    store.markHandled(first);
    const big = (tag: string, i: number) => `${tag} ${i} ${'x'.repeat(1500)}`;
    const back: string[] = [];
    for (let i = 0; i < 12; i++) back.push((await api(h, a).publish({ topic_id: topic.id, content: big('back', i) })).id);
    const page = await api(h, a).topicMessagesRaw(topic.id, { limit: 5 });
    expect(page.items.length).toBeLessThan(5);
    expect(page.truncated).toBe(true);

    const got: string[] = [];
    const intake = new Intake({ store, onMessage: (m) => got.push(m.id) });
    // Paging back with `before` (no cursor yet): a short cut page is not the cursor's end.
    const r1 = await catchUp({ api: api(h, a), intake, store, features: [], pageLimit: 5 });
    expect(got).toEqual(back);
    expect(r1.delivered).toBe(12);

    // Paging forward with `after` from the cursor: a short cut page is not the newest one.
    const forward: string[] = [];
    for (let i = 0; i < 12; i++) forward.push((await api(h, a).publish({ topic_id: topic.id, content: big('fwd', i) })).id);
    got.length = 0;
    const r2 = await catchUp({ api: api(h, a), intake, store, features: ['history_after'], pageLimit: 5 });
    expect(got).toEqual(forward);
    expect(r2.delivered).toBe(12);
  });

  it('dials again only after a backoff each time the server closes the socket cleanly, 20 times', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'alice');
    const base = 20;
    const cap = 200;
    const { link } = startLink(linkConfig(h, a, stateDir()), { backoffBaseMs: base, backoffCapMs: cap });
    const seen: ConnectionStatus[] = [];
    link.onStatus((s) => seen.push(s));
    for (let i = 0; i < 20; i++) {
      await link.waitForStatus((s) => s.state === 'live', 10_000);
      expect(h.hub.connections(a.agent_id)).toBe(1);
      expect(h.hub.disconnectAgent(a.agent_id)).toBe(1);
      await link.waitForStatus((s) => s.state === 'backoff', 5_000);
    }
    await link.waitForStatus((s) => s.state === 'live', 10_000);
    const backoffs = seen.filter((s): s is Extract<ConnectionStatus, { state: 'backoff' }> => s.state === 'backoff');
    expect(backoffs).toHaveLength(20);
    // Every reconnect went through backoff: between two dials there is always a backoff.
    const states = seen.map((s) => s.state);
    for (let i = 1; i < states.length; i++) {
      if (states[i] === 'connecting') expect(states[i - 1]).toBe('backoff');
    }
    // Each close is a link lost soon after opening: the first redial (attempt 1) of a growing flap streak.
    const flaps = backoffs.map((s) => s.flaps);
    expect(backoffs.every((s) => s.attempt === 1)).toBe(true);
    expect(flaps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const s of backoffs) {
      expect(s.delayMs).toBeGreaterThanOrEqual(0);
      expect(s.delayMs).toBeLessThan(reconnectCeilingMs({ attempt: s.attempt, downMs: 0, flaps: s.flaps }, { baseMs: base, capMs: cap }));
      expect(s.reason).toContain('closed 1000');
    }
  });
});
