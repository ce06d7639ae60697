/**
 * A full state file (issue 13, chaos "disk full"): the real hub, the runtime's actor system and a
 * fake OpenClaw gateway; the store's SQLite connection is capped with `PRAGMA max_page_count` at
 * its current size, so that SQLite itself answers SQLITE_FULL ("database or disk is full") exactly
 * as on a full disk, without root or a tmpfs (`npm run chaos -- disk-full` does it with a real tmpfs).
 * While full the daemon says so (status `store`, the connection backs off with the reason) and loses
 * nothing; when there is room again every message reaches the chat once, and the store is sound.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime/system.js';
import type { ConnectionStatus } from '../../machines/connection.machine.js';
import { startFakeGateway } from '../fakes/gateway.js';
import { agentApi, until } from '../helpers/client.js';
import { createTopic, registerAgent, startHub } from '../helpers/hub.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const TOKEN = 'gw-test-token-0123456789';

describe('a full state file', () => {
  it('is reported, backed off from and recovered from without losing or repeating a message', async () => {
    const h = await startHub({ rateLimit: false });
    cleanups.push(() => h.close());
    const gw = await startFakeGateway({ token: TOKEN });
    cleanups.push(() => gw.close());
    const me = await registerAgent(h.url, 'Scout');
    const peer = await registerAgent(h.url, 'Ana');
    const topic = await createTopic(h, peer, { name: 'Ops room', description: 'ops', type: 'discussion' }, [me]);
    const dir = mkdtempSync(join(tmpdir(), 'wtt-store-full-'));
    const env = {
      HOME: dir,
      WTT_SKILL_DIR: dir,
      WTT_LOG_LEVEL: 'silent',
      WTT_API_URL: h.url,
      WTT_AGENT_ID: me.agent_id,
      WTT_AGENT_TOKEN: me.agent_token,
      WTT_IM_CHANNEL: 'telegram',
      WTT_IM_TARGET: '555001',
      WTT_NOTIFY: 'all',
      WTT_DIGEST_BURST: '0',
      WTT_CHAT_RATE_PER_MIN: '0',
      OPENCLAW_GATEWAY_URL: gw.url,
      OPENCLAW_GATEWAY_TOKEN: TOKEN,
      OPENCLAW_BIN: join(dir, 'no-openclaw-here'),
    };
    const config = loadConfig({ env });
    const statuses: ConnectionStatus[] = [];
    const runtime = createRuntime({
      config,
      reloadConfig: () => loadConfig({ env }),
      log: createLogger({ level: 'silent' }),
      control: false,
      onStatus: (s) => statuses.push(s),
      tuning: { backoffBaseMs: 50, backoffCapMs: 500 },
      notifierTuning: { retryBaseMs: 50, retryCapMs: 200, circuitAfter: 1_000, maxAttempts: 1_000 },
    });
    cleanups.push(() => runtime.stop());
    runtime.start();
    await until(() => statuses.some((s) => s.state === 'live'), 15_000, 'live');
    const api = agentApi(h.url, peer);
    const sentTexts = () =>
      gw.calls.filter((c) => c.status === 200 && (c.body.args as { action?: string } | undefined)?.action === 'send').map((c) => String((c.body.args as { message?: unknown }).message));
    const published: string[] = [];
    const publish = async (text: string) => {
      await api.publish({ topic_id: topic, content: text });
      published.push(text);
    };
    await publish('before 1');
    await until(() => sentTexts().length === 1, 15_000, 'the first delivery');

    // The state file may not grow any more: SQLite answers SQLITE_FULL for a write that needs a page.
    const db = (runtime.store as unknown as { db: Database }).db;
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
    // Free room inside the last pages takes a few messages; publish until a write fails.
    for (let i = 1; i <= 2_000 && runtime.report().store?.writable !== false; i++) await publish(`while full ${i} ${'x'.repeat(400)}`);
    const full = runtime.report();
    expect(full.store).toMatchObject({ writable: false, error: expect.stringMatching(/disk is full \(SQLITE_FULL\)/) });
    expect(full.store?.failed_writes).toBeGreaterThan(0);
    for (let i = 1; i <= 5; i++) await publish(`still full ${i}`);
    // The catch-up cannot record them: the connection backs off (and retries) with the reason.
    await until(() => statuses.some((s) => s.state === 'backoff' && /disk is full/.test(String('reason' in s ? s.reason : ''))), 15_000, () => `a backoff saying the disk is full: ${JSON.stringify(statuses.slice(-5))}`);
    expect(runtime.report().store?.writable).toBe(false);

    // Room again.
    db.pragma('max_page_count = 1073741823');
    await publish('after 1');
    await until(() => sentTexts().length >= published.length, 30_000, () => `${published.length} deliveries, got ${sentTexts().length}; ${JSON.stringify(runtime.report().store)}`);
    await until(() => runtime.report().outbox?.pending === 0, 10_000, 'the outbox drained');
    const bodies = sentTexts().map((t) => t.split('\n')[1]);
    expect(bodies).toEqual(published.map((t) => t.split('\n')[0]));
    expect(new Set(bodies).size).toBe(bodies.length);
    expect(runtime.report().store).toMatchObject({ writable: true, error: null });
    expect(statuses.at(-1)?.state).toBe('live');
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // The process section `npm run soak` reads: the root, connection, router, notifier and its route at least.
    const p = runtime.report().process;
    expect(p?.actors).toBeGreaterThanOrEqual(5);
    expect(p?.handles).toBeGreaterThan(0);
    expect(p?.outbox_depth).toBe(0);
  }, 90_000);
});
