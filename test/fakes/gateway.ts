/**
 * A fake OpenClaw gateway `/tools/invoke` on 127.0.0.1, answering like the real one does
 * (openclaw-integration.md, verified on 2026.9.6):
 * - wrong or missing bearer → 401 `{"error":{"type":"unauthorized"}}`;
 * - `message` send → 200 `{"ok":true,"result":{"details":{"ok":true,"messageId","chatId"}}}`, and with
 *   buttons the id under `details.result.messageId`; ids count up from 1000;
 * - `message` edit → 200; an unknown message id → 500 tool execution failed; no target → 400 `to required`;
 * - the session tools (`sessions_spawn`, `sessions_history`, `sessions_send`) → 404 `Tool not available`
 *   like a gateway whose `gateway.tools.allow` lacks them, unless `sessions` is given: then a spawned
 *   session shows the agent's tool call after `stepMs`, and its final text (`reply(task)`) after
 *   another `stepMs`; `sessions_send` answers `reply(message)` at once; an unknown session is
 *   `session not found`. `sessions_history` answers in the real gateway's shape (docs/e2e.md,
 *   observed on 2026.9.6): until the run starts the task is only under `pendingInputs` (state
 *   `queued`) and `messages` is empty; the user message's content is a string; the assistant's tool
 *   call is a `{type:"toolCall", id, name, arguments}` part with `stopReason:"toolUse"`; tool
 *   results are left out (unless `includeTools`); every text is cut at 4,000 characters with
 *   `\n…(truncated)…` appended; `truncated`, `contentTruncated` and `bytes` come along;
 * - any other tool → 404.
 * Tests can make the next requests fail (`fail(500|401, times)`), refuse connections (`down()`)
 * and accept them again (`up()`, same port).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GatewayCall {
  authorization: string | undefined;
  body: Record<string, unknown>;
  /** What the fake answered (0: never answered, see `stall`). */
  status: number;
}

export interface ChatMessage {
  messageId: string;
  channel: string;
  target: string;
  text: string;
  buttons?: unknown;
  edits: number;
}

export interface FakeSession {
  key: string;
  label: string;
  task: string;
  /** The transcript, tool results included (sessions_history leaves them out). */
  messages: Array<Record<string, unknown>>;
  /** Input accepted and not started yet (sessions_history's `pendingInputs`). */
  pending: Array<Record<string, unknown>>;
}

export interface FakeSessionsOptions {
  reply(prompt: string): string;
  /** Time from spawn to the tool call, and from it to the final answer (default 50 ms). */
  stepMs?: number;
}

export interface FakeGateway {
  /** Sessions started with sessions_spawn, by key. */
  sessions: Map<string, FakeSession>;
  url: string;
  port: number;
  /** Every request, in order, with what it was answered. */
  calls: GatewayCall[];
  /** Messages as the chat would show them now (edits applied), by id. */
  messages: Map<string, ChatMessage>;
  /** The next `times` requests (default 1) are answered with `status` (429 carries `Retry-After: 3`). */
  fail(status: 500 | 401 | 429, times?: number): void;
  /** The next `times` requests (default 1) are read and recorded but never answered (a hung gateway). */
  stall(times?: number): void;
  /** Every later request is answered `ms` after it was read (a slow gateway; 0 = at once). */
  latency(ms: number): void;
  /** Stops listening and drops open connections: connections are refused until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const toolError = (res: ServerResponse) => json(res, 500, { ok: false, error: { type: 'tool_error', message: 'tool execution failed' } });

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

const textParts = (t: string) => [{ type: 'text', text: t }];

/** The real gateway's cut of each text in sessions_history (SESSIONS_HISTORY_TEXT_MAX_CHARS). */
const HISTORY_MAX_CHARS = 4_000;
const cut = (t: string) => (t.length <= HISTORY_MAX_CHARS ? { text: t, cut: false } : { text: `${t.slice(0, HISTORY_MAX_CHARS)}\n…(truncated)…`, cut: true });

/** One message as sessions_history shows it, and whether a text was cut. */
function historyMessage(m: Record<string, unknown>): { message: Record<string, unknown>; cut: boolean } {
  if (typeof m.content === 'string') {
    const c = cut(m.content);
    return { message: { ...m, content: c.text }, cut: c.cut };
  }
  if (!Array.isArray(m.content)) return { message: m, cut: false };
  let any = false;
  const content = (m.content as Array<Record<string, unknown>>).map((p) => {
    if (typeof p.text !== 'string') return p;
    const c = cut(p.text);
    any ||= c.cut;
    return { ...p, text: c.text };
  });
  return { message: { ...m, content }, cut: any };
}

export async function startFakeGateway(opts: { token: string; sessions?: FakeSessionsOptions }): Promise<FakeGateway> {
  const sessions = new Map<string, FakeSession>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const calls: GatewayCall[] = [];
  const messages = new Map<string, ChatMessage>();
  const failures: (500 | 401 | 429 | 'stall')[] = [];
  let nextId = 1000;
  let latencyMs = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: Record<string, unknown> = {};
    const answer = (status: number, send: () => void) => {
      calls.push({ authorization: req.headers.authorization, body, status });
      send();
    };
    try {
      body = await readJson(req);
    } catch {
      return answer(400, () => json(res, 400, { ok: false, error: { type: 'invalid_request', message: 'body must be JSON' } }));
    }
    if (req.method !== 'POST' || req.url !== '/tools/invoke') return answer(404, () => json(res, 404, { error: { type: 'not_found' } }));
    if (req.headers.authorization !== `Bearer ${opts.token}`) return answer(401, () => json(res, 401, { error: { type: 'unauthorized' } }));
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    const forced = failures.shift();
    if (forced === 401) return answer(401, () => json(res, 401, { error: { type: 'unauthorized' } }));
    if (forced === 500) return answer(500, () => toolError(res));
    if (forced === 429) {
      return answer(429, () => {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
        res.end(JSON.stringify({ ok: false, error: { type: 'rate_limited', message: 'too many requests' } }));
      });
    }
    if (forced === 'stall') return answer(0, () => undefined);
    if (typeof body.tool === 'string' && body.tool.startsWith('sessions_') && opts.sessions) {
      const so = opts.sessions;
      const a = (body.args ?? {}) as Record<string, unknown>;
      const ok = (details: unknown) => answer(200, () => json(res, 200, { ok: true, result: { content: [{ type: 'text', text: JSON.stringify(details) }], details } }));
      if (body.tool === 'sessions_spawn') {
        const label = String(a.label ?? '');
        if ([...sessions.values()].some((x) => x.label === label)) return ok({ status: 'error', error: `label ${label} already in use` });
        const key = `agent:main:subagent:${sessions.size + 1}`;
        const task = String(a.task ?? '');
        const input = { role: 'user', content: task, timestamp: Date.now() };
        const session: FakeSession = { key, label, task, messages: [], pending: [{ id: `input-${sessions.size + 1}`, state: 'queued', acceptedAt: Date.now(), message: input }] };
        sessions.set(key, session);
        const step = so.stepMs ?? 50;
        later(step, () => {
          session.pending = [];
          session.messages.push(input);
          session.messages.push({ role: 'assistant', content: [{ type: 'toolCall', id: 'call_1', name: 'exec', arguments: { command: 'ls' } }], stopReason: 'toolUse' });
          session.messages.push({ role: 'toolResult', toolCallId: 'call_1', toolName: 'exec', content: textParts('ok') });
          later(step, () => session.messages.push({ role: 'assistant', content: textParts(so.reply(task)), stopReason: 'stop' }));
        });
        return ok({ status: 'accepted', childSessionKey: key, runId: `run-${sessions.size}` });
      }
      const session = sessions.get(String(a.sessionKey ?? ''));
      if (body.tool === 'sessions_history') {
        if (!session) return answer(500, () => json(res, 500, { ok: false, error: { type: 'tool_error', message: 'session not found' } }));
        const shown = (a.includeTools === true ? session.messages : session.messages.filter((m) => m.role !== 'toolResult' && m.role !== 'tool'))
          .slice(-Number(a.limit ?? 50))
          .map(historyMessage);
        const messages = shown.map((x) => x.message);
        const contentTruncated = shown.some((x) => x.cut);
        return ok({
          sessionKey: session.key,
          messages,
          truncated: contentTruncated,
          droppedMessages: false,
          contentTruncated,
          contentRedacted: false,
          bytes: Buffer.byteLength(JSON.stringify(messages)),
          ...(session.pending.length > 0 ? { pendingInputs: { items: session.pending, total: session.pending.length } } : {}),
        });
      }
      if (body.tool === 'sessions_send') {
        if (!session) return ok({ status: 'error', error: 'session not found' });
        const message = String(a.message ?? '');
        const reply = so.reply(message);
        session.messages.push({ role: 'user', content: message }, { role: 'assistant', content: textParts(reply), stopReason: 'stop' });
        return ok({ status: 'ok', reply });
      }
    }
    if (body.tool !== 'message') return answer(404, () => json(res, 404, { ok: false, error: { type: 'not_found', message: `Tool not available: ${String(body.tool)}` } }));
    const a = (body.args ?? {}) as Record<string, unknown>;
    const target = typeof a.target === 'string' ? a.target : undefined;
    const channel = typeof a.channel === 'string' ? a.channel : (target?.split(':')[0] ?? '');
    if (!target) return answer(400, () => json(res, 400, { ok: false, error: { type: 'invalid_request', message: 'to required' } }));
    const text = typeof a.message === 'string' ? a.message : '';
    const buttons = (a.presentation as { blocks?: unknown } | undefined)?.blocks;
    if (a.action === 'send') {
      const messageId = String(nextId++);
      messages.set(messageId, { messageId, channel, target, text, ...(buttons ? { buttons } : {}), edits: 0 });
      const details = buttons
        ? { ok: true, result: { messageId, chatId: target } }
        : { ok: true, messageId, chatId: target };
      return answer(200, () => json(res, 200, { ok: true, result: { content: [{ type: 'text', text: JSON.stringify(details) }], details } }));
    }
    if (a.action === 'edit') {
      const id = String(a.messageId ?? '');
      const m = messages.get(id);
      if (!m || m.target !== target) return answer(500, () => toolError(res));
      m.text = text;
      if (buttons) m.buttons = buttons;
      m.edits++;
      const details = { ok: true, messageId: id, chatId: target };
      return answer(200, () => json(res, 200, { ok: true, result: { content: [{ type: 'text', text: JSON.stringify(details) }], details } }));
    }
    return answer(500, () => toolError(res));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => toolError(res));
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  let listening = true;
  const stop = () => new Promise<void>((resolve) => {
    if (!listening) return resolve();
    listening = false;
    server.closeAllConnections();
    server.close(() => resolve());
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sessions,
    calls,
    messages,
    fail(status, times = 1) {
      for (let i = 0; i < times; i++) failures.push(status);
    },
    stall(times = 1) {
      for (let i = 0; i < times; i++) failures.push('stall');
    },
    latency(ms) {
      latencyMs = Math.max(0, ms);
    },
    down: stop,
    async up() {
      if (listening) return;
      await listen(port);
      listening = true;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await stop();
    },
  };
}
