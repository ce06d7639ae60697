/**
 * `wtt <command words>` with a daemon running: the built CLI (bin/wtt, a real process) forwards
 * argv over the control socket before it loads the configuration, and falls back to the full CLI
 * whenever that is the right thing: another agent's daemon, a stale socket file, a `.env` that does
 * not parse. The daemon side is the real control server (startControlServer) with a recording
 * handler; a whole daemon answering through it is covered in runtime-system.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonTarget } from '../../src/commands/fast-path.js';
import { loadConfig } from '../../src/config.js';
import { readAnswer } from '../../src/runtime/control-client.js';
import { controlSocketPath, startControlServer } from '../../src/runtime/control.js';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'wtt');
const AGENT = 'agent-fastpath0001';
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

function skill(envText = ''): { dir: string; stateDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wtt-fast-'));
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  writeFileSync(join(dir, '.env'), `WTT_STATE_DIR=state\nWTT_AGENT_ID=${AGENT}\n${envText}`);
  return { dir, stateDir };
}

async function daemon(stateDir: string, agentId = AGENT) {
  const seen: string[][] = [];
  const server = await startControlServer({
    path: controlSocketPath(stateDir),
    agentId,
    handle: async (argv) => {
      seen.push(argv);
      return argv[0] === 'history' ? { text: 'Usage: history <topic_id> [limit]', exitCode: 2 } : { text: `daemon ran: ${argv.join(' | ')}`, exitCode: 0 };
    },
  });
  if (!server) throw new Error('no control server');
  servers.push(server);
  return seen;
}

function wtt(dir: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    // Nothing listens on port 9: a command that reaches the REST path fails fast and says so.
    const env = { PATH: process.env.PATH, HOME: dir, WTT_SKILL_DIR: dir, WTT_API_URL: 'http://127.0.0.1:9', WTT_HTTP_TIMEOUT_S: '2', ...extraEnv };
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('the CLI through a running daemon', () => {
  it('forwards the words as written and prints the answer with its exit code', async () => {
    const { dir, stateDir } = skill();
    const seen = await daemon(stateDir);
    expect(await wtt(dir, ['publish', 't1', 'two words'])).toEqual({ code: 0, stdout: 'daemon ran: publish | t1 | two words\n', stderr: '' });
    expect(await wtt(dir, ['history'])).toEqual({ code: 2, stdout: '', stderr: 'Usage: history <topic_id> [limit]\n' });
    expect(seen).toEqual([['publish', 't1', 'two words'], ['history']]);
  });

  it('loads nothing from node_modules (no zod, no configuration) to reach the daemon', async () => {
    const { dir, stateDir } = skill();
    await daemon(stateDir);
    // A module hook that names every module loaded from node_modules, and every one of ours.
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/node_modules/') || r.url.includes('/dist/')) process.stderr.write('LOADED ' + r.url + '\\n'); return r; }\n`,
    );
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
    const r = await wtt(dir, ['list'], { NODE_OPTIONS: `--import ${join(dir, 'register.mjs')}` });
    expect(r.stdout).toBe('daemon ran: list\n');
    const loaded = [...r.stderr.matchAll(/LOADED \S+\/dist\/src\/(\S+)/g)].map((m) => m[1]).sort();
    expect(loaded).toEqual(['cli.js', 'commands/fast-path.js', 'env-file.js', 'errors.js', 'runtime/control-client.js', 'state-location.js']);
    expect(r.stderr).not.toContain('/node_modules/');
  });

  it('runs the command itself when the daemon serves another agent or the socket file is stale', async () => {
    const other = skill();
    const seen = await daemon(other.stateDir, 'agent-someoneelse1');
    const r = await wtt(other.dir, ['list']);
    expect(seen).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:9/);

    const stale = skill();
    // A socket file nobody listens on, as a crashed daemon leaves it.
    const s = createServer();
    await new Promise<void>((ok) => s.listen(controlSocketPath(stale.stateDir), ok));
    await new Promise<void>((ok) => s.close(() => ok()));
    writeFileSync(controlSocketPath(stale.stateDir), '');
    const r2 = await wtt(stale.dir, ['list']);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/127\.0\.0\.1:9/);
  });

  it('names a broken .env even while a daemon runs, and the daemon is not asked', async () => {
    const { dir, stateDir } = skill('WTT_NOTIFY="unclosed\n');
    const seen = await daemon(stateDir);
    const r = await wtt(dir, ['list']);
    expect(seen).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('.env line 3');
  });
});

describe('the fast path resolves what loadConfig resolves', () => {
  const cases: Array<[string, NodeJS.ProcessEnv, string]> = [
    ['default state dir', {}, ''],
    ['relative WTT_STATE_DIR in .env', {}, 'WTT_STATE_DIR=rel/state\n'],
    ['~ WTT_STATE_DIR from the environment over .env', { WTT_STATE_DIR: '~/s' }, 'WTT_STATE_DIR=ignored\n'],
    ['absolute WTT_STATE_DIR with spaces around', { WTT_STATE_DIR: '  /var/tmp/wtt-x  ' }, ''],
    ['agent id from .env, quoted', {}, `WTT_AGENT_ID='${AGENT}'\n`],
    ['blank agent id in the environment', { WTT_AGENT_ID: ' ' }, `WTT_AGENT_ID=${AGENT}\n`],
  ];
  for (const [name, env, envText] of cases) {
    it(name, () => {
      const dir = mkdtempSync(join(tmpdir(), 'wtt-fast-cfg-'));
      writeFileSync(join(dir, '.env'), envText);
      const full = { HOME: dir, WTT_SKILL_DIR: dir, ...env };
      const config = loadConfig({ env: full });
      expect(daemonTarget(full)).toEqual({ socketPath: controlSocketPath(config.stateDir), agentId: config.agentId });
    });
  }

  it('declines (the full CLI then explains) on an agent id that breaks its rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-fast-cfg-'));
    expect(daemonTarget({ HOME: dir, WTT_SKILL_DIR: dir, WTT_AGENT_ID: 'has space' })).toBeUndefined();
  });
});

describe('the answer line', () => {
  it('accepts only the two shapes the daemon sends', () => {
    expect(readAnswer('{"text":"ok","exitCode":0}')).toEqual({ text: 'ok', exitCode: 0 });
    expect(readAnswer('{"mismatch":true}')).toBe('mismatch');
    for (const bad of ['', 'nope', 'null', '[]', '{"text":1,"exitCode":0}', '{"text":"x","exitCode":3}', '{"text":"x"}', '{"text":"x","exitCode":0,"extra":1}', '{"mismatch":false}']) {
      expect(readAnswer(bad)).toBeUndefined();
    }
  });
});
