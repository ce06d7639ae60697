/**
 * The `openclaw` executor against a fake OpenClaw gateway `/tools/invoke` (test/fakes/gateway.ts)
 * that runs session tools like the real one: spawn → the agent's tool call → its final answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HISTORY_TEXT_MAX_CHARS, openclawExecutor, sessionOutcome, type SessionKeyStore } from '../../src/executor/openclaw.js';
import { ExecutorError, type ExecutionRequest, type ExecutorEvent } from '../../src/executor/types.js';
import { startFakeGateway, type FakeGateway } from '../fakes/gateway.js';

const TOKEN = 'gw-exec-token-123456';
let gw: FakeGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

function memoryKeys(): SessionKeyStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, get: (k) => map.get(k), set: (k, v) => void map.set(k, v) };
}

function request(over: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return {
    task: { id: 'task-0123456789abcdef', title: 'Summarise the report' },
    prompt: 'You are executing a WTT task. Summarise the report.',
    followUps: [],
    idempotencyKey: 'task:task-0123456789abcdef:run:1',
    attempt: 1,
    signal: new AbortController().signal,
    ...over,
  };
}

const executor = (g: FakeGateway, keys: SessionKeyStore, over: Partial<Parameters<typeof openclawExecutor>[0]> = {}) =>
  openclawExecutor({
    gateway: () => ({ url: g.url, token: TOKEN, tokenSource: 'OPENCLAW_GATEWAY_TOKEN' }),
    openclawConfigPath: '/home/u/.openclaw/openclaw.json',
    sessions: keys,
    maxRuntimeMs: 10_000,
    pollFirstMs: 20,
    pollMaxMs: 50,
    ...over,
  });

const calls = (g: FakeGateway, tool: string) => g.calls.filter((c) => c.body.tool === tool);

describe('openclaw executor', () => {
  it('spawns a session, reports the agent’s real steps, and returns its final answer', async () => {
    gw = await startFakeGateway({ token: TOKEN, sessions: { reply: (p) => `summary of: ${p.slice(0, 20)}`, stepMs: 60 } });
    const keys = memoryKeys();
    const events: ExecutorEvent[] = [];
    const result = await executor(gw, keys).run(request({ onEvent: (e) => events.push(e) }));
    expect(result).toBe('summary of: You are executing a');
    const spawn = calls(gw, 'sessions_spawn');
    expect(spawn).toHaveLength(1);
    expect(spawn[0]?.body.args).toMatchObject({ task: 'You are executing a WTT task. Summarise the report.', mode: 'run', cleanup: 'keep', runTimeoutSeconds: 120 });
    expect(String((spawn[0]?.body.args as { label?: unknown }).label)).toMatch(/^wtt-task-task-0123456-[0-9a-f]{6}$/);
    expect(events.map((e) => e.text)).toEqual(['started on the OpenClaw agent', 'the agent runs exec']);
    // Waiting is a growing interval, not a busy loop: a handful of history reads for ~120 ms.
    expect(calls(gw, 'sessions_history').length).toBeLessThan(12);
    expect(keys.map.get('openclaw.session.run:task:task-0123456789abcdef:run:1')).toBe('agent:main:subagent:1');
  });

  it('after a restart waits on the session it already started instead of spawning another', async () => {
    gw = await startFakeGateway({ token: TOKEN, sessions: { reply: () => 'done once', stepMs: 30 } });
    const keys = memoryKeys();
    expect(await executor(gw, keys).run(request())).toBe('done once');
    // Same run key again (the daemon restarted mid-run and reruns it): no second spawn.
    expect(await executor(gw, keys).run(request({ attempt: 2 }))).toBe('done once');
    expect(calls(gw, 'sessions_spawn')).toHaveLength(1);
  });

  it('sends a follow-up to the task’s own session, and spawns anew when that session is gone', async () => {
    gw = await startFakeGateway({ token: TOKEN, sessions: { reply: (p) => (p.includes('shorter') ? 'short version' : 'long version'), stepMs: 20 } });
    const keys = memoryKeys();
    expect(await executor(gw, keys).run(request())).toBe('long version');
    const followUp = request({ idempotencyKey: 'task:task-0123456789abcdef:run:2', prompt: 'Reviewer: make it shorter', followUps: [{ kind: 'review', from: 'ana', text: 'make it shorter' }] });
    expect(await executor(gw, keys).run(followUp)).toBe('short version');
    expect(calls(gw, 'sessions_send')).toHaveLength(1);
    expect(calls(gw, 'sessions_send')[0]?.body.args).toMatchObject({ sessionKey: 'agent:main:subagent:1', message: 'Reviewer: make it shorter' });
    expect(calls(gw, 'sessions_spawn')).toHaveLength(1);

    // The session is gone (the gateway was reset): the follow-up run starts a new one.
    gw.sessions.clear();
    const third = request({ idempotencyKey: 'task:task-0123456789abcdef:run:3', prompt: 'Reviewer: shorter still', followUps: [{ kind: 'review', from: 'ana', text: 'shorter still' }] });
    expect(await executor(gw, keys).run(third)).toBe('short version');
    expect(calls(gw, 'sessions_spawn')).toHaveLength(2);
  });

  it('says the answer was cut when the gateway’s sessions_history gives only its first 4,000 characters', async () => {
    const long = Array.from({ length: 200 }, (_, i) => `line ${String(i).padStart(3, '0')} of a long answer, forty-nine chars.`).join('\n');
    expect(long.length).toBeGreaterThan(8_000);
    gw = await startFakeGateway({ token: TOKEN, sessions: { reply: () => long, stepMs: 20 } });
    const result = await executor(gw, memoryKeys()).run(request());
    const [kept, note] = result.split('\n\n[wtt: ');
    expect(long.startsWith(kept ?? '')).toBe(true);
    expect(kept?.length).toBeLessThanOrEqual(HISTORY_TEXT_MAX_CHARS);
    expect(kept?.length).toBeGreaterThan(HISTORY_TEXT_MAX_CHARS - 60);
    expect(note).toBe("the OpenClaw gateway's sessions_history gives at most 4,000 characters of a message, so the agent's answer was cut here; the whole answer is in the session's transcript on the OpenClaw side]");
    expect(result).not.toContain('…(truncated)…');
  });

  it('says exactly what to add to gateway.tools.allow when the session tools are not allowed', async () => {
    gw = await startFakeGateway({ token: TOKEN });
    const e = await executor(gw, memoryKeys()).run(request()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExecutorError);
    expect((e as ExecutorError).code).toBe('WTT_ERR_GATEWAY_TOOLS');
    expect((e as ExecutorError).transient).toBe(false);
    expect((e as Error).message).toBe(
      'the OpenClaw gateway does not allow sessions_spawn: add "sessions_spawn", "sessions_send", "sessions_history", "sessions_list" to gateway.tools.allow in /home/u/.openclaw/openclaw.json (the gateway reloads it by itself), or run scripts/install_autopoll.sh --allow-gateway-tools',
    );
  });

  it('fails a refused token for good, and a gateway that is down as transient, without leaking the token', async () => {
    gw = await startFakeGateway({ token: TOKEN, sessions: { reply: () => 'x' } });
    const wrong = openclawExecutor({ gateway: () => ({ url: gw!.url, token: 'not-the-token-000', tokenSource: 'gateway.auth.token in openclaw.json' }), openclawConfigPath: 'x', sessions: memoryKeys(), maxRuntimeMs: 1_000 });
    const e401 = (await wrong.run(request()).catch((x: unknown) => x)) as ExecutorError;
    expect(e401.transient).toBe(false);
    expect(e401.message).toContain('refused the token (HTTP 401); the token used: gateway.auth.token in openclaw.json');
    expect(e401.message).not.toContain('not-the-token-000');
    const url = gw.url;
    await gw.down();
    const down = openclawExecutor({ gateway: () => ({ url, token: TOKEN, tokenSource: 't' }), openclawConfigPath: 'x', sessions: memoryKeys(), maxRuntimeMs: 1_000 });
    const eDown = (await down.run(request()).catch((x: unknown) => x)) as ExecutorError;
    expect(eDown.transient).toBe(true);
    expect(eDown.message).toMatch(/cannot be reached for sessions_spawn \(ECONNREFUSED\)/);
  });

  it('stops waiting at once when aborted, and times out as a timeout', async () => {
    gw = await startFakeGateway({ token: TOKEN, sessions: { reply: () => 'late', stepMs: 5_000 } });
    const ac = new AbortController();
    const p = executor(gw, memoryKeys()).run(request({ signal: ac.signal }));
    setTimeout(() => ac.abort(), 100);
    const aborted = (await p.catch((x: unknown) => x)) as ExecutorError;
    expect(aborted.code).toBe('WTT_ERR_EXECUTOR_ABORTED');
    const slow = (await executor(gw, memoryKeys(), { maxRuntimeMs: 200 }).run(request({ idempotencyKey: 'k2', task: { id: 'task-2', title: 't' } })).catch((x: unknown) => x)) as ExecutorError;
    expect(slow.code).toBe('WTT_ERR_EXECUTOR_TIMEOUT');
  });
});

describe('session outcome (pure)', () => {
  it('is done only when the last message is the assistant’s final text', () => {
    expect(sessionOutcome([])).toEqual({ kind: 'running' });
    expect(sessionOutcome([{ role: 'user', content: 'go' }])).toEqual({ kind: 'running' });
    expect(sessionOutcome([{ role: 'assistant', content: [{ type: 'toolCall', name: 'exec' }] }])).toEqual({ kind: 'running' });
    expect(sessionOutcome([{ role: 'assistant', content: [{ type: 'text', text: 'thinking' }], stopReason: 'toolUse' }])).toEqual({ kind: 'running' });
    expect(sessionOutcome([{ role: 'assistant', content: [{ type: 'text', text: ' answer ' }], stopReason: 'stop' }])).toEqual({ kind: 'done', text: 'answer' });
    expect(sessionOutcome([{ role: 'assistant', content: 'plain string' }])).toEqual({ kind: 'done', text: 'plain string' });
    expect(sessionOutcome([{ role: 'assistant', content: [], errorMessage: 'model overloaded' }])).toEqual({ kind: 'failed', reason: 'model overloaded' });
  });

  it('reads the real gateway’s history (2026.9.6): string user content, no tool results, input still queued under pendingInputs', () => {
    const user = { role: 'user', content: '[Subagent Context] You are running as a subagent (depth 1/5). …' };
    const toolCall = { role: 'assistant', content: [{ type: 'toolCall', id: 'call_11', name: 'ls', arguments: { path: '.' } }], stopReason: 'toolUse' };
    const final = { role: 'assistant', content: [{ type: 'text', text: 'Fake model result: all checks passed.' }], stopReason: 'stop' };
    // Spawned, not started: no messages, the task queued.
    expect(sessionOutcome([], 1)).toEqual({ kind: 'running' });
    expect(sessionOutcome([user, toolCall])).toEqual({ kind: 'running' });
    expect(sessionOutcome([user, toolCall, final])).toEqual({ kind: 'done', text: 'Fake model result: all checks passed.' });
    // A new input queued after a finished run: the old answer is not this run's.
    expect(sessionOutcome([user, toolCall, final], 1)).toEqual({ kind: 'running' });
  });
});
