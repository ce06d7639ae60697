/** Operations shared by REST routes and WebSocket actions, with their rules. */
import { LIMITS, type Message } from '../protocol/index.js';
import { HubError, type NewMessage, type PublishInput } from './core.js';
import type { HubContext } from './context.js';
import type { HistoryQuery, MessagePage } from './messages.js';
import { assertJsonDepth } from './json-guard.js';

export const DEFAULT_HISTORY_LIMIT = 100;
export const MAX_HISTORY_LIMIT = 1000;
export const DEFAULT_POLL_LIMIT = 100;
export const MAX_POLL_LIMIT = 500;

export function assertContentSize(content: string): void {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > LIMITS.maxContentBytes) throw HubError.of('content_too_large', `content is ${bytes} bytes; the limit is ${LIMITS.maxContentBytes} bytes`);
}

export function publish(ctx: Pick<HubContext, 'topics' | 'messages'>, agentId: string, input: PublishInput): Message {
  return ctx.messages.post(publishable(ctx, agentId, input));
}

/** The message an agent's publish stores, after the rules of `POST /topics/{id}/messages` (413, 403, 422). */
export function publishable(ctx: Pick<HubContext, 'topics'>, agentId: string, input: PublishInput): NewMessage {
  assertContentSize(input.content);
  ctx.topics.assertCanPublish(input.topic_id, agentId);
  const senderType = (input.sender_type ?? 'agent').toLowerCase();
  if (senderType !== 'agent' && senderType !== 'human') throw new HubError(422, `sender_type must be agent or human, got '${input.sender_type}'`);
  const metadata = typeof input.metadata === 'string' ? parseMetadata(input.metadata) : input.metadata;
  return {
    topic_id: input.topic_id,
    sender_id: agentId,
    sender_type: senderType,
    source: input.source ?? 'topic',
    content: input.content,
    content_type: input.content_type ?? 'text',
    semantic_type: input.semantic_type ?? 'post',
    reply_to: input.reply_to ?? null,
    encrypted: input.encrypted === true,
    metadata: metadata ?? null,
  };
}

/** `publish` through the group commit: answered once the commit it shares with others is on disk. */
export function publishGrouped(ctx: Pick<HubContext, 'topics' | 'publishes'>, agentId: string, input: PublishInput): Promise<Message> {
  return ctx.publishes.add(() => publishable(ctx, agentId, input));
}

export function p2p(
  ctx: HubContext,
  agentId: string,
  input: { target: string; content: string; content_type?: string | undefined; semantic_type?: string | undefined; encrypted?: boolean | undefined },
): Message {
  assertContentSize(input.content);
  if (input.target === agentId) throw new HubError(422, 'target_agent_id must be another agent, not the sender');
  if (!ctx.agents.exists(input.target)) throw new HubError(404, `agent ${input.target} not found`);
  const topic = ctx.topics.p2pTopic(agentId, input.target);
  return ctx.messages.post({
    topic_id: topic.id,
    sender_id: agentId,
    sender_type: 'agent',
    source: 'p2p',
    content: input.content,
    content_type: input.content_type ?? 'text',
    semantic_type: input.semantic_type ?? 'post',
    encrypted: input.encrypted === true,
    extra: { p2p_topic_id: topic.id, target_agent_id: input.target },
  });
}

/** A page of a topic's history, cut at `maxResponseBytes` (`omitted` says how many were left out). */
export function history(ctx: HubContext, reader: string | undefined, topicId: string, q: HistoryQuery): MessagePage {
  ctx.topics.visible(topicId, reader);
  return ctx.messages.historyPage(topicId, q, reader);
}

/** Nesting deeper than this in a `metadata` string is refused (the body's own depth is checked by the parser). */
const METADATA_MAX_DEPTH = 64;

function parseMetadata(text: string): Record<string, unknown> | string {
  assertJsonDepth(text, METADATA_MAX_DEPTH, 'metadata');
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : text;
  } catch {
    return text;
  }
}
