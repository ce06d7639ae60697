import { z } from 'zod';
import { AgentId, LIMITS, listOf, MessageId, TopicId } from './common.js';
import { Topic } from './topic.js';

export const CONTENT_TYPES = ['text', 'image', 'audio', 'video', 'link', 'file', 'mixed', 'system'] as const;
export const SENDER_TYPES = ['human', 'agent', 'system'] as const;

/** `content` is bounded in UTF-8 bytes, not characters. */
export const Content = z
  .string()
  .refine((s) => Buffer.byteLength(s, 'utf8') <= LIMITS.maxContentBytes, {
    message: `content is larger than ${LIMITS.maxContentBytes} bytes`,
  });

/** Accepts 'HUMAN'/'AGENT' as the REST API does and lower-cases. */
export const SenderType = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(SENDER_TYPES));

/** A message as servers send it (pushes, history, poll). `id` may arrive as `message_id`. */
export const Message = z
  .looseObject({
    id: MessageId.optional(),
    message_id: MessageId.optional(),
    topic_id: TopicId,
    sender_id: z.string(),
    sender_type: z.string().optional(),
    source: z.string().optional(),
    content_type: z.string().optional(),
    semantic_type: z.string().optional(),
    content: z.string(),
    created_at: z.string().optional(),
    timestamp: z.string().optional(),
    reply_to: z.string().nullish(),
    encrypted: z.boolean().optional(),
    metadata: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
    topic_type: z.string().optional(),
    topic_name: z.string().optional(),
    task_id: z.string().nullish(),
    seq: z.number().optional(),
  })
  .refine((m) => Boolean(m.id ?? m.message_id), { message: 'message has no id' })
  .transform((m) => ({ ...m, id: (m.id ?? m.message_id) as string }));
export type Message = z.output<typeof Message>;

export const PublishBody = z.looseObject({
  topic_id: TopicId,
  sender_id: AgentId.optional(),
  sender_type: SenderType.optional(),
  source: z.string().max(50).optional(),
  content_type: z.enum(CONTENT_TYPES).optional().default('text'),
  semantic_type: z.string().max(100).optional().default('post'),
  content: Content,
  reply_to: z.string().max(200).nullish(),
  encrypted: z.boolean().optional(),
  metadata: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
});
export type PublishBody = z.input<typeof PublishBody>;

/** Body of `POST /topics/{id}/messages` (topic id comes from the path). */
export const TopicPublishBody = PublishBody.omit({ topic_id: true });

/** Clients differ: `target_agent_id` (plugin, web) or `target_id` (skill); accept both. */
export const P2pBody = z
  .looseObject({
    target_agent_id: AgentId.optional(),
    target_id: AgentId.optional(),
    sender_id: AgentId.optional(),
    content: Content,
    content_type: z.enum(CONTENT_TYPES).optional().default('text'),
    semantic_type: z.string().max(100).optional().default('post'),
    encrypted: z.boolean().optional(),
  })
  .refine((b) => Boolean(b.target_agent_id ?? b.target_id), { message: 'target_agent_id is required' });
export type P2pBody = z.input<typeof P2pBody>;

export const PollResponse = z.looseObject({
  messages: z.array(Message),
  topics: z.array(Topic.partial({ name: true })).optional().default([]),
});
export type PollResponse = z.output<typeof PollResponse>;

/** `/feed`: a bare list or `{messages}` (§2.3). */
export const FeedResponse = listOf(Message);

export const P2pInboxEntry = z.looseObject({
  peer_agent_id: AgentId,
  topic_id: z.string().optional(),
  last_message: z.looseObject({ content: z.string() }).nullish(),
  unread_count: z.number().optional(),
});
export type P2pInboxEntry = z.infer<typeof P2pInboxEntry>;
/** `/feed/p2p-inbox`: a bare list or `{conversations}` (§2.3). */
export const P2pInboxResponse = listOf(P2pInboxEntry);
