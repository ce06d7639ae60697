/**
 * The runtime's one actor system against the real hub: every child is in one system and one
 * inspection observer sees them all; commands from the control socket are events to `commands`
 * sharing the live link; onboarding keeps retrying registration by itself until the hub appears.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { loadConfig, type Config } from '../../src/config.js';
import { buildHub } from '../../src/hub/index.js';
import { createLogger } from '../../src/log.js';
import { askDaemon, controlSocketPath } from '../../src/runtime/control.js';
import { createRuntime, type Runtime } from '../../src/runtime/system.js';
import type { ConnectionStatus } from '../../machines/connection.machine.js';
import { agentApi, until } from '../helpers/client.js';
import { registerAgent, startHub, type StartedHub } from '../helpers/hub.js';
import { freePort } from '../helpers/net.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function configFor(dir: string, env: Record<string, string>): { config: Readonly<Config>; reload: () => Readonly<Config> } {
  const full = { HOME: dir, WTT_SKILL_DIR: dir, WTT_LOG_LEVEL: 'silent', ...env };
  const reload = () => loadConfig({ env: full });
  return { config: reload(), reload };
}

async function hub(): Promise<StartedHub> {
  const h = await startHub({ rateLimit: false });
  cleanups.push(() => h.close());
  return h;
}

function run(config: Readonly<Config>, reload: () => Readonly<Config>, extra: Partial<Parameters<typeof createRuntime>[0]> = {}) {
  const statuses: ConnectionStatus[] = [];
  const runtime: Runtime = createRuntime({
    config,
    reloadConfig: reload,
    log: createLogger({ level: 'silent' }),
    onStatus: (s) => statuses.push(s),
    ...extra,
  });
  cleanups.push(() => runtime.stop());
  runtime.start();
  return { runtime, statuses };
}

describe('runtime system', () => {
  it('shows events from every child to one inspection observer', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'inspected');
    const dir = mkdtempSync(join(tmpdir(), 'wtt-sys-'));
    const { config, reload } = configFor(dir, { WTT_API_URL: h.url, WTT_AGENT_ID: a.agent_id, WTT_AGENT_TOKEN: a.agent_token });
    const seen = new Map<string, Set<string>>();
    const inspect = (e: InspectionEvent) => {
      const ref = e.actorRef as unknown as { systemId?: string; id: string };
      const id = ref.systemId ?? ref.id;
      const kinds = seen.get(id) ?? new Set<string>();
      kinds.add(e.type);
      seen.set(id, kinds);
    };
    const { runtime, statuses } = run(config, reload, { inspect });
    await until(() => statuses.some((s) => s.state === 'live'), 10_000, 'live');

    // Work that passes through the children: a command over the control socket, a message in.
    const answer = await askDaemon(controlSocketPath(config.stateDir), a.agent_id, ['create', 'inspected-topic', 'seen by all'], 10_000);
    expect(answer?.exitCode).toBe(0);
    const topicId = /ID: (\S+)/.exec(answer?.text ?? '')?.[1] ?? '';
    await agentApi(h.url, a).publish({ topic_id: topicId, content: 'hello system' });
    await until(() => (seen.get('notifier')?.has('@xstate.event') ?? false), 10_000, 'the notifier woken');

    for (const id of ['runtime', 'onboarding', 'connection', 'router', 'notifier', 'commands', 'control']) {
      expect(seen.get(id), `inspection events of ${id}`).toBeDefined();
      expect(seen.get(id)?.has('@xstate.event'), `${id} received an event`).toBe(true);
    }
    expect(runtime.status()).toMatchObject({ agentId: a.agent_id, connection: { state: 'live' } });
  });

  it('answers commands from the control socket by event, over the live link', async () => {
    const h = await hub();
    const a = await registerAgent(h.url, 'commanded');
    const dir = mkdtempSync(join(tmpdir(), 'wtt-sys-'));
    const { config, reload } = configFor(dir, { WTT_API_URL: h.url, WTT_AGENT_ID: a.agent_id, WTT_AGENT_TOKEN: a.agent_token });
    const { statuses } = run(config, reload);
    await until(() => statuses.some((s) => s.state === 'live'), 10_000, 'live');
    const path = controlSocketPath(config.stateDir);
    const who = await askDaemon(path, a.agent_id, ['whoami'], 10_000);
    expect(who).toMatchObject({ exitCode: 0 });
    expect(who?.text).toContain('connection: live');
    expect(who?.text).not.toContain(a.agent_token);
    const usage = await askDaemon(path, a.agent_id, ['history'], 10_000);
    expect(usage?.exitCode).toBe(2);
    // A request for another agent is handed back to the CLI.
    expect(await askDaemon(path, 'agent-someone-else', ['list'], 10_000)).toBeUndefined();
  });

  it('keeps retrying registration by itself until the hub appears, then saves the identity and goes live', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'wtt-sys-'));
    const { config, reload } = configFor(dir, { WTT_API_URL: `http://127.0.0.1:${port}`, WTT_REGISTER_RETRY_S: '1', WTT_HTTP_TIMEOUT_S: '2' });
    expect(config.agentId).toBeUndefined();
    const { runtime, statuses } = run(config, reload);
    // No server: onboarding is in fallback and retrying; no connection was started.
    await until(() => (runtime.actor.system.get('onboarding')?.getSnapshot() as { matches(v: unknown): boolean }).matches({ identity: 'fallback' }), 10_000, 'fallback');
    expect(statuses).toEqual([]);
    // The hub comes up on the port the runtime keeps trying.
    const late = await buildHub({ dataDir: mkdtempSync(join(tmpdir(), 'wtt-sys-hub-')), logger: false });
    await late.listen({ host: '127.0.0.1', port });
    cleanups.push(() => late.close());
    await until(() => statuses.some((s) => s.state === 'live'), 20_000, () => `live (statuses ${JSON.stringify(statuses)})`);
    const agentId = runtime.status().agentId;
    expect(agentId).toMatch(/^agent-/);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toContain(`WTT_AGENT_ID=${agentId}`);
    // Commands use the new identity at once (no restart).
    const who = await askDaemon(controlSocketPath(config.stateDir), agentId, ['whoami'], 10_000);
    expect(who?.text).toContain(`agent_id: ${agentId}`);
  });
});
