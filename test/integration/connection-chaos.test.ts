/**
 * The link against the REAL hub run as a child process that the test kills (a) and freezes (b).
 * Needs `npm run build` (bin/wtt runs dist/).
 */
import { describe, expect, it } from 'vitest';
import type { WttApi } from '../../src/client/api.js';
import { isWttError } from '../../src/errors.js';
import type { ConnectionStatus } from '../../machines/connection.machine.js';
import { Link, type LinkConfig, type LinkTuning } from '../../src/runtime/link.js';
import type { Message } from '../../src/protocol/index.js';
import { registerAgent } from '../helpers/hub.js';
import { spawnHub, type HubProcess } from '../helpers/hub-process.js';
import { agentApi, linkConfig as baseConfig, until, useCleanups, type AgentCredentials } from '../helpers/client.js';

const onCleanup = useCleanups();

async function hubProcess(opts: Parameters<typeof spawnHub>[0] = {}): Promise<HubProcess> {
  const h = await spawnHub(opts);
  onCleanup(() => h.kill());
  return h;
}

const linkConfig = (h: { url: string; wsUrl: string }, agent: AgentCredentials, over: Partial<LinkConfig> = {}): LinkConfig =>
  baseConfig(h, agent, { heartbeatMs: 500, livenessMs: 1_500, httpTimeoutMs: 1_000, ...over });

function startLink(cfg: LinkConfig, tuning: LinkTuning) {
  const got: Message[] = [];
  const statuses: ConnectionStatus[] = [];
  const link = new Link({ config: cfg, tuning, onMessage: (m) => got.push(m) });
  link.onStatus((s) => statuses.push(s));
  onCleanup(() => link.stop());
  link.start();
  return { link, got, statuses };
}

const api = (url: string, a: AgentCredentials, retries = 0) => agentApi(url, a, { timeoutMs: 2_000, retries });

/** Every message id of a topic in the hub, oldest first. */
async function history(client: WttApi, topicId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await client.topicMessages(topicId, { after, limit: 1000 });
    ids.push(...page.map((m) => m.id));
    if (page.length < 1000) return ids;
    after = page.at(-1)?.id;
  }
}

describe('Link when the hub dies or freezes', () => {
  it('delivers every message once, in order per topic, when the hub is killed while 1,000 messages are published', async () => {
    let h = await hubProcess();
    const port = h.port;
    const a = await registerAgent(h.url, 'reader');
    const b = await registerAgent(h.url, 'writer');
    const writer = api(h.url, b);
    const topics = [await writer.createTopic({ name: 'one' }), await writer.createTopic({ name: 'two' })];
    for (const t of topics) await api(h.url, a).joinTopic(t.id);
    const { link, got } = startLink(linkConfig(h, a), { backoffBaseMs: 50, backoffCapMs: 400, socketTimeoutMs: 2_000 });
    await link.waitForStatus((s) => s.state === 'live', 10_000);

    // The publisher retries until each message is accepted (a retry after a lost answer may store a
    // message twice: both copies are distinct messages with their own ids and must each arrive once).
    let published = 0;
    let failures = 0;
    const publisher = (async () => {
      for (let i = 0; i < 1_000; i++) {
        for (;;) {
          try {
            await writer.publish({ topic_id: (topics[i % 2] as { id: string }).id, content: `m${i}` });
            published++;
            break;
          } catch (e) {
            if (!isWttError(e)) throw e;
            failures++;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }
    })();
    await until(() => published >= 300, 20_000, () => `300 published (now ${published})`);
    await h.kill();
    h = await hubProcess({ dataDir: h.dataDir, port });
    await publisher;
    expect(failures).toBeGreaterThan(0);

    const reader = api(h.url, a, 2);
    const expected = new Map<string, string[]>();
    for (const t of topics) expected.set(t.id, await history(reader, t.id));
    const total = [...expected.values()].reduce((n, ids) => n + ids.length, 0);
    expect(total).toBeGreaterThanOrEqual(1_000);
    await until(() => got.length >= total, 30_000, () => `${total} delivered (now ${got.length})`);
    for (const t of topics) expect(got.filter((m) => m.topic_id === t.id).map((m) => m.id)).toEqual(expected.get(t.id));
    expect(new Set(got.map((m) => m.id)).size).toBe(got.length);
    const contents = new Set(got.map((m) => m.content));
    for (let i = 0; i < 1_000; i++) expect(contents.has(`m${i}`)).toBe(true);
  });

  it('detects a frozen hub within the liveness window, polls, and recovers after SIGCONT', async () => {
    const h = await hubProcess();
    const a = await registerAgent(h.url, 'reader');
    const b = await registerAgent(h.url, 'writer');
    const topic = await api(h.url, b).createTopic({ name: 'ice' });
    await api(h.url, a).joinTopic(topic.id);
    const livenessMs = 1_500;
    const { link, got, statuses } = startLink(linkConfig(h, a, { livenessMs }), {
      backoffBaseMs: 50,
      backoffCapMs: 200,
      socketTimeoutMs: 500,
      pollAfterFailures: 3,
    });
    await link.waitForStatus((s) => s.state === 'live', 10_000);

    h.freeze();
    const dead = await link.waitForStatus((s) => s.state === 'backoff', livenessMs + 1_000);
    expect(dead).toMatchObject({ state: 'backoff', reason: 'no frame within the liveness window' });
    await link.waitForStatus((s) => s.state === 'polling', 10_000);

    h.thaw();
    await link.waitForStatus((s) => s.state === 'live', 15_000);
    const sent = await api(h.url, b).publish({ topic_id: topic.id, content: 'thawed' });
    await until(() => got.some((m) => m.id === sent.id), 5_000, () => 'the message after recovery');
    const order = statuses.map((s) => s.state);
    const iDead = order.indexOf('backoff');
    const iPoll = order.indexOf('polling', iDead);
    expect(iDead).toBeGreaterThan(order.indexOf('live'));
    expect(iPoll).toBeGreaterThan(iDead);
    expect(order.lastIndexOf('live')).toBeGreaterThan(iPoll);
  });
});
