/**
 * `wtt daemon` as a service runs it: one instance per state dir (a second start says who runs and
 * exits 0), a rotated JSON log in `<state dir>/logs` with one line per connection state change and
 * no secret, and SIGTERM → outbox flushed, lock released, exit 0. Needs dist/ (`npm run build`).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGateway, type FakeGateway } from '../fakes/gateway.js';
import { agentApi, until } from '../helpers/client.js';
import { killDaemons, startDaemon } from '../helpers/daemon-process.js';
import { createTopic, registerAgent, startHub, type StartedHub } from '../helpers/hub.js';
import { assertBuilt } from './cli-helpers.js';

const GW_TOKEN = 'gw-daemon-run-token-98765';
let hub: StartedHub | undefined;
let gw: FakeGateway | undefined;
afterEach(async () => {
  killDaemons();
  await gw?.close();
  await hub?.close();
  hub = undefined;
  gw = undefined;
});

const logLines = (stateDir: string): Array<Record<string, unknown>> =>
  readdirSync(join(stateDir, 'logs'))
    .filter((f) => /^wtt\.\d+\.log$/.test(f))
    .flatMap((f) => readFileSync(join(stateDir, 'logs', f), 'utf8').split('\n'))
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('wtt daemon as a service', () => {
  it('runs once per state dir, logs state changes to a file without secrets, and stops cleanly on SIGTERM', async () => {
    assertBuilt();
    hub = await startHub({ rateLimit: false });
    gw = await startFakeGateway({ token: GW_TOKEN });
    const me = await registerAgent(hub.url, 'Scout');
    const peer = await registerAgent(hub.url, 'Ana');
    const topic = await createTopic(hub, peer, { name: 'Ops', description: 'ops', type: 'discussion' }, [me]);
    const dir = mkdtempSync(join(tmpdir(), 'wtt-daemon-run-'));
    const stateDir = join(dir, 'state');
    const env = {
      HOME: dir,
      WTT_SKILL_DIR: dir,
      WTT_STATE_DIR: stateDir,
      WTT_LOG_LEVEL: 'info',
      WTT_API_URL: hub.url,
      WTT_AGENT_ID: me.agent_id,
      WTT_AGENT_TOKEN: me.agent_token,
      WTT_IM_CHANNEL: 'telegram',
      WTT_IM_TARGET: '555001',
      WTT_NOTIFY: 'all',
      WTT_STATUS_PORT: 'off',
      OPENCLAW_GATEWAY_URL: gw.url,
      OPENCLAW_GATEWAY_TOKEN: GW_TOKEN,
      OPENCLAW_BIN: join(dir, 'no-openclaw-here'),
    };
    const d = startDaemon(['daemon'], env);
    await d.waitFor('stderr', /connection: live/);
    expect(d.stdout()).toContain(`logs: ${join(stateDir, 'logs', 'wtt.log')}`);

    const twin = startDaemon(['daemon'], env);
    expect(await twin.exited).toBe(0);
    expect(twin.stderr()).toContain(`already running (pid ${d.child.pid}) for this state dir (${stateDir})`);

    // Work in flight when the signal comes: a slow chat, messages still in the outbox.
    gw.latency(300);
    for (let i = 1; i <= 3; i++) await agentApi(hub.url, peer).publish({ topic_id: topic, content: `note ${i}` });
    await until(() => gw!.calls.length >= 1, 10_000, 'the first delivery starts');
    const t0 = Date.now();
    expect(await d.stop()).toBe(0);
    const stopMs = Date.now() - t0;
    expect(stopMs).toBeLessThan(10_000);
    expect(existsSync(join(stateDir, 'daemon.lock'))).toBe(false);

    // What was not sent before the stop is sent by the next run, and nothing twice.
    gw.latency(0);
    const again = startDaemon(['daemon'], env);
    await again.waitFor('stderr', /connection: live/);
    const sentBodies = () => gw!.calls.filter((c) => c.status === 200).map((c) => String((c.body.args as { message?: unknown }).message).split('\n')[1]);
    await until(() => sentBodies().filter((b) => b?.startsWith('note')).length >= 3, 15_000, () => `three notes (have ${JSON.stringify(sentBodies())})`);
    expect(await again.stop()).toBe(0);
    expect(sentBodies().filter((b) => b?.startsWith('note')).sort()).toEqual(['note 1', 'note 2', 'note 3']);

    const lines = logLines(stateDir);
    const states = lines.filter((l) => l.systemId === 'connection' && typeof l.state === 'string').map((l) => l.state);
    // One line per change, not per frame: two runs, each connecting → … → live → stopped.
    expect(states.filter((s) => s === 'live')).toHaveLength(2);
    expect(states.filter((s) => s === 'stopped')).toHaveLength(2);
    expect(states.length).toBeLessThan(20);
    const raw = readdirSync(join(stateDir, 'logs')).map((f) => readFileSync(join(stateDir, 'logs', f), 'utf8')).join('');
    for (const secret of [me.agent_token, GW_TOKEN]) {
      expect(raw).not.toContain(secret);
      expect(d.stderr() + d.stdout() + again.stderr() + again.stdout()).not.toContain(secret);
    }
  }, 90_000);
});
