/**
 * A fake OpenAI-compatible model on 127.0.0.1 for the OpenClaw end-to-end test. It plays the part
 * of a model that follows our SKILL.md literally:
 *
 * 1. a user message of this turn contains `@wtt <rest>` and no tool result has come back yet → it answers
 *    with one `exec` tool call running `{baseDir}/bin/wtt '<rest>'` (single quotes, `'` → `'\''`),
 *    where `{baseDir}` is the folder of the `wtt-skill` SKILL.md that OpenClaw listed in the prompt;
 * 2. a user message of this turn has a line `callback_data: wtt:<action>:<task_id>` (a click on a
 *    button under a WTT status message) → one `exec` tool call running the command SKILL.md's
 *    "Buttons under WTT messages" table maps it to (`wtt:approve:<id>` →
 *    `{baseDir}/bin/wtt 'task review <id> approve'`);
 * 3. a user message of this turn is a WTT task prompt (`You are executing a WTT task.`: a sub-agent
 *    session that our executor started with `sessions_spawn`) → one `ls` tool call (a real step of
 *    the run, which our executor reports as progress), and once its result is back a plain final
 *    answer naming the task's title (`taskAnswer`);
 * 4. a tool result follows its last tool call → it answers with that result verbatim, and calls no
 *    tool again (OpenClaw appends an internal user message after tool results; calling the tool
 *    whenever the last user message has `@wtt` would loop forever).
 *
 * It speaks `/v1/chat/completions` both streamed (SSE) and not, and `/v1/models`.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

export const MODEL_ID = 'wtt-fake-1';

export interface ModelRequest {
  at: number;
  stream: boolean;
  toolNames: string[];
  messages: ChatMessage[];
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: { id: string; type?: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export type ModelAction =
  | { kind: 'exec'; command: string; baseDir: string }
  /** A step of a task run: OpenClaw's `ls` tool, which sub-agent sessions have (they have no `exec`). */
  | { kind: 'ls'; path: string; title: string }
  | { kind: 'text'; text: string }
  /** The final answer of a WTT task run (a sub-agent session's prompt was our task prompt). */
  | { kind: 'task'; text: string; title: string };

/** The first line of every task prompt our executor sends (src/executor/prompt.ts). */
export const TASK_PROMPT_HEAD = 'You are executing a WTT task.';

/** The title of a task whose answer is long (`longTaskAnswer`): more than the gateway's history shows. */
export const LONG_TASK_TITLE = 'Write the long e2e report';

/** About 5,900 characters: 100 numbered lines. */
export const longTaskAnswer = (): string => Array.from({ length: 100 }, (_, i) => `Report line ${String(i + 1).padStart(3, '0')}: the lane ran and every check passed here.`).join('\n');

/** The answer the fake gives a task titled `title`. */
export const taskAnswer = (title: string): string => (title === LONG_TASK_TITLE ? longTaskAnswer() : `Fake model result for "${title}": all checks passed.`);

/** SKILL.md's "Buttons under WTT messages" table: the command a `callback_data` value maps to. */
export function callbackCommand(text: string): string | undefined {
  const m = /(?:^|\n)[ \t]*callback_data:[ \t]*wtt:(approve|reject):([A-Za-z0-9_-]+)[ \t]*(?:\n|$)/.exec(text);
  if (!m) return undefined;
  return m[1] === 'approve' ? `task review ${m[2]} approve` : `task review ${m[2]} reject rejected from the chat`;
}

export interface FakeModel {
  baseUrl: string;
  port: number;
  requests: ModelRequest[];
  /** What the fake decided for each request, in order. */
  actions: ModelAction[];
  close(): Promise<void>;
}

/** The text of a message's content: a string, or the text parts of a content array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: unknown) => (p && typeof p === 'object' && (p as { type?: unknown }).type === 'text' ? String((p as { text?: unknown }).text ?? '') : ''))
      .join('');
  }
  return '';
}

/** SKILL.md step 2: the rest of the message as one single-quoted shell argument. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `@wtt …` command in a user message (OpenClaw wraps the chat text in metadata lines). */
export function wttCommand(text: string): string | undefined {
  const m = /(?:^|\n)[ \t]*[@/]wtt(?:[ \t]+([^\n]*))?[ \t]*(?:\n|$)/i.exec(text);
  if (!m) return undefined;
  const rest = (m[1] ?? '').trim();
  return rest === '' ? 'help' : rest;
}

/**
 * The folder of the wtt-skill SKILL.md named in the system prompt's skill list, as OpenClaw wrote
 * it (2026.9.6 writes a home-relative `~/.openclaw/workspace/skills/wtt-skill/SKILL.md`).
 */
export function skillBaseDir(system: string): string | undefined {
  const m = /<name>wtt-skill<\/name>[\s\S]*?<location>([^<]+\/SKILL\.md)<\/location>/.exec(system);
  return m?.[1] ? dirname(m[1].trim()) : undefined;
}

export function decide(messages: readonly ChatMessage[]): ModelAction {
  let lastAssistant = -1;
  messages.forEach((m, i) => {
    if (m.role === 'assistant') lastAssistant = i;
  });
  const after = messages.slice(lastAssistant + 1);
  const taskTitle = (t: string) => /Task title: ([^\n]*)/.exec(t)?.[1]?.trim() ?? '(no title)';
  // Our tool call came back → reply with its output (SKILL.md step 3), or in a task run with the
  // task's answer; call nothing again.
  if (lastAssistant >= 0 && (messages[lastAssistant]?.tool_calls?.length ?? 0) > 0) {
    const results = after.filter((m) => m.role === 'tool');
    const task = messages.slice(0, lastAssistant).find((m) => m.role === 'user' && contentText(m.content).includes(TASK_PROMPT_HEAD));
    if (results.length > 0 && task) {
      const title = taskTitle(contentText(task.content));
      return { kind: 'task', text: taskAnswer(title), title };
    }
    if (results.length > 0) return { kind: 'text', text: results.map((m) => contentText(m.content)).join('\n') };
  }
  // A new turn: its user messages are the chat text, then OpenClaw's internal-context message.
  const userTexts = after.filter((m) => m.role === 'user').map((m) => contentText(m.content));
  const cmd =
    userTexts.map((t) => callbackCommand(t)).filter((c): c is string => c !== undefined).at(-1) ??
    userTexts.map((t) => wttCommand(t)).filter((c): c is string => c !== undefined).at(-1);
  const task = userTexts.find((t) => t.includes(TASK_PROMPT_HEAD));
  if (cmd === undefined && task !== undefined) return { kind: 'ls', path: '.', title: taskTitle(task) };
  if (cmd === undefined) return { kind: 'text', text: 'fake model: no @wtt command in this turn' };
  const system = messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => contentText(m.content))
    .join('\n');
  const baseDir = skillBaseDir(system);
  if (!baseDir) return { kind: 'text', text: 'fake model: wtt-skill is not listed in the system prompt' };
  return { kind: 'exec', command: `${baseDir}/bin/wtt ${shellQuote(cmd)}`, baseDir };
}

function sse(res: ServerResponse, chunks: unknown[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
  res.end('data: [DONE]\n\n');
}

export async function startFakeModel(): Promise<FakeModel> {
  const requests: ModelRequest[] = [];
  const actions: ModelAction[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return json(200, { object: 'list', data: [{ id: MODEL_ID, object: 'model', created: 0, owned_by: 'wtt-e2e' }] });
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') return json(404, { error: { message: 'not found' } });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { stream?: unknown; messages?: unknown; tools?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch (e) {
        return json(400, { error: { message: `bad JSON: ${(e as Error).message}` } });
      }
      const messages = Array.isArray(body.messages) ? (body.messages as ChatMessage[]) : [];
      const toolNames = Array.isArray(body.tools)
        ? (body.tools as { function?: { name?: unknown } }[]).map((t) => String(t.function?.name ?? ''))
        : [];
      const stream = body.stream === true;
      requests.push({ at: Date.now(), stream, toolNames, messages });
      const action = decide(messages);
      actions.push(action);
      const id = `chatcmpl-${++n}`;
      const created = Math.floor(Date.now() / 1000);
      const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
      const base = { id, created, model: MODEL_ID };
      const toolCall = action.kind === 'exec'
        ? { id: `call_${n}`, type: 'function', function: { name: 'exec', arguments: JSON.stringify({ command: action.command }) } }
        : action.kind === 'ls'
          ? { id: `call_${n}`, type: 'function', function: { name: 'ls', arguments: JSON.stringify({ path: action.path }) } }
          : undefined;
      if (!stream) {
        return json(200, {
          ...base,
          object: 'chat.completion',
          choices: [{
            index: 0,
            message: toolCall ? { role: 'assistant', content: null, tool_calls: [toolCall] } : { role: 'assistant', content: 'text' in action ? action.text : '' },
            finish_reason: toolCall ? 'tool_calls' : 'stop',
          }],
          usage,
        });
      }
      const chunk = (delta: unknown, finish: string | null) => ({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
      return sse(res, [
        chunk({ role: 'assistant', content: '' }, null),
        toolCall ? chunk({ tool_calls: [{ index: 0, ...toolCall }] }, null) : chunk({ content: 'text' in action ? action.text : '' }, null),
        chunk({}, toolCall ? 'tool_calls' : 'stop'),
        { ...base, object: 'chat.completion.chunk', choices: [], usage },
      ]);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    actions,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
