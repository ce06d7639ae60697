import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandExecutor, childEnv } from '../../src/executor/command.js';
import { ExecutorError, type ExecutionRequest, type ExecutorEvent } from '../../src/executor/types.js';
import { isWttError } from '../../src/errors.js';
import { alive } from '../helpers/pid.js';

const SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'task-command.mjs');

function request(over: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    task: { id: 'task-1', title: 'Count the "words"; rm -rf / $(reboot)' },
    prompt: 'You are executing a WTT task.',
    followUps: [{ kind: 'human', from: 'alice', text: 'shorter please' }],
    idempotencyKey: 'task:task-1:run:1',
    attempt: 1,
    signal: new AbortController().signal,
    ...over,
  };
}

const exec = (mode: string, extra: string[] = [], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) =>
  commandExecutor({ argv: [process.execPath, SCRIPT, mode, ...extra], killGraceMs: 300, ...opts });


async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}

describe('executor/command', () => {
  it('passes the task as JSON on stdin and returns stdout as the result; task text never reaches a shell', async () => {
    const out = await exec('echo').run(request());
    expect(out).toBe('done: Count the "words"; rm -rf / $(reboot) [task:task-1:run:1 #1] +alice:shorter please');
  });

  it('fails with stderr as the reason on a non-zero exit, ignoring stdout', async () => {
    const err = await exec('fail').run(request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect((err as ExecutorError).code).toBe('WTT_ERR_EXECUTOR');
    expect((err as ExecutorError).transient).toBe(false);
    expect((err as ExecutorError).message).toMatch(/exited with 2: cannot handle "Count the "words"; rm -rf \/ \$\(reboot\)": bad input$/u);
  });

  it('marks exit 75 (EX_TEMPFAIL) as transient', async () => {
    const err = (await exec('tempfail').run(request()).catch((e: unknown) => e)) as ExecutorError;
    expect(err.transient).toBe(true);
    expect(err.message).toContain('model busy, try later');
  });

  it('forwards WTT_PROGRESS lines and other stderr lines as real executor events', async () => {
    const events: ExecutorEvent[] = [];
    const out = await exec('progress').run(request({ onEvent: (e) => events.push(e) }));
    expect(out).toBe('the result');
    expect(events).toEqual([
      { progress: 10, text: 'reading' },
      { text: 'a plain log line' },
      { progress: 80, text: 'writing' },
    ]);
  });

  it('kills the whole process group when the run is aborted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-exec-'));
    const pidFile = join(dir, 'pids.json');
    const ac = new AbortController();
    const started: ExecutorEvent[] = [];
    const run = exec('hang', [pidFile]).run(request({ signal: ac.signal, onEvent: (e) => started.push(e) }));
    await until(() => started.length > 0);
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { leader: number; grandchild: number };
    expect(alive(pids.grandchild)).toBe(true);
    ac.abort();
    const err = (await run.catch((e: unknown) => e)) as ExecutorError;
    expect(err.code).toBe('WTT_ERR_EXECUTOR_ABORTED');
    await until(() => !alive(pids.leader) && !alive(pids.grandchild));
  });

  it('kills the process group on its own timeout and reports a timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-exec-'));
    const pidFile = join(dir, 'pids.json');
    const err = (await exec('hang', [pidFile], { timeoutMs: 400 }).run(request()).catch((e: unknown) => e)) as ExecutorError;
    expect(isWttError(err, 'WTT_ERR_EXECUTOR_TIMEOUT')).toBe(true);
    const pids = JSON.parse(readFileSync(pidFile, 'utf8')) as { leader: number; grandchild: number };
    await until(() => !alive(pids.leader) && !alive(pids.grandchild));
  });

  it('does not start when already aborted, and names a missing command', async () => {
    const ac = new AbortController();
    ac.abort();
    expect(((await exec('echo').run(request({ signal: ac.signal })).catch((e: unknown) => e)) as ExecutorError).code).toBe('WTT_ERR_EXECUTOR_ABORTED');
    const missing = (await commandExecutor({ argv: ['/nonexistent/wtt-task-runner'] }).run(request()).catch((e: unknown) => e)) as ExecutorError;
    expect(missing.message).toBe('cannot start /nonexistent/wtt-task-runner: ENOENT');
    expect(missing.transient).toBe(false);
  });

  it('keeps secrets out of the command environment and tells it the task and key', async () => {
    const env = childEnv({ PATH: process.env.PATH, WTT_AGENT_TOKEN: 'tok-secret', OPENCLAW_GATEWAY_TOKEN: 'gw', WTT_API_URL: 'http://127.0.0.1:1' });
    expect(Object.keys(env).sort()).toEqual(['PATH', 'WTT_API_URL']);
    const out = JSON.parse(await exec('env', [], { env }).run(request())) as Record<string, unknown>;
    expect(out).toEqual({ token: null, task: 'task-1', key: 'task:task-1:run:1' });
  });

  it('caps stdout and copes with a command that does not read stdin', async () => {
    const big = await commandExecutor({ argv: [process.execPath, SCRIPT, 'big'], maxStdoutBytes: 100_000 }).run(request());
    expect(big.length).toBe(100_000);
    expect(await exec('noread').run(request())).toBe('did not read');
  });
});
