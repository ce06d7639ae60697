/**
 * A full session never shows a secret: the real daemon (registering itself on a fresh dir), a claim
 * code, a task run by the `command` executor, chat notifications through a fake OpenClaw gateway,
 * `wtt status`, the Stately inspector stream and the local status page. None of them, nor the log
 * files, nor the terminal output, contains the agent token or the gateway token. Logs at `debug`, so
 * as much as possible is written. Needs dist/ (`npm run build`).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGateway, type FakeGateway } from '../fakes/gateway.js';
import { startStatelyReceiver, type FakeStatelyReceiver } from '../fakes/stately-receiver.js';
import { agentApi, until } from '../helpers/client.js';
import { killDaemons, startDaemon } from '../helpers/daemon-process.js';
import { REPO } from '../helpers/hub-process.js';
import { registerAgent, startHub, type StartedHub } from '../helpers/hub.js';
import { assertBuilt, runCli } from './cli-helpers.js';

const GW_TOKEN = 'gw-secret-session-token-5f1e9a';
let hub: StartedHub | undefined;
let gw: FakeGateway | undefined;
let receiver: FakeStatelyReceiver | undefined;
afterEach(async () => {
  killDaemons();
  await receiver?.close();
  await gw?.close();
  await hub?.close();
  hub = undefined;
  gw = undefined;
  receiver = undefined;
});

describe('no secret in a full session', () => {
  it('keeps the agent and gateway tokens out of logs, status, the inspector stream, the page and the terminal', async () => {
    assertBuilt();
    hub = await startHub({ rateLimit: false });
    gw = await startFakeGateway({ token: GW_TOKEN });
    receiver = await startStatelyReceiver();
    const skill = mkdtempSync(join(tmpdir(), 'wtt-secrets-'));
    const env = {
      HOME: skill,
      WTT_SKILL_DIR: skill,
      WTT_API_URL: hub.url,
      WTT_LOG_LEVEL: 'debug',
      WTT_IM_CHANNEL: 'telegram',
      WTT_IM_TARGET: '555001',
      WTT_NOTIFY: 'all',
      WTT_EXECUTOR: 'command',
      WTT_EXECUTOR_COMMAND: JSON.stringify([process.execPath, join(REPO, 'test', 'fixtures', 'task-command.mjs'), 'echo']),
      OPENCLAW_GATEWAY_URL: gw.url,
      OPENCLAW_GATEWAY_TOKEN: GW_TOKEN,
      OPENCLAW_BIN: join(skill, 'no-openclaw-here'),
    };
    const d = startDaemon(['daemon', `--inspect=${receiver.url}`], env);
    const pageUrl = (await d.waitFor('stdout', /status page: (\S+)/))[1] as string;
    await d.waitFor('stderr', /connection: live/);
    const token = /WTT_AGENT_TOKEN=['"]?([^'"\s]+)/.exec(readFileSync(join(skill, '.env'), 'utf8'))?.[1] ?? '';
    const agentId = /WTT_AGENT_ID=['"]?([^'"\s]+)/.exec(readFileSync(join(skill, '.env'), 'utf8'))?.[1] ?? '';
    expect(token.length).toBeGreaterThan(20);

    const outputs: string[] = [];
    const cli = async (args: string[]) => {
      const r = await runCli(args, env);
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    expect((await cli(['bind'])).code).toBe(0);
    expect((await cli(['whoami'])).code).toBe(0);

    // Work that touches every part: a task run here, a p2p message and their chat notifications.
    const alice = await registerAgent(hub.url, 'alice');
    const aliceApi = agentApi(hub.url, alice);
    const task = await aliceApi.createTask({ title: 'Count the logs', runner_agent_id: agentId });
    await aliceApi.runTask(task.id, { runner_agent_id: agentId });
    await until(async () => (await aliceApi.getTask(task.id)).status === 'review', 20_000, 'the task in review');
    await aliceApi.p2p({ target_agent_id: agentId, content: 'a private hello' });
    await until(() => gw!.calls.some((c) => JSON.stringify(c.body).includes('a private hello')), 15_000, 'the p2p in the chat');

    const status = await cli(['status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, agent_id: agentId, connection: { state: 'live' } });
    const page = new URL(pageUrl);
    const pageTexts = await Promise.all(['', 'status.json', 'machines.json'].map(async (p) => (await fetch(new URL(p, `${page.origin}/`).href + page.search)).text()));
    expect(pageTexts[1]).toContain(agentId);
    expect(await d.stop()).toBe(0);

    const logDir = join(skill, '.wtt', 'logs');
    const logs = readdirSync(logDir).map((f) => readFileSync(join(logDir, f), 'utf8')).join('\n');
    expect(logs).toContain('connection: live');
    const everywhere = {
      logs,
      terminal: d.stdout() + d.stderr(),
      cli: outputs.join('\n'),
      inspector: receiver.raw(),
      page: pageTexts.join('\n'),
      chat: gw.calls.map((c) => JSON.stringify(c.body)).join('\n'),
    };
    for (const [where, text] of Object.entries(everywhere)) {
      expect(text.length, where).toBeGreaterThan(0);
      expect(text.includes(token), `agent token in ${where}`).toBe(false);
      expect(text.includes(GW_TOKEN), `gateway token in ${where}`).toBe(false);
    }
  }, 90_000);
});
