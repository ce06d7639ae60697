/**
 * The `openclaw` executor (`WTT_EXECUTOR=openclaw`): runs a task on the user's own OpenClaw agent
 * through the gateway's session tools (openclaw-integration.md, wtt-protocol.md §5.7).
 *
 * - A run starts a sub-agent session with `sessions_spawn` (label `wtt-task-<id>-<run>`), then
 *   waits for its answer by reading `sessions_history` on a growing interval (1 s × 1.5, at most
 *   5 s: no busy loop) until the session's last message is the assistant's final text, the run's
 *   time is up, or the run is stopped (abort).
 * - The session key is persisted per run key and per task: a restarted daemon that reruns the same
 *   run key waits on the session it already started instead of spawning a second one, and a
 *   follow-up (a reviewer's comment, a human message) goes with `sessions_send` to the task's
 *   session, where the agent still has the context. A session that is gone gets a new spawn.
 * - Each new message in the session (a tool call, a partial answer) is a real progress event.
 * - The real gateway's `sessions_history` cuts every text block at 4,000 characters (appending
 *   `…(truncated)…`; docs/e2e.md): a final answer cut that way is returned with a line that says
 *   so, never passed off as the whole answer.
 * - A gateway whose `gateway.tools.allow` lacks the session tools fails with the exact list to add.
 */
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { GatewaySettings } from '../im/gateway-config.js';
import { HistoryAnswer, SendAnswer, SpawnAnswer, invokeSessionTool, type HistoryMessage, type SessionTool } from './openclaw-tools.js';
import { ExecutorError, type ExecutionRequest, type Executor } from './types.js';
import type { z } from 'zod';

export const OPENCLAW_EXECUTOR_DEFAULTS = Object.freeze({
  /** One tool call (spawn, history) may take this long. */
  requestTimeoutMs: 30_000,
  pollFirstMs: 1_000,
  pollFactor: 1.5,
  pollMaxMs: 5_000,
  historyLimit: 50,
});

/** Where session keys are kept across restarts (the runtime gives the state store's kv). */
export interface SessionKeyStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export interface OpenclawExecutorOptions {
  /** The gateway to call, resolved at each run (openclaw.json may change). */
  gateway: () => GatewaySettings | undefined;
  /** openclaw.json's path, for the messages that say what to change. */
  openclawConfigPath: string;
  sessions: SessionKeyStore;
  /** The longest one run may take (WTT_TASK_MAX_RUNTIME). */
  maxRuntimeMs: number;
  requestTimeoutMs?: number | undefined;
  pollFirstMs?: number | undefined;
  pollFactor?: number | undefined;
  pollMaxMs?: number | undefined;
  dispatcher?: Dispatcher | undefined;
}

const TOOL_PART = /^(toolcall|tool_use|tooluse|functioncall)$/i;

function parts(m: HistoryMessage): Array<{ type: string; text?: string | undefined; name?: string | undefined }> {
  if (typeof m.content === 'string') return [{ type: 'text', text: m.content }];
  return m.content ?? [];
}

function textOf(m: HistoryMessage): string {
  return parts(m)
    .filter((p) => p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text as string)
    .join('\n')
    .trim();
}

export type SessionOutcome = { kind: 'done'; text: string } | { kind: 'failed'; reason: string } | { kind: 'running' };

/** The marker the real gateway's sessions_history appends to a text block it cut (2026.9.6). */
export const HISTORY_TRUNCATED_MARK = '\n…(truncated)…';
/** Where sessions_history cuts each text block (2026.9.6: SESSIONS_HISTORY_TEXT_MAX_CHARS). */
export const HISTORY_TEXT_MAX_CHARS = 4_000;

/** A final answer that sessions_history cut: the part it gave, and a line saying the rest is missing. */
function uncut(text: string): string {
  const mark = HISTORY_TRUNCATED_MARK.trim();
  if (!text.includes(mark)) return text;
  const kept = text.replaceAll(HISTORY_TRUNCATED_MARK, '').replaceAll(mark, '').trimEnd();
  return `${kept}\n\n[wtt: the OpenClaw gateway's sessions_history gives at most ${HISTORY_TEXT_MAX_CHARS.toLocaleString('en-US')} characters of a message, so the agent's answer was cut here; the whole answer is in the session's transcript on the OpenClaw side]`;
}

/**
 * Whether a session's history shows its run finished (pure). `pendingInputs` (input the gateway
 * accepted but has not started yet) means it has not, whatever the last message says.
 */
export function sessionOutcome(messages: readonly HistoryMessage[], pendingInputs = 0): SessionOutcome {
  const last = messages.at(-1);
  if (pendingInputs > 0 || !last || last.role !== 'assistant') return { kind: 'running' };
  if (last.errorMessage) return { kind: 'failed', reason: last.errorMessage.slice(0, 500) };
  if (parts(last).some((p) => TOOL_PART.test(p.type)) || /^tool/i.test(last.stopReason ?? '')) return { kind: 'running' };
  const text = textOf(last);
  return text ? { kind: 'done', text: uncut(text) } : { kind: 'running' };
}

/** A short line for a message that appeared in the session (a progress event). */
function eventText(m: HistoryMessage): string | undefined {
  const tools = parts(m)
    .filter((p) => TOOL_PART.test(p.type))
    .map((p) => p.name ?? 'a tool');
  if (tools.length > 0) return `the agent runs ${tools.join(', ')}`;
  if (m.role === 'assistant' && textOf(m)) return `the agent wrote: ${textOf(m).slice(0, 120)}`;
  return undefined;
}

const DEAD_SESSION = /not found|invalid session|expired|terminated|no such/i;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ExecutorError('WTT_ERR_EXECUTOR_ABORTED', 'the run was stopped'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new ExecutorError('WTT_ERR_EXECUTOR_ABORTED', 'the run was stopped'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function openclawExecutor(opts: OpenclawExecutorOptions): Executor {
  const d = OPENCLAW_EXECUTOR_DEFAULTS;
  const requestTimeoutMs = opts.requestTimeoutMs ?? d.requestTimeoutMs;

  return {
    name: 'openclaw',
    async run(req: ExecutionRequest): Promise<string> {
      const gw = opts.gateway();
      if (!gw) {
        throw new ExecutorError('WTT_ERR_EXECUTOR', `no OpenClaw gateway is configured for WTT_EXECUTOR=openclaw: set OPENCLAW_GATEWAY_URL and OPENCLAW_GATEWAY_TOKEN, or gateway.port and gateway.auth.token in ${opts.openclawConfigPath}`);
      }
      const call = <T>(tool: SessionTool, args: Record<string, unknown>, schema: z.ZodType<T>, timeoutMs = requestTimeoutMs) =>
        invokeSessionTool(gw, tool, args, schema, { timeoutMs, signal: req.signal, dispatcher: opts.dispatcher, openclawConfigPath: opts.openclawConfigPath });
      const deadline = Date.now() + opts.maxRuntimeMs;
      const runKey = `openclaw.session.run:${req.idempotencyKey}`;
      const taskKey = `openclaw.session.task:${req.task.id}`;
      const remember = (key: string) => {
        opts.sessions.set(runKey, key);
        opts.sessions.set(taskKey, key);
      };

      let sessionKey = opts.sessions.get(runKey);
      // A follow-up goes to the task's session, where the agent has the context.
      const previous = opts.sessions.get(taskKey);
      if (!sessionKey && previous && req.followUps.length > 0) {
        const timeoutSeconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
        try {
          const ans = await call('sessions_send', { sessionKey: previous, message: req.prompt, timeoutSeconds }, SendAnswer, timeoutSeconds * 1000 + 30_000);
          const reply = ans.reply?.trim();
          if (reply) {
            remember(previous);
            return reply;
          }
          if (!DEAD_SESSION.test(`${ans.status ?? ''} ${ans.error ?? ''}`)) {
            throw new ExecutorError('WTT_ERR_EXECUTOR', `the OpenClaw agent gave no reply to the follow-up (${ans.status ?? 'no status'}${ans.error ? `: ${ans.error}` : ''})`, { transient: true });
          }
        } catch (e) {
          if (!(e instanceof ExecutorError) || !DEAD_SESSION.test(e.message)) throw e;
        }
        // The session is gone: a new one below (the prompt carries the task and every follow-up).
      }

      if (!sessionKey) {
        const id = createHash('sha256').update(req.idempotencyKey).digest('hex').slice(0, 6);
        const base = `wtt-task-${req.task.id.slice(0, 12)}-${id}`;
        const spawn = (label: string) =>
          call('sessions_spawn', { task: req.prompt, label, mode: 'run', cleanup: 'keep', runTimeoutSeconds: Math.max(120, Math.ceil(opts.maxRuntimeMs / 1000)) }, SpawnAnswer);
        let ans = await spawn(base);
        if (!(ans.childSessionKey ?? ans.sessionKey) && /already in use/i.test(ans.error ?? ans.status ?? '')) ans = await spawn(`${base}-${req.attempt}${Date.now() % 100_000}`);
        const key = ans.childSessionKey ?? ans.sessionKey;
        if (!key) throw new ExecutorError('WTT_ERR_EXECUTOR', `sessions_spawn did not start a session (${ans.status ?? 'no status'}${ans.error ? `: ${ans.error}` : ''})`, { transient: true });
        sessionKey = key;
        remember(key);
        req.onEvent?.({ text: 'started on the OpenClaw agent' });
      }

      // Wait for the session's final answer.
      let seen = 0;
      let wait = opts.pollFirstMs ?? d.pollFirstMs;
      for (;;) {
        const h = await call('sessions_history', { sessionKey, limit: d.historyLimit }, HistoryAnswer);
        const fresh = h.messages.length > seen ? h.messages.slice(seen) : [];
        seen = Math.max(seen, h.messages.length);
        const outcome = sessionOutcome(h.messages, h.pendingInputs?.total ?? h.pendingInputs?.items?.length ?? 0);
        for (const m of outcome.kind === 'running' ? fresh : fresh.slice(0, -1)) {
          const t = eventText(m);
          if (t) req.onEvent?.({ text: t });
        }
        if (outcome.kind === 'done') return outcome.text;
        if (outcome.kind === 'failed') throw new ExecutorError('WTT_ERR_EXECUTOR', `the OpenClaw agent failed: ${outcome.reason}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new ExecutorError('WTT_ERR_EXECUTOR_TIMEOUT', `the OpenClaw agent did not finish within ${Math.round(opts.maxRuntimeMs / 1000)} s (session ${sessionKey})`);
        await sleep(Math.min(wait, left), req.signal);
        wait = Math.min(opts.pollMaxMs ?? d.pollMaxMs, wait * (opts.pollFactor ?? d.pollFactor));
      }
    },
  };
}
