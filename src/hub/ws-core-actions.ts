/**
 * The core's WebSocket actions (wtt-protocol.md §4.4), registered in the same `WsActions` registry
 * the areas use. Each frame schema is the protocol's own (`ClientAction` in src/protocol/frames.ts).
 */
import type { z } from 'zod';
import { ClientAction, TopicCreateBody, type WS_ACTIONS } from '../protocol/index.js';
import type { HubContext } from './context.js';
import { HubError } from './core.js';
import { describeIssues } from './http.js';
import { DEFAULT_POLL_LIMIT, history, MAX_POLL_LIMIT, p2p, publishGrouped } from './ops.js';
import { PagedAnswer } from './ws-actions.js';

type Name = Exclude<(typeof WS_ACTIONS)[number], 'auth'>;
type Frame<N extends Name> = Extract<ClientAction, { action: N }>;

/** The protocol schema of one action's frame. */
export function frameSchema<N extends (typeof WS_ACTIONS)[number]>(name: N): z.ZodType<Extract<ClientAction, { action: N }>> {
  const option = ClientAction.options.find((o) => o.shape.action.value === name);
  if (!option) throw new TypeError(`no protocol schema for ws action '${name}'`);
  return option as unknown as z.ZodType<Extract<ClientAction, { action: N }>>;
}

export function registerCoreWsActions(ctx: HubContext): void {
  const on = <N extends Name>(name: N, run: (agentId: string, a: Frame<N>) => unknown): void =>
    ctx.wsActions.registerProtocol(name, { schema: frameSchema(name), run });

  on('list', (agentId, a) => ctx.topics.listPublic(a.limit ?? 100, agentId));
  on('find', (agentId, a) => ctx.topics.search(a.query.trim(), 100, agentId));
  on('join', (agentId, a) => ctx.topics.join(a.topic_id, agentId));
  on('leave', (agentId, a) => ctx.topics.leave(a.topic_id, agentId));
  on('subscribed', (agentId) => ctx.topics.subscribed(agentId, 1000));
  on('detail', (agentId, a) => ctx.topics.visible(a.topic_id, agentId));
  on('publish', (agentId, a) => {
    const metadata = (a as Record<string, unknown>).metadata;
    return publishGrouped(ctx, agentId, {
      topic_id: a.topic_id,
      content: a.content,
      content_type: a.content_type,
      semantic_type: a.semantic_type,
      reply_to: a.reply_to,
      encrypted: a.encrypted,
      metadata: typeof metadata === 'string' || (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)) ? (metadata as Record<string, unknown> | string) : null,
    });
  });
  on('poll', (agentId, a) => {
    const limit = a.limit ?? DEFAULT_POLL_LIMIT;
    if (limit > MAX_POLL_LIMIT) throw new HubError(422, `limit must be a whole number from 1 to ${MAX_POLL_LIMIT}, got ${limit}`);
    return ctx.messages.poll(agentId, limit);
  });
  on('p2p', (agentId, a) => {
    const target = a.target_agent_id ?? a.target_id;
    if (!target) throw new HubError(422, 'p2p: target_agent_id (or target_id) is required');
    return p2p(ctx, agentId, { target, content: a.content, encrypted: a.encrypted });
  });
  on('history', (agentId, a) => {
    const page = history(ctx, agentId, a.topic_id, { limit: a.limit ?? 100, offset: 0, before: a.before_id, after: a.after_id });
    return page.omitted > 0 ? new PagedAnswer(page.messages, page.omitted) : page.messages;
  });
  on('typing', (agentId, a) => {
    const topic = ctx.topics.get(a.topic_id);
    if (!topic) throw new HubError(404, `topic ${a.topic_id} not found`);
    if (!ctx.topics.isMember(a.topic_id, agentId)) throw new HubError(403, `agent ${agentId} is not a member of topic ${a.topic_id}`);
    const others = ctx.topics.members(a.topic_id).filter((m) => m !== agentId);
    ctx.conns.send(others, {
      type: 'typing',
      topic_id: a.topic_id,
      agent_id: agentId,
      agent_display_name: ctx.agents.get(agentId)?.display_name ?? null,
      state: a.state,
      ttl_ms: a.ttl_ms ?? 6000,
      ts: ctx.clock.iso(),
    });
    return { ok: true, topic_id: a.topic_id, state: a.state };
  });
  on('create', (agentId, a) => {
    const body = TopicCreateBody.safeParse(a);
    if (!body.success) throw new HubError(422, describeIssues(body.error, 'create'));
    return ctx.topics.createByAgent(agentId, body.data);
  });
}
