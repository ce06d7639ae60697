import { z } from 'zod';
import { AgentId, TopicId } from './common.js';
import { Content } from './message.js';

export const Delegation = z.looseObject({
  id: z.union([z.string(), z.number()]).optional(),
  manager_agent_id: AgentId,
  target_agent_id: AgentId,
  can_publish: z.boolean(),
  can_p2p: z.boolean(),
  created_at: z.string().optional(),
});
export type Delegation = z.infer<typeof Delegation>;

export const DelegationCreateBody = z.looseObject({
  manager_agent_id: AgentId.optional(),
  target_agent_id: AgentId,
  can_publish: z.boolean().optional().default(true),
  can_p2p: z.boolean().optional().default(true),
});
export type DelegationCreateBody = z.input<typeof DelegationCreateBody>;

export const PublishAsBody = z.looseObject({
  manager_agent_id: AgentId.optional(),
  target_agent_id: AgentId,
  topic_id: TopicId,
  content: Content,
  content_type: z.string().optional().default('text'),
  semantic_type: z.string().optional().default('post'),
});
export type PublishAsBody = z.input<typeof PublishAsBody>;

export const P2pAsBody = z.looseObject({
  manager_agent_id: AgentId.optional(),
  target_agent_id: AgentId,
  peer_agent_id: AgentId,
  content: Content,
});
export type P2pAsBody = z.input<typeof P2pAsBody>;
