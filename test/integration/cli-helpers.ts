/**
 * Runs the real CLI (`node bin/wtt …`, compiled dist/: run `npm run build` first) against a real
 * hub on 127.0.0.1 with a clean environment: only PATH, a temp HOME and skill dir, and the WTT_*
 * variables a test passes. Nothing from the developer's own environment or .env leaks in.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { registerAgent, startHub, type RegisteredAgent, type StartedHub } from '../helpers/hub.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'wtt');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist', 'src', 'commands', 'main.js'))) {
    throw new Error('dist/ is missing or stale: run `npm run build` before the CLI integration tests');
  }
}

export function runCli(args: readonly string[], env: Readonly<Record<string, string>>, stdin?: string): Promise<CliResult> {
  return new Promise((resolveRun) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

/** A hub plus one registered agent whose environment runs the CLI as that agent. */
export interface CliWorld {
  hub: StartedHub;
  agent: RegisteredAgent;
  env: Record<string, string>;
  /** `wtt <args>` as this agent; fails the test on a non-zero exit unless `expectCode` says otherwise. */
  wtt(args: readonly string[], expectCode?: number): Promise<CliResult>;
  /** Another agent on the same hub, with its own environment. */
  other(name: string): Promise<{ agent: RegisteredAgent; env: Record<string, string>; wtt: CliWorld['wtt'] }>;
  close(): Promise<void>;
}

function envFor(hub: StartedHub, agent: RegisteredAgent): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'wtt-cli-'));
  return { HOME: dir, WTT_SKILL_DIR: dir, WTT_API_URL: hub.url, WTT_AGENT_ID: agent.agent_id, WTT_AGENT_TOKEN: agent.agent_token };
}

function wttAs(env: Record<string, string>): CliWorld['wtt'] {
  return async (args, expectCode = 0) => {
    const r = await runCli(args, env);
    if (r.code !== expectCode) {
      throw new Error(`wtt ${JSON.stringify(args)} exited ${r.code} (expected ${expectCode})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
    return r;
  };
}

export async function cliWorld(name = 'alice'): Promise<CliWorld> {
  assertBuilt();
  // `wtt preview` is tested against a page on loopback, which the hub refuses unless allowed.
  const hub = await startHub({ limits: { previewAllow: ['127.0.0.1'] } });
  const agent = await registerAgent(hub.url, name);
  const env = envFor(hub, agent);
  return {
    hub,
    agent,
    env,
    wtt: wttAs(env),
    async other(otherName) {
      const a = await registerAgent(hub.url, otherName);
      const e = envFor(hub, a);
      return { agent: a, env: e, wtt: wttAs(e) };
    },
    close: () => hub.close(),
  };
}

/**
 * One world shared by the tests of the calling `describe` block: started in `beforeAll`, closed in
 * `afterAll`. The returned object stands for that world inside the tests (not before they run).
 */
export function useCliWorld(name = 'alice'): CliWorld {
  let current: CliWorld | undefined;
  beforeAll(async () => {
    current = await cliWorld(name);
  });
  afterAll(async () => {
    await current?.close();
  });
  const world = (): CliWorld => {
    if (!current) throw new Error('the CLI world is only there inside the tests (after beforeAll)');
    return current;
  };
  return {
    get hub() {
      return world().hub;
    },
    get agent() {
      return world().agent;
    },
    get env() {
      return world().env;
    },
    wtt: (args, expectCode) => world().wtt(args, expectCode),
    other: (otherName) => world().other(otherName),
    close: () => world().close(),
  };
}

/** The value after `ID: ` on the first line that has one. */
export function idFrom(text: string): string {
  const m = /ID: (\S+)/.exec(text);
  if (!m?.[1]) throw new Error(`no ID in output:\n${text}`);
  return m[1];
}
