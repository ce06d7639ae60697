import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULTS, ENV_KEYS, loadConfig, maskToken, misspeltKey, REPO_ROOT, skillDirFrom } from '../../src/config.js';
import { isWttError } from '../../src/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wtt-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A clean environment pointing at the temp skill dir (never the repository's own .env). */
const envOf = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ WTT_SKILL_DIR: dir, HOME: dir, ...extra });

function configError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isWttError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a configuration error');
}

describe('config', () => {
  it('uses the documented defaults when nothing is set', () => {
    const c = loadConfig({ env: envOf() });
    expect(c.skillDir).toBe(dir);
    expect(c.envFile).toBe(join(dir, '.env'));
    expect(c.stateDir).toBe(join(dir, '.wtt'));
    expect(c.apiUrl).toBe('http://127.0.0.1:8787');
    expect(c.wsUrl).toBe('ws://127.0.0.1:8787/ws');
    expect(c.pollIntervalMs).toBe(DEFAULTS.pollIntervalS * 1000);
    expect(c.registerRetryMs).toBe(30_000);
    expect(c.agentId).toBeUndefined();
    expect(c.imChannel).toBeUndefined();
    expect(c.imTargets).toEqual([]);
    expect(c.openclawHome).toBe(join(dir, '.openclaw'));
    expect(c.openclawConfigPath).toBe(join(dir, '.openclaw', 'openclaw.json'));
    expect(c.openclawAgentId).toBe('main');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('has no personal default such as a chat id when no route is configured', () => {
    const c = loadConfig({ env: envOf() });
    expect(c.imTargets).toHaveLength(0);
    expect(c.imFallbacks).toHaveLength(0);
    expect(c.imChannel).toBeUndefined();
  });

  it('reads <skill dir>/.env but lets the process environment win when both set a key', () => {
    writeFileSync(join(dir, '.env'), 'WTT_AGENT_ID=from-file\nWTT_IM_CHANNEL=telegram\nWTT_IM_TARGET=555001\n');
    const c = loadConfig({ env: envOf({ WTT_AGENT_ID: 'from-env' }) });
    expect(c.agentId).toBe('from-env');
    expect(c.imChannel).toBe('telegram');
    expect(c.imTargets).toEqual(['555001']);
  });

  it('prefers WTT_IM_TARGETS over WTT_IM_TARGET when both are set', () => {
    const c = loadConfig({ env: envOf({ WTT_IM_TARGET: '1', WTT_IM_TARGETS: '2, 3' }) });
    expect(c.imTargets).toEqual(['2', '3']);
  });

  it('derives the state dir from the skill dir and resolves a relative WTT_STATE_DIR inside it', () => {
    expect(loadConfig({ env: envOf({ WTT_STATE_DIR: 'state' }) }).stateDir).toBe(join(dir, 'state'));
    expect(loadConfig({ env: envOf({ WTT_STATE_DIR: '/var/x' }) }).stateDir).toBe('/var/x');
  });

  it('finds OpenClaw state the way OpenClaw does when OPENCLAW_HOME, OPENCLAW_STATE_DIR or OPENCLAW_CONFIG_PATH is set', () => {
    expect(loadConfig({ env: envOf({ OPENCLAW_HOME: '/srv/bot' }) }).openclawHome).toBe('/srv/bot/.openclaw');
    const c = loadConfig({ env: envOf({ OPENCLAW_HOME: '/srv/bot', OPENCLAW_STATE_DIR: '/data/oc', OPENCLAW_CONFIG_PATH: '~/oc.json' }) });
    expect(c.openclawHome).toBe('/data/oc');
    expect(c.openclawConfigPath).toBe(join(dir, 'oc.json'));
  });

  it('parses fallback routes when WTT_IM_FALLBACKS lists channel:target pairs', () => {
    const c = loadConfig({ env: envOf({ WTT_IM_FALLBACKS: 'telegram:1, discord:user:42' }) });
    expect(c.imFallbacks).toEqual([
      { channel: 'telegram', target: '1' },
      { channel: 'discord', target: 'user:42' },
    ]);
  });

  it.each([
    ['WTT_POLL_INTERVAL', 'abc', "WTT_POLL_INTERVAL must be a number of seconds ≥ 1, got 'abc'"],
    ['WTT_POLL_INTERVAL', '0', "WTT_POLL_INTERVAL must be a number of seconds ≥ 1, got '0'"],
    ['WTT_MAX_CONCURRENT_TASKS', '2.5', "WTT_MAX_CONCURRENT_TASKS must be a whole number ≥ 1, got '2.5'"],
    ['WTT_HUB_PORT', '70000', "WTT_HUB_PORT must be a whole number from 0 to 65535, got '70000'"],
    ['WTT_API_URL', 'not a url', "WTT_API_URL must be a URL (http or https), got 'not a url'"],
    ['WTT_API_URL', 'ftp://x', "WTT_API_URL must use http or https, got 'ftp://x'"],
    ['WTT_WS_URL', 'http://x', "WTT_WS_URL must use ws or wss, got 'http://x'"],
    ['WTT_LOG_LEVEL', 'loud', "WTT_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got 'loud'"],
    ['WTT_AGENT_ID', 'has space', "WTT_AGENT_ID must be an agent id (letters, digits and . _ : @ -), got 'has space'"],
    ['WTT_IM_FALLBACKS', 'telegram', "WTT_IM_FALLBACKS must be a comma list of channel:target, got 'telegram'"],
  ])('names the key and the bad value when %s is %s', (key, value, expected) => {
    const msg = configError(() => loadConfig({ env: envOf({ [key]: value }) }));
    expect(msg).toContain(expected);
    expect(msg).toContain('(from the environment)');
  });

  it('names the .env line of a bad value when it comes from the file', () => {
    writeFileSync(join(dir, '.env'), '# c\nWTT_AGENT_ID=a1\nWTT_HEARTBEAT_S=soon\n');
    const msg = configError(() => loadConfig({ env: envOf() }));
    expect(msg).toContain("WTT_HEARTBEAT_S must be a number of seconds ≥ 1, got 'soon'");
    expect(msg).toContain(`${join(dir, '.env')} line 3`);
  });

  it('lists every problem at once when several values are wrong', () => {
    const msg = configError(() => loadConfig({ env: envOf({ WTT_POLL_INTERVAL: 'x', WTT_HUB_PORT: '-1' }) }));
    expect(msg).toContain('WTT_POLL_INTERVAL');
    expect(msg).toContain('WTT_HUB_PORT');
  });

  it.each(['WTT_AGENT_TOKEN', 'WTT_BEARER_TOKEN', 'OPENCLAW_GATEWAY_TOKEN'])('never prints the value of %s when it is invalid', (key) => {
    const secret = 'sekrit-value with-space-9876543210';
    const msg = configError(() => loadConfig({ env: envOf({ [key]: secret }) }));
    expect(msg).toContain(key);
    expect(msg).toContain('hidden');
    expect(msg).not.toContain('sekrit');
    expect(msg).not.toContain('9876543210');
  });

  it('reports a broken .env with its line number when the file cannot be parsed', () => {
    writeFileSync(join(dir, '.env'), 'WTT_AGENT_ID=a\nWTT_AGENT_TOKEN="abc\n');
    let err: unknown;
    try {
      loadConfig({ env: envOf() });
    } catch (e) {
      err = e;
    }
    expect(isWttError(err, 'WTT_ERR_ENV_PARSE')).toBe(true);
    expect((err as Error).message).toContain('line 2');
    expect((err as Error).message).not.toContain('abc');
  });

  it('suggests the right name when a .env key is misspelt', () => {
    writeFileSync(join(dir, '.env'), 'WTT_API_ULR=http://127.0.0.1:1\n');
    const msg = configError(() => loadConfig({ env: envOf() }));
    expect(msg).toContain('WTT_API_ULR is not a variable wtt reads; did you mean WTT_API_URL?');
    expect(misspeltKey('WTT_POLL_LLM')).toBeUndefined();
    expect(misspeltKey('PATH')).toBeUndefined();
  });

  it('ignores the .env file when ignoreEnvFile is set', () => {
    writeFileSync(join(dir, '.env'), 'WTT_AGENT_ID=from-file\n');
    expect(loadConfig({ env: envOf(), ignoreEnvFile: true }).agentId).toBeUndefined();
  });

  it('documents every variable it reads in .env.example', async () => {
    const { readFileSync } = await import('node:fs');
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    for (const k of ENV_KEYS) expect(example, k).toMatch(new RegExp(`^#? ?${k}=`, 'm'));
  });

  it('loads a copy of .env.example with every default when it is used as .env', async () => {
    const { copyFileSync } = await import('node:fs');
    copyFileSync(new URL('../../.env.example', import.meta.url), join(dir, '.env'));
    const c = loadConfig({ env: envOf() });
    expect(c.apiUrl).toBe(DEFAULTS.apiUrl);
    expect(c.agentId).toBeUndefined();
    expect(c.imTargets).toEqual([]);
    expect(c.stateDir).toBe(join(dir, '.wtt'));
  });

  it('uses the repository root as skill dir when WTT_SKILL_DIR is unset', () => {
    expect(skillDirFrom({})).toBe(REPO_ROOT);
    expect(existsSync(join(REPO_ROOT, 'package.json'))).toBe(true);
    expect(skillDirFrom({ WTT_SKILL_DIR: '~/agents/two', HOME: '/home/x' })).toBe('/home/x/agents/two');
  });

  it('masks a token to its first and last four characters when it shows it', () => {
    expect(maskToken('abcdefghijklmnopwxyz')).toBe('abcd…wxyz');
    expect(maskToken('short')).toBe('s…t');
    expect(maskToken(undefined)).toBe('(unset)');
  });
});
