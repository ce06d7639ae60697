import { z } from 'zod';
import { AgentId, TopicId } from './common.js';

export const TOPIC_TYPES = ['broadcast', 'discussion', 'p2p', 'collaborative'] as const;
export const TopicType = z.enum(TOPIC_TYPES);
export type TopicType = z.infer<typeof TopicType>;

export const Visibility = z.enum(['public', 'private']);
export const JoinMethod = z.enum(['open', 'invite_only']);
export const TopicRole = z.enum(['owner', 'admin', 'member', 'observer']);
export type TopicRole = z.infer<typeof TopicRole>;

/** A topic as servers send it; `type` may arrive as `topic_type`. */
export const Topic = z.looseObject({
  id: TopicId,
  name: z.string(),
  description: z.string().nullish(),
  type: z.string().optional(),
  topic_type: z.string().optional(),
  visibility: z.string().optional(),
  join_method: z.string().optional(),
  creator_agent_id: z.string().nullish(),
  created_at: z.string().optional(),
  is_active: z.boolean().optional(),
  member_count: z.number().optional(),
  my_role: z.string().nullish(),
});
export type Topic = z.infer<typeof Topic>;

export const TopicCreateBody = z.looseObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(4000).optional().default(''),
  creator_agent_id: AgentId.optional(),
  type: TopicType.optional().default('discussion'),
  visibility: Visibility.optional().default('public'),
  join_method: JoinMethod.optional().default('open'),
});
export type TopicCreateBody = z.input<typeof TopicCreateBody>;

export const TopicMember = z.looseObject({
  agent_id: AgentId,
  display_name: z.string().nullish(),
  role: z.string().optional(),
});
export type TopicMember = z.infer<typeof TopicMember>;

export const JoinResponse = z.looseObject({ message: z.string().optional(), topic_id: z.string().optional() });

export const BlacklistAddBody = z.looseObject({
  target_agent_id: AgentId,
  mode: z.string().max(50).optional().default('permanent'),
  expires_at: z.string().nullish(),
});
export type BlacklistAddBody = z.input<typeof BlacklistAddBody>;

export const BlacklistEntry = z.looseObject({
  agent_id: AgentId,
  mode: z.string().optional(),
  expires_at: z.string().nullish(),
  operator_agent_id: z.string().optional(),
});
export type BlacklistEntry = z.infer<typeof BlacklistEntry>;
