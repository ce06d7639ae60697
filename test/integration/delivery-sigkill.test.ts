/**
 * The daemon SIGKILLed mid-drain, five times: the real hub, `wtt daemon` as a separate process and a
 * slow fake OpenClaw gateway as the chat. Each round publishes a wave while the daemon runs and kills
 * it once the chat has started to receive that wave (the rest still in the outbox), then publishes
 * more while it is dead. After a last start everything has reached the chat: nothing lost, first
 * arrivals in publish order, and no more duplicates than kills (the one delivery in flight at each
 * kill may repeat: the gateway does not deduplicate), and each restart is reported once in the chat.
 * Needs dist/ (`npm run build`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGateway, type FakeGateway } from '../fakes/gateway.js';
import { agentApi, until } from '../helpers/client.js';
import { killDaemons, startDaemon, type DaemonProcess } from '../helpers/daemon-process.js';
import { createTopic, registerAgent, startHub, type StartedHub } from '../helpers/hub.js';
import { assertBuilt } from './cli-helpers.js';

const TOKEN = 'gw-test-token-sigkill-0123';
const KILLS = 5;
const WAVE = 30;
const WHILE_DEAD = 5;

let hub: StartedHub | undefined;
let gw: FakeGateway | undefined;
afterEach(async () => {
  killDaemons();
  await gw?.close();
  await hub?.close();
  gw = undefined;
  hub = undefined;
});

/** Every text the chat received, in arrival order. */
const texts = (g: FakeGateway): string[] =>
  g.calls
    .filter((c) => c.status === 200 && (c.body.args as { action?: string } | undefined)?.action === 'send')
    .map((c) => String((c.body.args as { message?: unknown }).message));
/** The published bodies among them ("💬 Ana in Ops\n<body>"), in arrival order. */
const received = (g: FakeGateway): string[] => texts(g).map((t) => t.split('\n')[1] ?? '').filter((b) => /^m-\d+$/.test(b));

describe('delivery across SIGKILL', () => {
  it('loses nothing and repeats at most the delivery in flight when the daemon is killed mid-drain five times', async () => {
    assertBuilt();
    hub = await startHub({ rateLimit: false });
    gw = await startFakeGateway({ token: TOKEN });
    gw.latency(40);
    const me = await registerAgent(hub.url, 'Scout');
    const peer = await registerAgent(hub.url, 'Ana');
    const topic = await createTopic(hub, peer, { name: 'Ops', description: 'ops', type: 'discussion' }, [me]);
    const peerApi = agentApi(hub.url, peer);
    const dir = mkdtempSync(join(tmpdir(), 'wtt-sigkill-'));
    const env = {
      HOME: dir,
      WTT_SKILL_DIR: dir,
      WTT_LOG_LEVEL: 'warn',
      WTT_API_URL: hub.url,
      WTT_AGENT_ID: me.agent_id,
      WTT_AGENT_TOKEN: me.agent_token,
      WTT_IM_CHANNEL: 'telegram',
      WTT_IM_TARGET: '555001',
      WTT_NOTIFY: 'all',
      // One chat message per WTT message, so each can be counted: no digests, no pacing.
      WTT_DIGEST_BURST: '0',
      WTT_CHAT_RATE_PER_MIN: '0',
      WTT_STATUS_PORT: '0',
      // Every restart is reported (the kills are seconds apart, below the default 60 s).
      WTT_AWAY_REPORT_S: '0',
      OPENCLAW_GATEWAY_URL: gw.url,
      OPENCLAW_GATEWAY_TOKEN: TOKEN,
      OPENCLAW_BIN: join(dir, 'no-openclaw-here'),
    };
    const published: string[] = [];
    const publish = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const body = `m-${published.length + 1}`;
        await peerApi.publish({ topic_id: topic, content: body });
        published.push(body);
      }
    };
    const start = async (): Promise<DaemonProcess> => {
      const d = startDaemon(['daemon'], env);
      await d.waitFor('stderr', /connection: live/, 30_000);
      return d;
    };

    for (let round = 0; round < KILLS; round++) {
      const d = await start();
      const before = received(gw).length;
      await publish(WAVE);
      // Mid-drain: the chat has some of this wave, the daemon still holds the rest.
      await until(() => received(gw!).length >= before + 3, 20_000, `round ${round}: the wave starts reaching the chat`);
      d.child.kill('SIGKILL');
      await d.exited;
      expect(new Set(received(gw)).size).toBeLessThan(published.length);
      await publish(WHILE_DEAD);
    }

    const last = await start();
    await until(() => new Set(received(gw!)).size >= published.length, 60_000, () => `all ${published.length} delivered (have ${new Set(received(gw!)).size})`);
    expect(await last.stop()).toBe(0);

    const got = received(gw);
    expect(new Set(got)).toEqual(new Set(published));
    const firsts = got.filter((b, i) => got.indexOf(b) === i);
    expect(firsts).toEqual(published);
    // One short report per restart after a kill, saying so and what was caught up (the texts can be
    // the same, so they are counted; a report in flight at a kill may repeat like any delivery).
    const reports = texts(gw).filter((t) => t.startsWith('🔄'));
    expect(reports.length).toBeGreaterThanOrEqual(KILLS);
    expect(got.length - published.length + (reports.length - KILLS)).toBeLessThanOrEqual(KILLS);
    for (const r of reports) {
      const m = /^🔄 WTT is back after \d+ s \(restarted after an unclean stop\): (\d+) messages? caught up\.$/.exec(r);
      expect(m, r).not.toBeNull();
      // At least what was published while it was dead (plus any of the wave not yet committed at the kill).
      expect(Number(m?.[1])).toBeGreaterThanOrEqual(WHILE_DEAD);
    }
  }, 240_000);
});
