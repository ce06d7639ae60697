#!/usr/bin/env node
/**
 * `npm run bench`: the runtime's speed and memory figures, printed as ONE JSON object on stdout.
 * Each subject has a baseline and a variant where that makes sense. Everything runs on 127.0.0.1
 * against the real hub (in process, port 0) with temp dirs; nothing is asserted here: numbers only.
 *
 *   npm run bench            # all subjects (builds dist/ first)
 *   node scripts/bench.mjs intake hub link cli
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(join(ROOT, 'dist', p)).href);
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: round(q(0.5), 2), p90: round(q(0.9), 2), p99: round(q(0.99), 2), max: round(s[s.length - 1], 2), n: s.length };
};
const temp = (p) => mkdtempSync(join(tmpdir(), p));
const mb = (b) => round(b / 1024 / 1024, 1);

function fakeMessage(i, topic = 't1') {
  return {
    id: `m-${i}`, topic_id: topic, sender_id: 'agent-000000000001', sender_type: 'agent', content_type: 'text',
    semantic_type: 'post', content: `message number ${i} `.repeat(4), created_at: new Date(1_700_000_000_000 + i).toISOString(), seq: i + 1,
  };
}

/** Intake: validate → dedupe → hand on → record, with and without zod validation, plus duplicate rejection. */
async function benchIntake() {
  const { StateStore } = await dist('src/runtime/store.js');
  const { Intake } = await dist('src/runtime/intake.js');
  const { Message } = await dist('src/protocol/index.js');
  const N = 3000;
  const run = (validate) => {
    const dir = temp('wtt-bench-intake-');
    const store = StateStore.open({ stateDir: dir });
    let delivered = 0;
    const intake = new Intake({ store, onMessage: () => { delivered++; } });
    const msgs = Array.from({ length: N }, (_, i) => fakeMessage(i));
    const parsed = validate ? null : msgs.map((m) => Message.parse(m));
    const t0 = performance.now();
    for (let i = 0; i < N; i++) validate ? intake.offer(msgs[i], 'live') : intake.accept(parsed[i], 'live');
    const ms = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < N; i++) intake.offer(msgs[i], 'live');
    const dupMs = performance.now() - t1;
    store.close();
    rmSync(dir, { recursive: true, force: true });
    return { delivered, msgsPerSec: Math.round(N / (ms / 1000)), duplicatesRejectedPerSec: Math.round(N / (dupMs / 1000)) };
  };
  const baseline = run(false);
  const variant = run(true);
  return { messages: N, baseline_prevalidated: baseline, variant_zod_validated: variant, note: 'each new message is one fsynced SQLite transaction (synchronous=FULL)' };
}

async function withHub(fn) {
  const { buildHub } = await dist('src/hub/index.js');
  const dataDir = temp('wtt-bench-hub-');
  const hub = await buildHub({ dataDir, logger: false, rateLimit: false });
  const { url } = await hub.listen({ host: '127.0.0.1', port: 0 });
  try {
    return await fn({ url, wsUrl: `${url.replace('http', 'ws')}/ws`, hub });
  } finally {
    await hub.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function register(url, name) {
  const { WttApi } = await dist('src/client/api.js');
  return new WttApi({ apiUrl: url }).register({ display_name: name });
}

/** Hub: REST publish latency, WebSocket publish → push latency on a second socket, history read. */
async function benchHub() {
  const { WttApi } = await dist('src/client/api.js');
  const { WttSocket } = await dist('src/client/socket.js');
  return withHub(async ({ url, wsUrl }) => {
    const a = await register(url, 'a');
    const b = await register(url, 'b');
    const apiA = new WttApi({ apiUrl: url, agentId: a.agent_id, agentToken: a.agent_token });
    const apiB = new WttApi({ apiUrl: url, agentId: b.agent_id, agentToken: b.agent_token });
    const topic = await apiA.createTopic({ name: 'bench', description: 'bench' });
    await apiB.joinTopic(topic.id);
    const rest = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await apiA.publish({ topic_id: topic.id, content: `rest ${i}` });
      rest.push(performance.now() - t0);
    }
    const sa = new WttSocket({ url: `${wsUrl}/${a.agent_id}`, token: a.agent_token });
    const sb = new WttSocket({ url: `${wsUrl}/${b.agent_id}`, token: b.agent_token });
    await sa.open();
    await sb.open();
    const push = [];
    for (let i = 0; i < 200; i++) {
      const content = `ws ${i}`;
      const t0 = performance.now();
      const got = new Promise((res) => {
        const on = (f) => { if (f.type === 'new_message' && f.message.content === content) { sb.off('frame', on); res(); } };
        sb.on('frame', on);
      });
      await sa.request('publish', { topic_id: topic.id, content });
      await got;
      push.push(performance.now() - t0);
    }
    sa.close();
    sb.close();
    const hist = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await apiB.topicMessages(topic.id, { limit: 100 });
      hist.push(performance.now() - t0);
    }
    return { rest_publish_ms: stats(rest), ws_publish_to_push_ms: stats(push), history_100_ms: stats(hist) };
  });
}

/** Link: the whole inbound path (socket → connection machine → intake → sink) under a burst, and its memory. */
async function benchLink() {
  const { Link } = await dist('src/runtime/link.js');
  const { WttSocket } = await dist('src/client/socket.js');
  const { WttApi } = await dist('src/client/api.js');
  const { deriveWsUrl } = await dist('src/config.js');
  return withHub(async ({ url, wsUrl }) => {
    const a = await register(url, 'a');
    const b = await register(url, 'b');
    const apiA = new WttApi({ apiUrl: url, agentId: a.agent_id, agentToken: a.agent_token });
    const topic = await apiA.createTopic({ name: 'burst', description: 'burst' });
    await new WttApi({ apiUrl: url, agentId: b.agent_id, agentToken: b.agent_token }).joinTopic(topic.id);
    const stateDir = temp('wtt-bench-link-');
    const N = 1000;
    let delivered = 0;
    let done;
    const all = new Promise((res) => { done = res; });
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    const link = new Link({
      config: { agentId: b.agent_id, agentToken: b.agent_token, apiUrl: url, wsUrl: deriveWsUrl(url), stateDir, heartbeatMs: 15000, livenessMs: 35000, pollIntervalMs: 30000, httpTimeoutMs: 30000 },
      onMessage: () => { if (++delivered === N) done(); },
    });
    link.start();
    await link.waitForStatus((s) => s.state === 'live', 10_000);
    const sa = new WttSocket({ url: `${wsUrl}/${a.agent_id}`, token: a.agent_token });
    await sa.open();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: N }, (_, i) => sa.request('publish', { topic_id: topic.id, content: `burst ${i}` })));
    await all;
    const ms = performance.now() - t0;
    const rss1 = process.memoryUsage().rss;
    sa.close();
    await link.stop();
    rmSync(stateDir, { recursive: true, force: true });
    return { messages: N, delivered, msgsPerSec: Math.round(N / (ms / 1000)), rss_before_mb: mb(rss0), rss_after_mb: mb(rss1) };
  });
}

/** CLI start-up: `wtt help` and `wtt list` wall time (scripts/bench-cli.mjs). */
function benchCli() {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bench-cli.mjs'), '15'], { encoding: 'utf8' });
  if (r.status !== 0) return { error: r.stderr.trim().slice(0, 500) };
  return JSON.parse(r.stdout);
}

const SUBJECTS = { intake: benchIntake, hub: benchHub, link: benchLink, cli: benchCli };
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SUBJECTS);
const out = { node: process.version, cpus: (await import('node:os')).cpus().length, at: new Date().toISOString() };
for (const name of wanted) {
  const fn = SUBJECTS[name];
  if (!fn) {
    process.stderr.write(`unknown subject '${name}' (${Object.keys(SUBJECTS).join(', ')})\n`);
    process.exit(2);
  }
  out[name] = await fn();
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
