/**
 * From the network to the chat: the real hub, the runtime's actor system, and a fake OpenClaw
 * gateway `/tools/invoke` (test/fakes/gateway.ts) as the chat. Messages go hub → connection →
 * intake (one transaction with the outbox) → router → notifier → gateway adapter.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { loadConfig, type Config } from '../../src/config.js';
import { partBody } from '../../src/im/render.js';
import { createLogger } from '../../src/log.js';
import { StateStore } from '../../src/runtime/store.js';
import { askDaemon, controlSocketPath } from '../../src/runtime/control.js';
import { createRuntime, type Runtime } from '../../src/runtime/system.js';
import type { ConnectionStatus } from '../../machines/connection.machine.js';
import { startFakeGateway, type FakeGateway } from '../fakes/gateway.js';
import { agentApi, until } from '../helpers/client.js';
import { createTopic, registerAgent, startHub, type RegisteredAgent, type StartedHub } from '../helpers/hub.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const TOKEN = 'gw-test-token-0123456789';

interface World {
  h: StartedHub;
  gw: FakeGateway;
  me: RegisteredAgent;
  peer: RegisteredAgent;
  topic: string;
  runtime: Runtime;
  config: Readonly<Config>;
  /** Text the chat shows, in send order (message tool `send` calls answered 200). */
  sent(): string[];
}

async function world(env: Record<string, string> = {}, extra: Partial<Parameters<typeof createRuntime>[0]> = {}): Promise<World> {
  const h = await startHub({ rateLimit: false });
  cleanups.push(() => h.close());
  const gw = await startFakeGateway({ token: TOKEN });
  cleanups.push(() => gw.close());
  const me = await registerAgent(h.url, 'Scout');
  const peer = await registerAgent(h.url, 'Ana');
  const topic = await createTopic(h, peer, { name: 'Ops room', description: 'ops', type: 'discussion' }, [me]);
  const dir = mkdtempSync(join(tmpdir(), 'wtt-delivery-'));
  const envAll = {
      HOME: dir,
      WTT_SKILL_DIR: dir,
      WTT_LOG_LEVEL: 'silent',
      WTT_API_URL: h.url,
      WTT_AGENT_ID: me.agent_id,
      WTT_AGENT_TOKEN: me.agent_token,
      WTT_IM_CHANNEL: 'telegram',
      WTT_IM_TARGET: '555001',
      WTT_NOTIFY: 'all',
      WTT_DISPLAY_NAME: 'Scout',
      OPENCLAW_GATEWAY_URL: gw.url,
      OPENCLAW_GATEWAY_TOKEN: TOKEN,
      OPENCLAW_BIN: join(dir, 'no-openclaw-here'),
      ...env,
  };
  const config = loadConfig({ env: envAll });
  const statuses: ConnectionStatus[] = [];
  const runtime = createRuntime({ config, reloadConfig: () => loadConfig({ env: envAll }), log: createLogger({ level: 'silent' }), control: false, onStatus: (s) => statuses.push(s), ...extra });
  cleanups.push(() => runtime.stop());
  runtime.start();
  await until(() => statuses.some((s) => s.state === 'live'), 15_000, 'live');
  const sent = () =>
    gw.calls
      .filter((c) => c.status === 200 && (c.body.args as { action?: string } | undefined)?.action === 'send')
      .map((c) => String((c.body.args as { message?: unknown }).message));
  return { h, gw, me, peer, topic, runtime, config, sent };
}

const publish = (w: World, who: RegisteredAgent, content: string) => agentApi(w.h.url, who).publish({ topic_id: w.topic, content });

describe('chat delivery through the gateway', () => {
  it('delivers each message once, in order, with names instead of ids, to the configured chat', async () => {
    const w = await world({ WTT_DIGEST_BURST: '1000', WTT_CHAT_RATE_PER_MIN: '1000' });
    for (let i = 1; i <= 30; i++) await publish(w, w.peer, `update ${i}`);
    await until(() => w.sent().length >= 30, 20_000, () => `30 deliveries, got ${w.sent().length}`);
    const texts = w.sent();
    expect(texts.map((t) => t.split('\n')[1])).toEqual(Array.from({ length: 30 }, (_, i) => `update ${i + 1}`));
    expect(texts[0]?.split('\n')[0]).toBe('💬 Ana in Ops room');
    const args = w.gw.calls[0]?.body.args as Record<string, unknown>;
    expect(args).toMatchObject({ action: 'send', channel: 'telegram', target: '555001' });
    expect(typeof w.gw.calls[0]?.body.idempotencyKey).toBe('string');
    expect(new Set(w.gw.calls.map((c) => c.body.idempotencyKey)).size).toBe(30);
    expect(w.runtime.report().outbox).toMatchObject({ sent: 30, pending: 0 });
  });

  it('never delivers the agent’s own messages', async () => {
    const w = await world();
    await publish(w, w.me, 'my own words');
    await publish(w, w.peer, 'barrier');
    await until(() => w.sent().some((t) => t.includes('barrier')), 15_000, 'the barrier message');
    expect(w.sent().some((t) => t.includes('my own words'))).toBe(false);
    // Only the barrier was ever queued (the chat may answer a moment before the send is marked).
    await until(() => w.runtime.store.outboxList({ state: 'sent' }).length === 1, 10_000, 'the barrier marked sent');
    expect(w.runtime.store.outboxList({ state: 'sent' }).map((r) => r.text)).toEqual([expect.stringContaining('barrier')]);
    expect(w.runtime.store.outboxCounts()).toMatchObject({ pending: 0, failed: 0 });
  });

  it('sends a 10,000-character message whole, as ordered numbered parts under 4,000 characters', async () => {
    const w = await world();
    const paragraphs = Array.from({ length: 50 }, (_, i) => `Paragraph ${i}: ${'lorem ipsum '.repeat(16)}`.trim());
    const content = paragraphs.join('\n\n');
    expect(content.length).toBeGreaterThan(10_000);
    await publish(w, w.peer, content);
    await until(() => w.sent().length >= 3, 15_000, 'three parts');
    const parts = w.sent();
    const n = parts.length;
    parts.forEach((p, i) => {
      expect(p.length).toBeLessThan(4_000);
      expect(p.startsWith(`(${i + 1}/${n}) `)).toBe(true);
    });
    expect(parts.map(partBody).join('')).toBe(`💬 Ana in Ops room\n${content}`);
  });

  it('keeps everything while the gateway is down for 20 s and delivers it afterwards, in order', async () => {
    const w = await world({ WTT_DIGEST_BURST: '1000' }, { notifierTuning: { retryBaseMs: 200, retryCapMs: 2_000, circuitAfter: 4, circuitBaseMs: 2_000, circuitCapMs: 4_000, maxAttempts: 1_000 } });
    await publish(w, w.peer, 'before');
    await until(() => w.sent().length === 1, 15_000, 'first delivery');
    await w.gw.down();
    for (let i = 1; i <= 10; i++) await publish(w, w.peer, `during ${i}`);
    await new Promise((r) => setTimeout(r, 20_000));
    expect(w.runtime.report().outbox).toMatchObject({ pending: 10, sent: 1 });
    await w.gw.up();
    await until(() => w.sent().length >= 11, 30_000, () => `11 deliveries, got ${w.sent().length}`);
    expect(w.sent().map((t) => t.split('\n')[1])).toEqual(['before', ...Array.from({ length: 10 }, (_, i) => `during ${i + 1}`)]);
  }, 90_000);

  it('turns 200 messages in 2 s from one topic into digests instead of 200 chat messages', async () => {
    const w = await world({ WTT_DIGEST_BURST: '5', WTT_DIGEST_WINDOW_S: '3' });
    const api = agentApi(w.h.url, w.peer);
    await Promise.all(Array.from({ length: 200 }, (_, i) => api.publish({ topic_id: w.topic, content: `tick ${i}` })));
    const counted = () => {
      let singles = 0;
      let inDigests = 0;
      for (const t of w.sent()) {
        const d = /🗞 (\d+) messages? held \(burst\)/.exec(t);
        if (d) inDigests += Number(d[1]);
        else if (!/^\(\d+\/\d+\) /.test(t)) singles++;
      }
      return { singles, inDigests };
    };
    await until(() => counted().singles + counted().inDigests >= 200, 30_000, () => `200 accounted for, got ${JSON.stringify(counted())}`);
    const c = counted();
    expect(c.singles + c.inDigests).toBe(200);
    expect(c.singles).toBeLessThanOrEqual(10);
    expect(w.sent().length).toBeLessThan(30);
  }, 60_000);

  it('holds messages during quiet hours and sends one digest when they end', async () => {
    const day = new Date();
    let now = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 3, 0).getTime();
    const dir = mkdtempSync(join(tmpdir(), 'wtt-quiet-'));
    const store = StateStore.open({ stateDir: dir, now: () => now });
    cleanups.push(() => store.close());
    const w = await world({ WTT_QUIET_HOURS: '01:00-05:00' }, { now: () => now, store });
    for (const c of ['first @Scout', 'second @Scout', 'third @Scout']) await publish(w, w.peer, c);
    await until(() => store.outboxCounts().held === 3, 15_000, 'three held rows');
    const held = store.outboxList({ state: 'held' });
    expect(held.every((r) => r.hold_reason === 'quiet hours')).toBe(true);
    expect(w.sent()).toEqual([]);
    now = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 5, 1).getTime();
    (w.runtime.actor.system.get('notifier') as AnyActorRef).send({ type: 'OUTBOX.WAKE' });
    await until(() => w.sent().length >= 1, 15_000, 'the digest');
    expect(w.sent()).toHaveLength(1);
    expect(w.sent()[0]).toContain('🗞 3 messages held (quiet hours)');
    expect(w.sent()[0]).toContain('third @Scout');
    const trace = store.trace(held[0]?.message_id ?? '');
    expect(trace.deliveries.map((d) => d.state)).toEqual(['digested', 'sent']);
  });

  it('reports a refused gateway token as a configuration error and stops retrying it', async () => {
    const w = await world();
    w.gw.fail(401, 100);
    await publish(w, w.peer, 'will wait');
    await until(() => w.runtime.store.outboxList({ state: 'pending' }).some((r) => r.last_error?.includes('401') || /token|unauthori/i.test(r.last_error ?? '')), 15_000, 'the 401 recorded');
    const callsAfter = w.gw.calls.length;
    await new Promise((r) => setTimeout(r, 3_000));
    // Misconfigured: no retry loop against a gateway that refuses the token; `wtt status` says why.
    expect(w.gw.calls.length).toBe(callsAfter);
    expect(w.runtime.report().routes).toContainEqual({ route: 'telegram:555001', state: 'misconfigured', last_error: expect.stringMatching(/401|token/i) });
  });

  it('marks a delivery failed after bounded retries of 500s, copies it to the fallback route and announces it there once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-fallback-'));
    const file = join(dir, 'chat.txt');
    const w = await world({ WTT_IM_FALLBACKS: `file:${file}` }, { notifierTuning: { retryBaseMs: 50, retryCapMs: 100, maxAttempts: 3, circuitAfter: 100 } });
    w.gw.fail(500, 3);
    await publish(w, w.peer, 'important @Scout');
    await until(() => existsSync(file) && readFileSync(file, 'utf8').includes('could not deliver'), 15_000, 'the copy and the notice in the fallback file');
    const failed = w.runtime.store.outboxList({ state: 'failed' });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ route: 'telegram:555001', attempts: 3, last_error: expect.stringContaining('gave up after 3 attempts') });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('important @Scout');
    expect(text.match(/could not deliver/g)).toHaveLength(1);
    const trace = w.runtime.store.trace(failed[0]?.message_id ?? '');
    expect(trace.attempts.filter((a) => !a.ok)).toHaveLength(3);
    expect(trace.deliveries.map((d) => [d.route, d.state])).toEqual([
      ['telegram:555001', 'failed'],
      [`file:${file}`, 'sent'],
    ]);
  });

  it('answers trace, outbox and notify over the control socket from the daemon’s own state', async () => {
    const w = await world({ WTT_NOTIFY: 'p2p,mentions,topics', WTT_CHAT_RATE_PER_MIN: '1000' }, { control: true, notifierTuning: { retryBaseMs: 50, retryCapMs: 50, maxAttempts: 2, circuitAfter: 100 } });
    const ask = async (...argv: string[]) => {
      const a = await askDaemon(controlSocketPath(w.config.stateDir), w.me.agent_id, argv, 10_000);
      if (!a) throw new Error('the daemon did not answer');
      return a;
    };
    const sent = await agentApi(w.h.url, w.peer).publish({ topic_id: w.topic, content: 'hello @Scout' });
    await until(() => w.sent().length === 1, 15_000, () => `first delivery: ${JSON.stringify({ sent, trace: w.runtime.store.trace(sent.id), calls: w.gw.calls, report: w.runtime.report() })}`);
    const t = await ask('trace', sent.id);
    expect(t.exitCode).toBe(0);
    expect(t.text).toContain('decision: deliver: mentions this agent');
    expect(t.text).toMatch(/#\d+ → telegram:555001 \(message\): sent via openclaw-gateway, chat message id 1000, 1 attempt/);

    // Chatter in a topic nobody opted into: not delivered, and trace says why.
    const quiet = await agentApi(w.h.url, w.peer).publish({ topic_id: w.topic, content: 'just chatter' });
    await until(async () => (await ask('trace', quiet.id)).text.includes('not delivered'), 10_000, 'the policy decision');
    expect((await ask('trace', quiet.id)).text).toContain('policy: not p2p, no mention, topic not opted in');

    // Opt the topic in; then mute it: a mention is not delivered while muted.
    expect((await ask('notify', w.topic, 'on')).text).toContain(`Topic ${w.topic}: notify on`);
    await agentApi(w.h.url, w.peer).publish({ topic_id: w.topic, content: 'now opted in' });
    await until(() => w.sent().some((x) => x.includes('now opted in')), 10_000, 'opted-in delivery');
    expect((await ask('notify', w.topic, 'off')).exitCode).toBe(0);
    const muted = await agentApi(w.h.url, w.peer).publish({ topic_id: w.topic, content: 'muted @Scout' });
    await until(async () => (await ask('trace', muted.id)).text.includes('muted'), 10_000, 'muted decision');
    expect((await ask('notify')).text).toContain(`${w.topic}: off`);

    // A delivery that fails for good is listed, retried on request, and then sent.
    await ask('notify', w.topic, 'on');
    w.gw.fail(500, 2);
    const doomed = await agentApi(w.h.url, w.peer).publish({ topic_id: w.topic, content: 'retry me' });
    await until(() => w.runtime.store.outboxCounts().failed === 1, 15_000, 'failed delivery');
    const list = await ask('outbox');
    expect(list.text).toMatch(/1 failed/);
    const id = /#(\d+) failed telegram:555001 message/.exec(list.text)?.[1];
    expect(id).toBeDefined();
    expect((await ask('outbox', 'retry', id ?? '')).text).toContain(`Delivery #${id} queued again`);
    await until(() => w.sent().some((x) => x.includes('retry me')), 10_000, 'the retried delivery');
    const doomedTrace = (await ask('trace', doomed.id)).text;
    expect(doomedTrace).toContain('sent via openclaw-gateway');
    // Every attempt is kept: two failures before the retry, then the one that went through.
    expect(doomedTrace.match(/ failed via openclaw-gateway/g)).toHaveLength(2);
    expect(doomedTrace.match(/ ok via openclaw-gateway/g)).toHaveLength(1);
    expect((await ask('outbox', 'drop', id ?? '')).exitCode).toBe(1);
    expect((await ask('outbox', 'retry', 'x1')).exitCode).toBe(2);
  }, 60_000);

  it('reports a live-link outage once, after the catch-up, with how long and how much was caught up', async () => {
    const w = await world({ WTT_AWAY_REPORT_S: '1', WTT_DIGEST_BURST: '1000' });
    const { dataDir, port } = w.h;
    await w.h.close();
    await new Promise((r) => setTimeout(r, 1_500));
    const back = await startHub({ dataDir, port, rateLimit: false });
    cleanups.push(() => back.close());
    // Published while the daemon has not yet noticed the hub is back: it arrives by catch-up.
    await agentApi(back.url, w.peer).publish({ topic_id: w.topic, content: 'while away' });
    await until(() => w.sent().some((t) => t.startsWith('🔌')), 30_000, () => `the outage report (chat: ${JSON.stringify(w.sent())})`);
    const reports = w.sent().filter((t) => t.startsWith('🔌'));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^🔌 WTT's live link was down for \d+ s( \(.+\))?: \d+ messages? caught up\.$/);
    expect(w.sent().some((t) => t.includes('while away'))).toBe(true);
  }, 60_000);

  it('reports a restart once, and not on the first start', async () => {
    const w = await world({ WTT_AWAY_REPORT_S: '0' });
    await publish(w, w.peer, 'first run');
    await until(() => w.sent().some((t) => t.includes('first run')), 15_000, 'first delivery');
    expect(w.sent().some((t) => t.startsWith('🔄'))).toBe(false);
    await w.runtime.stop();
    await publish(w, w.peer, 'while stopped 1');
    await publish(w, w.peer, 'while stopped 2');
    const statuses: ConnectionStatus[] = [];
    const again = createRuntime({ config: w.config, log: createLogger({ level: 'silent' }), control: false, onStatus: (s) => statuses.push(s) });
    cleanups.push(() => again.stop());
    again.start();
    await until(() => w.sent().some((t) => t.startsWith('🔄')), 15_000, 'the restart report');
    expect(w.sent().filter((t) => t.startsWith('🔄'))).toEqual([expect.stringMatching(/^🔄 WTT is back after \d+ s \(restarted\): 2 messages caught up\.$/)]);
    await until(() => w.sent().some((t) => t.includes('while stopped 2')), 15_000, 'caught-up delivery');
  }, 60_000);
});
