import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock, waitFor } from 'xstate';
import { loadConfig } from '../../src/config.js';
import { parseEnvText } from '../../src/env-file.js';
import { isWttError } from '../../src/errors.js';
import { buildHub, type Hub } from '../../src/hub/index.js';
import { createLogger, type Logger } from '../../src/log.js';
import { startOnboarding } from '../../src/onboarding/actor.js';
import { bind, configAuto, whoami } from '../../src/onboarding/commands.js';
import { buildSqliteStore, deliveryEntry } from '../fixtures/openclaw-store.js';
import { startHub, type StartedHub } from '../helpers/hub.js';
import { freePort } from '../helpers/net.js';

/** A logger at `trace` whose every line is kept in memory. */
function memoryLogger(): { log: Logger; text: () => string } {
  const chunks: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { log: createLogger({ level: 'trace', destination: dest }), text: () => chunks.join('') };
}

let dir: string;
let cleanups: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wtt-onb-'));
});
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  rmSync(dir, { recursive: true, force: true });
});

/** The environment of a fresh skill checkout: its own dir, its own HOME (so its own ~/.openclaw). */
const envFor = (apiUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ WTT_SKILL_DIR: dir, HOME: dir, WTT_API_URL: apiUrl, ...extra });

async function hub(opts: Parameters<typeof startHub>[0] = {}): Promise<StartedHub> {
  const h = await startHub(opts);
  cleanups.push(() => h.close());
  return h;
}

async function post(url: string, body: unknown, bearer?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A WTT user account on the hub, logged in. */
async function hubUser(url: string, email: string): Promise<string> {
  const reg = await post(`${url}/auth/register`, { email, password: 'correct horse battery', display_name: email });
  expect(reg.status).toBe(200);
  const login = await post(`${url}/auth/login`, { email, password: 'correct horse battery' });
  expect(login.status).toBe(200);
  return login.json.access_token as string;
}

describe('onboarding (against the real hub)', () => {
  it('registers, detects the chat route and writes .env when config auto runs in a fresh dir', async () => {
    const h = await hub();
    const store = buildSqliteStore(join(dir, '.openclaw'), 'main', [{ key: 'agent:main:main', entry: deliveryEntry('telegram', 'telegram:555001', Date.now()) }], []);
    cleanups.push(() => void store.close());
    writeFileSync(join(dir, '.env'), '# my notes\nMY_OTHER_TOOL=keep\n');
    const { log } = memoryLogger();

    const out = await configAuto({ config: loadConfig({ env: envFor(h.url) }), log });

    const env = parseEnvText(readFileSync(join(dir, '.env'), 'utf8')).values;
    expect(env.WTT_AGENT_ID).toMatch(/^agent-/);
    expect(env.WTT_AGENT_TOKEN?.length).toBeGreaterThan(8);
    expect(env).toMatchObject({ MY_OTHER_TOOL: 'keep', WTT_IM_CHANNEL: 'telegram', WTT_IM_TARGET: '555001' });
    expect(readFileSync(join(dir, '.env'), 'utf8').startsWith('# my notes\nMY_OTHER_TOOL=keep\n')).toBe(true);
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    expect(out).toContain(`✅ agent_id registered: ${env.WTT_AGENT_ID} (token ${env.WTT_AGENT_TOKEN?.slice(0, 4)}…${env.WTT_AGENT_TOKEN?.slice(-4)})`);
    expect(out).toContain("✅ IM route auto-configured: telegram → 555001 (from OpenClaw's SQLite store");
    expect(out).toContain(`📄 Saved to ${join(dir, '.env')}`);

    // The hub knows the agent, and the saved token is the agent's.
    const profile = await fetch(`${h.url}/agents/${env.WTT_AGENT_ID}`);
    expect(profile.status).toBe(200);
    const code = await post(`${h.url}/agents/claim-code`, { agent_id: env.WTT_AGENT_ID }, env.WTT_AGENT_TOKEN);
    expect(code.status).toBe(200);

    // A second run changes nothing and says so.
    const again = await configAuto({ config: loadConfig({ env: envFor(h.url) }), log });
    expect(again).toContain(`ℹ️ agent_id already set: ${env.WTT_AGENT_ID}`);
    expect(again).toContain('ℹ️ IM route already configured: telegram → 555001');
    expect(again).toContain('📄 Nothing new to save');
  });

  it('tells the user to restart a running daemon after saving unless the caller reloads the config itself', async () => {
    const h = await hub();
    const { log } = memoryLogger();
    const restartHint = 'ℹ️ A running wtt daemon uses the new values after a restart.';

    const fromDaemon = await configAuto({ config: loadConfig({ env: envFor(h.url) }), log, reloadsConfig: true });
    expect(fromDaemon).toContain(`📄 Saved to ${join(dir, '.env')}`);
    expect(fromDaemon).not.toContain(restartHint);

    writeFileSync(join(dir, '.env'), '');
    const fromCli = await configAuto({ config: loadConfig({ env: envFor(h.url) }), log });
    expect(fromCli).toContain(`📄 Saved to ${join(dir, '.env')}`);
    expect(fromCli).toContain(restartHint);
  });

  it('shows the new identity masked in whoami when config auto has run', async () => {
    const h = await hub();
    const { log } = memoryLogger();
    await configAuto({ config: loadConfig({ env: envFor(h.url) }), log });
    const config = loadConfig({ env: envFor(h.url) });
    const out = await whoami({ config, log, connectionState: 'live' });
    expect(out.split('\n')).toEqual([
      'WTT Runtime Config',
      `agent_id: ${config.agentId}`,
      `agent_token: ${config.agentToken?.slice(0, 4)}…${config.agentToken?.slice(-4)}`,
      `api_url: ${h.url}`,
      `ws_url: ${h.url.replace('http', 'ws')}/ws`,
      'im_channel: (unset)',
      'im_target(s): (unset)',
      'connection: live',
      `state_dir: ${join(dir, '.wtt')}`,
      `config_file: ${join(dir, '.env')}`,
      'tip: @wtt config auto',
    ]);
  });

  it('warns about a missing token when an agent id is configured without one', async () => {
    const h = await hub();
    const out = await configAuto({ config: loadConfig({ env: envFor(h.url, { WTT_AGENT_ID: 'agent-handmade' }) }), log: memoryLogger().log });
    expect(out).toContain('ℹ️ agent_id already set: agent-handmade');
    expect(out).toContain('⚠️ WTT_AGENT_TOKEN is not set');
  });

  it('tells the user what to set when config auto finds no chat route', async () => {
    const h = await hub();
    const out = await configAuto({ config: loadConfig({ env: envFor(h.url) }), log: memoryLogger().log });
    expect(out).toContain('⚠️ IM route: no direct chat found in OpenClaw. Set WTT_IM_CHANNEL / WTT_IM_TARGET');
    expect(out).toContain('no OpenClaw SQLite store at');
    expect(parseEnvText(readFileSync(join(dir, '.env'), 'utf8')).values.WTT_IM_TARGET).toBeUndefined();
  });

  it('gives a claim code that a hub user can claim once when bind runs', async () => {
    const h = await hub();
    const { log } = memoryLogger();
    await configAuto({ config: loadConfig({ env: envFor(h.url) }), log });
    const config = loadConfig({ env: envFor(h.url) });

    const out = await bind({ config, log });
    const code = /^Claim code: (WTT-CLAIM-[A-Z0-9]{8})$/m.exec(out)?.[1];
    expect(code).toBeDefined();
    expect(out).toMatch(/^Expires in: 15 min \(at \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/m);

    const alice = await hubUser(h.url, 'alice@example.test');
    const first = await post(`${h.url}/agents/claim`, { code }, alice);
    expect(first.status).toBe(200);
    expect(first.json.agent_id).toBe(config.agentId);
    const mine = await fetch(`${h.url}/agents/my`, { headers: { authorization: `Bearer ${alice}` } });
    expect(((await mine.json()) as { agent_id: string }[]).map((b) => b.agent_id)).toEqual([config.agentId]);

    const bob = await hubUser(h.url, 'bob@example.test');
    const second = await post(`${h.url}/agents/claim`, { code }, bob);
    expect(second.status).toBe(409);
    expect(String(second.json.detail)).toMatch(/already been used/);
  });

  it('gives a code the hub refuses after it expired', async () => {
    let now = Date.parse('2026-09-01T10:00:00Z');
    const h = await hub({ now: () => now });
    const { log } = memoryLogger();
    await configAuto({ config: loadConfig({ env: envFor(h.url) }), log });
    const out = await bind({ config: loadConfig({ env: envFor(h.url) }), log });
    const code = /Claim code: (\S+)/.exec(out)?.[1];
    now += 15 * 60_000 + 1;
    const alice = await hubUser(h.url, 'late@example.test');
    const r = await post(`${h.url}/agents/claim`, { code }, alice);
    expect(r.status).toBe(410);
    expect(String(r.json.detail)).toMatch(/expired/);
  });

  it('refuses bind with a clear message when no agent id is configured', async () => {
    const h = await hub();
    const err = await bind({ config: loadConfig({ env: envFor(h.url) }), log: memoryLogger().log }).catch((e: unknown) => e);
    expect(isWttError(err, 'WTT_ERR_NO_AGENT')).toBe(true);
    expect((err as Error).message).toContain('WTT_AGENT_ID is not set');
    expect((err as Error).message).toContain('wtt config auto');
  });

  it('reports the refusal without the token when the hub rejects the agent token', async () => {
    const h = await hub();
    const a = await post(`${h.url}/agents/register`, { platform: 'openclaw' });
    const wrong = 'definitely-not-the-token-0123456789';
    const err = await bind({
      config: loadConfig({ env: envFor(h.url, { WTT_AGENT_ID: a.json.agent_id as string, WTT_AGENT_TOKEN: wrong }) }),
      log: memoryLogger().log,
    }).catch((e: unknown) => e);
    expect(isWttError(err)).toBe(true);
    expect((err as Error).message).toMatch(/^Failed to generate claim code: .*401/);
    expect((err as Error).message).not.toContain(wrong);
  });

  it('falls back loudly while the hub is unreachable, then registers once it comes up', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { log, text } = memoryLogger();
    const config = loadConfig({ env: envFor(url, { WTT_REGISTER_RETRY_S: '5' }) });

    // The one-shot command reports it and invents nothing.
    const out = await configAuto({ config, log });
    expect(out).toContain(`⚠️ Not registered: the WTT server at ${url} did not answer`);
    expect(out).toContain('No local id was invented');
    expect(loadConfig({ env: envFor(url) }).agentId).toBeUndefined();

    // The long-lived actor (as the daemon runs it) keeps retrying.
    const clock = new SimulatedClock();
    const actor = startOnboarding({ config, log, clock });
    cleanups.push(() => void actor.stop());
    actor.send({ type: 'START' });
    await waitFor(actor, (s) => s.matches({ identity: 'fallback' }), { timeout: 10_000 });
    expect(text()).toMatch(/WTT SERVER UNREACHABLE: this agent is NOT registered/);
    expect(actor.getSnapshot().context.agentId).toBeUndefined();

    // A retry while still down stays in fallback with a longer delay.
    clock.increment(5000);
    await waitFor(actor, (s) => s.matches({ identity: 'fallback' }) && s.context.registerAttempts === 2, { timeout: 10_000 });
    expect(actor.getSnapshot().context.retryInMs).toBe(10_000);

    const late: Hub = await buildHub({ dataDir: mkdtempSync(join(tmpdir(), 'wtt-hub-late-')), logger: false });
    cleanups.push(() => late.close());
    await late.listen({ host: '127.0.0.1', port });

    clock.increment(10_000);
    const s = await waitFor(actor, (x) => x.matches({ identity: 'registered' }), { timeout: 10_000 });
    expect(s.context.agentId).toMatch(/^agent-/);
    const saved = loadConfig({ env: envFor(url) });
    expect(saved.agentId).toBe(s.context.agentId);
    expect(late.core.auth.agentExists(saved.agentId as string)).toBe(true);
  });

  it('never writes the token to the logs during a full onboarding', async () => {
    const h = await hub();
    const store = buildSqliteStore(join(dir, '.openclaw'), 'main', [{ key: 'k', entry: deliveryEntry('telegram', 'telegram:42', Date.now()) }], []);
    cleanups.push(() => void store.close());
    const { log, text } = memoryLogger();
    const outputs: string[] = [];

    outputs.push(await configAuto({ config: loadConfig({ env: envFor(h.url) }), log }));
    const config = loadConfig({ env: envFor(h.url) });
    const token = config.agentToken as string;
    expect(token.length).toBeGreaterThan(8);
    outputs.push(await whoami({ config, log }));
    outputs.push(await bind({ config, log }));
    const actor = startOnboarding({ config, log });
    actor.send({ type: 'START' });
    actor.send({ type: 'BIND' });
    await waitFor(actor, (s) => s.matches({ bind: 'codeIssued' }) && s.matches({ route: 'configured' }), { timeout: 10_000 });
    log.info({ snapshot: actor.getPersistedSnapshot() }, 'snapshot');
    actor.stop();
    // A refused call logs its error too.
    await bind({ config: { ...config, agentToken: `${token}x` }, log }).catch((e: unknown) => log.error({ err: e }, 'bind failed'));

    const logs = text();
    expect(logs).toContain('agent registered');
    expect(logs).toContain('claim code issued');
    expect(logs).toContain('[Redacted]');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(token.slice(0, 12));
    for (const o of outputs) expect(o).not.toContain(token);
    expect(outputs.join('\n')).toContain(`${token.slice(0, 4)}…${token.slice(-4)}`);
  });
});
