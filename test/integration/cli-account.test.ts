import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCliWorld, runCli } from './cli-helpers.js';

/** An API URL where nothing listens: a command that tried the network would fail. */
const DEAD_URL = 'http://127.0.0.1:9';

describe('cli account, help and exit codes', () => {
  const w = useCliWorld('alice');

  it('prints the overview when run with no words or help, offline', async () => {
    const env = { ...w.env, WTT_API_URL: DEAD_URL };
    const none = await runCli([], env);
    const help = await runCli(['help'], env);
    const prefixed = await runCli(['@wtt', 'help'], env);
    for (const r of [none, help, prefixed]) {
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^WTT commands \(in chat: @wtt <command>; in a shell: wtt <command>\)\n\nTopic Management:\n/);
      expect(r.stdout).toContain('\nAccount:\n  bind\n  config [auto|init|setup]\n');
    }
  });

  it('prints one command help for --help and help <command>, offline', async () => {
    const env = { ...w.env, WTT_API_URL: DEAD_URL };
    const a = await runCli(['task', 'review', '--help'], env);
    const b = await runCli(['help', 'task', 'review'], env);
    for (const r of [a, b]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('Usage: wtt task review <task_id> <approve|reject|block> [comment…]\n\nReview a task\n');
    }
  });

  it('exits 2 with the usage line and no stack when the command is unknown or malformed', async () => {
    const unknown = await runCli(['frobnicate'], w.env);
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: 'Unknown command: frobnicate\nUsage: wtt help\n' });
    const glued = await runCli(['@wttlist'], w.env);
    expect(glued.code).toBe(2);
    expect(glued.stderr).toBe('Unknown command: @wttlist\nUsage: wtt help\n');
    const quote = await runCli(['task create "never closed'], w.env);
    expect(quote.code).toBe(2);
    expect(quote.stderr).toBe('unterminated double quote at character 13\nUsage: wtt task create <title> [description…] [key=value…]\n');
    for (const r of [unknown, glued, quote]) expect(r.stderr).not.toMatch(/\bat .+\.js:\d+/);
  });

  it('accepts the whole command as one argument with the @wtt prefix', async () => {
    const r = await w.wtt(['@wtt create "quoted name" a described topic']);
    expect(r.stdout).toMatch(/^Topic created: quoted name\nType: discussion\nID: \S+\n$/);
  });

  it('exits 1 with a clear message and no secret when the hub cannot be reached', async () => {
    const r = await runCli(['list'], { ...w.env, WTT_API_URL: DEAD_URL });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Error: cannot reach the WTT server at http:\/\/127\.0\.0\.1:9 \(.+\)\n$/);
    expect(r.stderr).not.toContain(w.agent.agent_token);
  });

  it('exits 1 with the server detail when the token is wrong, never echoing it', async () => {
    const bad = 'wrong-token-0123456789abcdef';
    const r = await runCli(['subscribed'], { ...w.env, WTT_AGENT_TOKEN: bad });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: .+\(HTTP 401\)\n$/);
    expect(r.stderr + r.stdout).not.toContain(bad);
  });

  it('shows the configuration with the token masked under config, cfg and whoami', async () => {
    for (const verb of ['config', 'cfg', 'whoami']) {
      const r = await w.wtt([verb]);
      expect(r.stdout).toContain(`WTT Runtime Config\nagent_id: ${w.agent.agent_id}\n`);
      expect(r.stdout).toContain(`agent_token: ${w.agent.agent_token.slice(0, 4)}…${w.agent.agent_token.slice(-4)}\n`);
      expect(r.stdout).toContain(`api_url: ${w.hub.url}\n`);
      expect(r.stdout).not.toContain(w.agent.agent_token);
    }
  });

  it('registers a fresh agent and saves it to .env with config auto, then binds it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-cli-fresh-'));
    writeFileSync(join(dir, '.env'), '# my settings\nWTT_IM_CHANNEL=telegram\nWTT_IM_TARGET=555001\n');
    const env = { HOME: dir, WTT_SKILL_DIR: dir, WTT_API_URL: w.hub.url, OPENCLAW_HOME: join(dir, 'no-openclaw') };
    expect((await runCli(['bind'], env)).stderr).toMatch(/WTT_AGENT_ID is not set .*run `wtt config auto` first/);
    for (const verb of [['config', 'auto'], ['cfg', 'init'], ['whoami', 'setup']]) {
      const r = await runCli(verb, env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/(✅ agent_id registered: agent-\S+|ℹ️ agent_id already set: agent-\S+)/);
      expect(r.stdout).toContain('ℹ️ IM route already configured: telegram → 555001');
    }
    const saved = readFileSync(join(dir, '.env'), 'utf8');
    expect(saved).toMatch(/^# my settings\n/);
    const id = /WTT_AGENT_ID=(\S+)/.exec(saved)?.[1];
    const token = /WTT_AGENT_TOKEN=(\S+)/.exec(saved)?.[1];
    expect(id).toMatch(/^agent-/);
    expect(token).toBeTruthy();
    const shown = await runCli(['whoami'], env);
    expect(shown.stdout).toContain(`agent_id: ${id}\n`);
    expect(shown.stdout).not.toContain(token as string);

    const bound = await runCli(['bind'], env);
    expect(bound.code).toBe(0);
    expect(bound.stdout).toMatch(/^Claim code: WTT-CLAIM-[A-Z0-9]{8}\nExpires in: 15 min \(at .+\)\n/);
  });

  it('never prints the token in any output or trace log when a fresh agent onboards through the CLI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-cli-trace-'));
    const env = { HOME: dir, WTT_SKILL_DIR: dir, WTT_API_URL: w.hub.url, WTT_LOG_LEVEL: 'trace' };
    const runs = [await runCli(['config', 'auto'], env)];
    const token = /WTT_AGENT_TOKEN=(\S+)/.exec(readFileSync(join(dir, '.env'), 'utf8'))?.[1] ?? '';
    expect(token.length).toBeGreaterThan(8);
    for (const args of [['whoami'], ['bind'], ['list'], ['subscribed'], ['poll']]) runs.push(await runCli(args, env));
    runs.push(await runCli(['bind'], { ...env, WTT_AGENT_TOKEN: `${token}x` }));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0, 1]);
    const all = runs.map((r) => r.stdout + r.stderr).join('\n');
    // The trace logs really were written (to stderr), and the masked form is all that shows.
    expect(all).toContain('agent registered');
    expect(all).toContain('claim code issued');
    expect(all).toContain(`${token.slice(0, 4)}…${token.slice(-4)}`);
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.slice(4, 16));
  });

  it('loads no network, validation or statechart library when printing help', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-cli-hooks-'));
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes('/node_modules/')) process.stderr.write('LOADED ' + r.url + '\\n'); return r; }\n`,
    );
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
    const env = { ...w.env, NODE_OPTIONS: `--import ${join(dir, 'register.mjs')}` };
    const help = await runCli(['publish', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stderr).not.toContain('LOADED');
    const list = await runCli(['list'], env);
    expect(list.code).toBe(0);
    expect(list.stderr).toMatch(/LOADED \S+\/node_modules\/undici\//);
    expect(list.stderr).not.toMatch(/\/node_modules\/(ws|xstate)\//);
  });
});
