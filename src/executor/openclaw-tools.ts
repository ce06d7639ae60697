/**
 * The OpenClaw gateway's session tools over `POST <gateway>/tools/invoke` (openclaw-integration.md):
 *
 *   sessions_spawn   {task, label, mode, cleanup, runTimeoutSeconds} → {status:"accepted", childSessionKey, runId}
 *   sessions_send    {sessionKey, message, timeoutSeconds}           → {status:"ok", reply}
 *   sessions_history {sessionKey, limit}                             → {messages:[{role, content:[{type, text}]}], pendingInputs?}
 *
 * Every answer is read from `result.details` when it is an object, else `result`. Errors become
 * `ExecutorError`s a user can act on: a tool the gateway does not allow names the exact
 * `gateway.tools.allow` entries to add; a refused token says where the token came from; network
 * trouble and 5xx are transient (the task machine retries them).
 */
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { scrubSecrets } from '../log.js';
import type { GatewaySettings } from '../im/gateway-config.js';
import { ExecutorError } from './types.js';

export const SESSION_TOOLS = ['sessions_spawn', 'sessions_send', 'sessions_history', 'sessions_list'] as const;
export type SessionTool = (typeof SESSION_TOOLS)[number];

export interface ToolCallOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  dispatcher?: Dispatcher | undefined;
  /** Where the gateway's config lives, for the message that says what to add. */
  openclawConfigPath: string;
}

const Envelope = z.looseObject({
  ok: z.boolean().optional(),
  result: z.unknown().optional(),
  error: z.union([z.string(), z.looseObject({ type: z.string().optional(), message: z.string().optional() })]).optional(),
});

function reasonOf(raw: string): string | undefined {
  try {
    const e = Envelope.safeParse(JSON.parse(raw));
    const err = e.success ? e.data.error : undefined;
    if (typeof err === 'string') return err;
    if (err) return [err.type, err.message].filter(Boolean).join(': ') || undefined;
  } catch {
    // not JSON
  }
  return raw.trim() ? raw.trim().slice(0, 200) : undefined;
}

/** What the tool answered: `result.details` when it is an object, else `result`. */
function payloadOf(raw: string): unknown {
  const e = Envelope.safeParse(JSON.parse(raw));
  if (!e.success) return undefined;
  const r = e.data.result;
  if (r && typeof r === 'object' && 'details' in r) {
    const d = (r as { details?: unknown }).details;
    if (d && typeof d === 'object') return d;
  }
  return r;
}

export function allowHint(tool: string, configPath: string): string {
  return `the OpenClaw gateway does not allow ${tool}: add ${SESSION_TOOLS.map((t) => `"${t}"`).join(', ')} to gateway.tools.allow in ${configPath} (the gateway reloads it by itself), or run scripts/install_autopoll.sh --allow-gateway-tools`;
}

/** One session-tool call; resolves with its parsed answer, or rejects with an ExecutorError. */
export async function invokeSessionTool<T>(gw: GatewaySettings, tool: SessionTool, args: Record<string, unknown>, schema: z.ZodType<T>, opts: ToolCallOptions): Promise<T> {
  const scrub = (t: string) => scrubSecrets(t, [gw.token]).slice(0, 300);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (gw.token) headers.authorization = `Bearer ${gw.token}`;
  let status: number;
  let raw: string;
  try {
    const res = await request(`${gw.url}/tools/invoke`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ tool, args }),
      signal,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    });
    status = res.statusCode;
    raw = await res.body.text();
  } catch (e) {
    if (opts.signal?.aborted) throw new ExecutorError('WTT_ERR_EXECUTOR_ABORTED', `${tool} was stopped`);
    if (timeout.aborted) throw new ExecutorError('WTT_ERR_EXECUTOR', `the OpenClaw gateway at ${gw.url} did not answer ${tool} within ${Math.round(opts.timeoutMs / 1000)} s`, { transient: true });
    const code = (e as { code?: unknown }).code;
    throw new ExecutorError('WTT_ERR_EXECUTOR', scrub(`the OpenClaw gateway at ${gw.url} cannot be reached for ${tool} (${typeof code === 'string' ? code : (e as Error).message}); is it running?`), { transient: true, cause: e });
  }
  const reason = reasonOf(raw);
  const said = reason ? ` (${scrub(reason)})` : '';
  if (status >= 200 && status < 300) {
    let payload: unknown;
    try {
      payload = payloadOf(raw);
    } catch {
      throw new ExecutorError('WTT_ERR_EXECUTOR', `the OpenClaw gateway answered ${tool} with a body that is not JSON`, { transient: true });
    }
    const ok = (JSON.parse(raw) as { ok?: unknown }).ok;
    if (ok === false) throw new ExecutorError('WTT_ERR_EXECUTOR', `the OpenClaw gateway could not run ${tool}${said}`, { transient: true });
    const parsed = schema.safeParse(payload);
    if (!parsed.success) throw new ExecutorError('WTT_ERR_EXECUTOR', `the OpenClaw gateway's answer to ${tool} has an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }
  if (status === 404 || (status === 400 && /not available|not allowed/i.test(reason ?? ''))) {
    throw new ExecutorError('WTT_ERR_GATEWAY_TOOLS', allowHint(tool, opts.openclawConfigPath));
  }
  if (status === 401 || status === 403) {
    throw new ExecutorError('WTT_ERR_EXECUTOR', `the OpenClaw gateway at ${gw.url} refused the token (HTTP ${status}); the token used: ${gw.tokenSource}`);
  }
  if (status === 408 || status === 429 || status >= 500) {
    throw new ExecutorError('WTT_ERR_EXECUTOR', `the OpenClaw gateway answered ${tool} with HTTP ${status}${said}`, { transient: true });
  }
  throw new ExecutorError('WTT_ERR_EXECUTOR', `the OpenClaw gateway refused ${tool} (HTTP ${status})${said}`);
}

// ── the answers we read ─────────────────────────────────────────────────────────────────────
export const SpawnAnswer = z.looseObject({
  status: z.string().optional(),
  childSessionKey: z.string().min(1).optional(),
  sessionKey: z.string().min(1).optional(),
  runId: z.string().optional(),
  error: z.string().optional(),
});

export const SendAnswer = z.looseObject({
  status: z.string().optional(),
  reply: z.string().optional(),
  error: z.string().optional(),
});

const Part = z.looseObject({ type: z.string(), text: z.string().optional(), name: z.string().optional() });
export const HistoryMessage = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(Part)]).optional(),
  stopReason: z.string().optional(),
  errorMessage: z.string().optional(),
});
export type HistoryMessage = z.infer<typeof HistoryMessage>;
/**
 * What the real gateway (2026.9.6) answers: tool results are left out (unless `includeTools`), a
 * user message's content is a string, every text block is cut at 4,000 characters with
 * `\n…(truncated)…` appended, and input accepted but not yet started is under `pendingInputs`.
 */
export const HistoryAnswer = z.looseObject({
  messages: z.array(HistoryMessage).default([]),
  pendingInputs: z.looseObject({ total: z.number().int().nonnegative().optional(), items: z.array(z.unknown()).optional() }).optional(),
});
