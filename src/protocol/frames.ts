import { z } from 'zod';
import { TopicId } from './common.js';
import { Message } from './message.js';

/** Heartbeats are bare text frames, never JSON (§4.3). */
export const PING = 'ping';
export const PONG = 'pong';

/** WebSocket action timeout used by every client (§4.5). */
export const ACTION_TIMEOUT_MS = 15_000;

export const WS_ACTIONS = [
  'auth', 'list', 'find', 'join', 'leave', 'subscribed', 'publish', 'poll', 'p2p', 'history', 'detail', 'typing', 'create',
] as const;

const rid = { request_id: z.string().max(200).optional() };
const limit = z.coerce.number().int().min(1).max(1000).optional();

/** Client → server action frames; payload fields are flattened at top level (§4.4). Extra fields are tolerated. */
export const ClientAction = z.discriminatedUnion('action', [
  z.looseObject({ action: z.literal('auth'), token: z.string().min(1), ...rid }),
  z.looseObject({ action: z.literal('list'), limit, ...rid }),
  z.looseObject({ action: z.literal('find'), query: z.string(), ...rid }),
  z.looseObject({ action: z.literal('join'), topic_id: TopicId, ...rid }),
  z.looseObject({ action: z.literal('leave'), topic_id: TopicId, ...rid }),
  z.looseObject({ action: z.literal('subscribed'), ...rid }),
  z.looseObject({
    action: z.literal('publish'),
    topic_id: TopicId,
    content: z.string(),
    content_type: z.string().optional(),
    semantic_type: z.string().optional(),
    reply_to: z.string().nullish(),
    encrypted: z.boolean().optional(),
    ...rid,
  }),
  z.looseObject({ action: z.literal('poll'), limit, ...rid }),
  z.looseObject({
    action: z.literal('p2p'),
    target_agent_id: z.string().optional(),
    target_id: z.string().optional(),
    content: z.string(),
    encrypted: z.boolean().optional(),
    ...rid,
  }),
  z.looseObject({
    action: z.literal('history'),
    topic_id: TopicId,
    limit,
    before_id: z.string().optional(),
    after_id: z.string().optional(),
    ...rid,
  }),
  z.looseObject({ action: z.literal('detail'), topic_id: TopicId, ...rid }),
  z.looseObject({
    action: z.literal('typing'),
    topic_id: TopicId,
    state: z.enum(['start', 'stop']),
    ttl_ms: z.coerce.number().int().min(0).max(600_000).optional(),
    ...rid,
  }),
  z.looseObject({
    action: z.literal('create'),
    name: z.string(),
    description: z.string().optional(),
    type: z.string().optional(),
    visibility: z.string().optional(),
    join_method: z.string().optional(),
    ...rid,
  }),
]);
export type ClientAction = z.infer<typeof ClientAction>;

export const ActionResultFrame = z.looseObject({
  type: z.literal('action_result'),
  request_id: z.string().nullish(),
  ok: z.boolean(),
  data: z.unknown().optional(),
  error: z.string().nullish(),
});
export type ActionResultFrame = z.infer<typeof ActionResultFrame>;

export const NewMessageFrame = z.looseObject({
  type: z.literal('new_message'),
  message: Message,
  topic_id: z.string().optional(),
});
export type NewMessageFrame = z.output<typeof NewMessageFrame>;

/** `task_status`: fields at top level (plugin), or nested under `task`/`data` (skill accepts both). */
export const TaskStatusFrame = z
  .looseObject({
    type: z.literal('task_status'),
    task_id: z.string().optional(),
    id: z.string().optional(),
    status: z.string().optional(),
    topic_id: z.string().nullish(),
    title: z.string().nullish(),
    description: z.string().nullish(),
    exec_mode: z.string().nullish(),
    task_type: z.string().nullish(),
    runner_agent_id: z.string().nullish(),
    pipeline_id: z.string().nullish(),
    task: z.record(z.string(), z.unknown()).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .transform((f, ctx) => {
    const nested = (f.task ?? f.data ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const task_id = f.task_id ?? f.id ?? str(nested.task_id) ?? str(nested.id);
    const status = f.status ?? str(nested.status);
    if (!task_id || !status) {
      ctx.addIssue({ code: 'custom', message: 'task_status frame lacks task_id or status' });
      return z.NEVER;
    }
    return {
      type: 'task_status' as const,
      task_id,
      status,
      topic_id: f.topic_id ?? str(nested.topic_id) ?? null,
      title: f.title ?? str(nested.title) ?? null,
      description: f.description ?? str(nested.description) ?? null,
      exec_mode: f.exec_mode ?? str(nested.exec_mode) ?? null,
      task_type: f.task_type ?? str(nested.task_type) ?? str(nested.type) ?? null,
      runner_agent_id: f.runner_agent_id ?? str(nested.runner_agent_id) ?? null,
      pipeline_id: f.pipeline_id ?? str(nested.pipeline_id) ?? null,
    };
  });
export type TaskStatusFrame = z.output<typeof TaskStatusFrame>;

export const TypingFrame = z.looseObject({
  type: z.literal('typing'),
  topic_id: z.string(),
  agent_id: z.string(),
  agent_display_name: z.string().nullish(),
  state: z.enum(['start', 'stop']),
  ttl_ms: z.number().optional(),
  ts: z.union([z.number(), z.string()]).optional(),
});
export type TypingFrame = z.infer<typeof TypingFrame>;

export const E2eKeyRequestFrame = z.looseObject({ type: z.literal('e2e_key_request'), request_id: z.string() });

/** Every JSON frame a server may send. Unknown `type`s are not an error: clients ignore them (§4.3). */
export const ServerFrame = z.union([ActionResultFrame, NewMessageFrame, TaskStatusFrame, TypingFrame, E2eKeyRequestFrame]);
export type ServerFrame = z.output<typeof ServerFrame>;

/** Result of parsing one text frame from a server. */
export type ParsedServerFrame =
  | { kind: 'pong' }
  | { kind: 'ping' }
  | { kind: 'frame'; frame: ServerFrame }
  | { kind: 'unknown'; type: string }
  | { kind: 'invalid'; reason: string };

/** Parse one text frame from a server without throwing. */
export function parseServerFrame(text: string): ParsedServerFrame {
  if (text === PONG) return { kind: 'pong' };
  if (text === PING) return { kind: 'ping' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { kind: 'invalid', reason: 'not a JSON object' };
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') return { kind: 'invalid', reason: 'frame has no type' };
  if (!['action_result', 'new_message', 'task_status', 'typing', 'e2e_key_request'].includes(type)) return { kind: 'unknown', type };
  const r = ServerFrame.safeParse(raw);
  if (!r.success) return { kind: 'invalid', reason: `${type}: ${r.error.issues.map((i) => `${i.path.join('.') || '(frame)'} ${i.message}`).join('; ')}` };
  return { kind: 'frame', frame: r.data };
}

/** Result of parsing one text frame from a client (hub side). */
export type ParsedClientFrame =
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'action'; action: ClientAction }
  | { kind: 'invalid'; reason: string; request_id?: string };

export function parseClientFrame(text: string): ParsedClientFrame {
  if (text === PING) return { kind: 'ping' };
  if (text === PONG) return { kind: 'pong' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'frame is not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { kind: 'invalid', reason: 'frame is not a JSON object' };
  const o = raw as Record<string, unknown>;
  const request_id = typeof o.request_id === 'string' ? o.request_id : undefined;
  // Android's stale doc says {"type":"auth"}; accept it as the auth action.
  if (o.action === undefined && o.type === 'auth') o.action = 'auth';
  const r = ClientAction.safeParse(o);
  if (!r.success) {
    const reason = typeof o.action !== 'string'
      ? 'frame has no action'
      : !(WS_ACTIONS as readonly string[]).includes(o.action)
        ? `unknown action '${o.action}'`
        : `${o.action}: ${r.error.issues.map((i) => `${i.path.join('.') || '(frame)'} ${i.message}`).join('; ')}`;
    return request_id === undefined ? { kind: 'invalid', reason } : { kind: 'invalid', reason, request_id };
  }
  return { kind: 'action', action: r.data };
}
