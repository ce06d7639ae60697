/**
 * `wtt up` (what `npm start` runs): the embedded hub, registration into .env, the live connection
 * printing each message once, a clean stop, and a restart that keeps the same agent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './cli-helpers.js';
import { BIN, REPO } from '../helpers/hub-process.js';
import { freePort } from '../helpers/net.js';

interface UpProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<string>;
  exit(): Promise<number | null>;
}

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  running.clear();
});

function startUp(env: Record<string, string>, args: string[] = []): UpProcess {
  const child = spawn(process.execPath, [BIN, 'up', ...args], { cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env } });
  running.add(child);
  const buf = { stdout: '', stderr: '' };
  const waiters: Array<() => void> = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  child.stdout.on('data', (d: Buffer) => { buf.stdout += d.toString(); poke(); });
  child.stderr.on('data', (d: Buffer) => { buf.stderr += d.toString(); poke(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { poke(); resolve(code); }));
  return {
    child,
    stdout: () => buf.stdout,
    stderr: () => buf.stderr,
    waitFor(stream, pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} on ${stream}\nstdout: ${buf.stdout}\nstderr: ${buf.stderr}`)), timeoutMs);
        const check = () => {
          const m = pattern.exec(buf[stream]);
          if (m) { clearTimeout(timer); resolve(m[0]); return; }
          if (child.exitCode !== null) { clearTimeout(timer); reject(new Error(`wtt up exited ${child.exitCode} before ${pattern}\nstdout: ${buf.stdout}\nstderr: ${buf.stderr}`)); return; }
          waiters.push(check);
        };
        check();
      });
    },
    exit: () => exited,
  };
}

describe('wtt up', () => {
  it('starts the local hub, registers the agent into .env and prints each message once when run on a fresh dir', async () => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'wtt-up-'));
    const port = await freePort();
    const env = { HOME: dir, WTT_SKILL_DIR: dir, WTT_HUB_PORT: String(port), WTT_LOG_LEVEL: 'warn' };
    const up = startUp(env);
    await up.waitFor('stdout', new RegExp(`hub: listening on http://127\\.0\\.0\\.1:${port}`));
    const agentLine = await up.waitFor('stdout', /agent: (agent-[0-9a-f]{12})/);
    const agentId = /agent-[0-9a-f]{12}/.exec(agentLine)?.[0];
    expect(up.stdout()).not.toContain('after a restart');
    const dotenv = readFileSync(join(dir, '.env'), 'utf8');
    expect(dotenv).toContain(`WTT_AGENT_ID=${agentId}`);
    expect(dotenv).toMatch(/WTT_AGENT_TOKEN=\S+/);
    await up.waitFor('stderr', /connection: live/);

    // The CLI in another process uses the same .env and the same hub.
    const created = await runCli(['create', 'demo', 'a first topic'], env);
    expect(created.code).toBe(0);
    const topicId = /ID: (\S+)/.exec(created.stdout)?.[1];
    expect(topicId).toBeTruthy();
    const published = await runCli(['publish', String(topicId), 'hello from the cli\nsecond line'], env);
    expect(published.code).toBe(0);
    await up.waitFor('stdout', /demo · agent-[0-9a-f]{12}: hello from the cli\n {4}second line/);
    expect(up.stdout().match(/hello from the cli/g)).toHaveLength(1);

    // Commands from other processes go through the daemon and see its live link.
    const who = await runCli(['whoami'], env);
    expect(who.code).toBe(0);
    expect(who.stdout).toContain('connection: live');
    const usage = await runCli(['history'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: wtt history <topic_id>');

    // A second daemon for the same state dir is refused, saying who runs it, and exits 0 (a service
    // manager's start of a running service is not a failure).
    const twin = startUp(env);
    expect(await twin.exit()).toBe(0);
    expect(twin.stderr()).toMatch(new RegExp(`already running \\(pid ${up.child.pid}\\) for this state dir`));

    up.child.kill('SIGTERM');
    expect(await up.exit()).toBe(0);
    expect(up.stderr()).toContain('connection: stopped');
    expect(existsSync(join(dir, '.wtt', 'control.sock'))).toBe(false);
    // The token never reaches the terminal.
    const token = /WTT_AGENT_TOKEN=(\S+)/.exec(dotenv)?.[1]?.replace(/^['"]|['"]$/g, '');
    expect(token && up.stdout().includes(token)).toBe(false);
    expect(token && up.stderr().includes(token)).toBe(false);

    // Restart: same agent, nothing printed twice.
    const again = startUp(env);
    await again.waitFor('stdout', new RegExp(`agent: ${agentId}`));
    await again.waitFor('stderr', /connection: live/);
    expect(again.stdout()).not.toContain('registered');
    const second = await runCli(['publish', String(topicId), 'after the restart'], env);
    expect(second.code).toBe(0);
    await again.waitFor('stdout', /after the restart/);
    expect(again.stdout()).not.toContain('hello from the cli');
    again.child.kill('SIGINT');
    expect(await again.exit()).toBe(0);
  });

  it('registers a new agent when the local hub lost its data between two runs', async () => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'wtt-up-'));
    const env = { HOME: dir, WTT_SKILL_DIR: dir, WTT_HUB_PORT: String(await freePort()), WTT_LOG_LEVEL: 'warn' };
    const first = startUp(env);
    const firstId = /agent-[0-9a-f]{12}/.exec(await first.waitFor('stdout', /agent: agent-[0-9a-f]{12}/))?.[0];
    await first.waitFor('stderr', /connection: live/);
    first.child.kill('SIGTERM');
    expect(await first.exit()).toBe(0);

    rmSync(join(dir, '.wtt', 'hub'), { recursive: true, force: true });
    const second = startUp(env);
    await second.waitFor('stdout', new RegExp(`does not know ${firstId} \\(its data was reset\\)`));
    const secondId = /agent-[0-9a-f]{12}/.exec(await second.waitFor('stdout', /agent: agent-[0-9a-f]{12}/))?.[0];
    await second.waitFor('stderr', /connection: live/);
    expect(secondId).not.toBe(firstId);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toContain(`WTT_AGENT_ID=${secondId}`);
    second.child.kill('SIGTERM');
    expect(await second.exit()).toBe(0);
  });

  it('refuses with a clear message when the hub port is held by something that is not a wtt hub', async () => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'wtt-up-'));
    const sockets = new Set<import('node:net').Socket>();
    const squatter = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const a = squatter.address();
    const port = typeof a === 'object' && a ? a.port : 0;
    try {
      const up = startUp({ HOME: dir, WTT_SKILL_DIR: dir, WTT_HUB_PORT: String(port), WTT_LOG_LEVEL: 'warn' });
      expect(await up.exit()).toBe(1);
      expect(up.stderr()).toContain(`port ${port} on 127.0.0.1 is taken by something that is not a wtt hub`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('exits 2 with its usage when given an unknown option', async () => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'wtt-up-'));
    const up = startUp({ HOME: dir, WTT_SKILL_DIR: dir }, ['--bogus']);
    expect(await up.exit()).toBe(2);
    expect(up.stderr()).toContain("unknown option '--bogus'");
    expect(up.stderr()).toContain('usage: wtt up');
  });
});
