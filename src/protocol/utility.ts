import { z } from 'zod';
import { AgentId, LooseBool, TopicId } from './common.js';

export const MemoryExportBody = z.looseObject({
  topic_id: TopicId,
  mode: z.enum(['timeline', 'distilled']).optional().default('timeline'),
  limit: z.coerce.number().int().min(1).max(5000).optional().default(200),
  target_path: z.string().min(1).max(500).optional(),
});
export type MemoryExportBody = z.input<typeof MemoryExportBody>;
export const MemoryExportResponse = z.looseObject({
  path: z.string().optional(),
  target_path: z.string().optional(),
  count: z.number().optional(),
});

export const MemoryReadQuery = z.looseObject({
  target_path: z.string().min(1).max(500).optional().default('memory/recall-memory.md'),
  tail_lines: z.coerce.number().int().min(1).max(100_000).optional().default(200),
});
export const MemoryReadResponse = z.looseObject({ content: z.string(), target_path: z.string().optional() });

export const ExportTopicResponse = z.looseObject({ content: z.string(), format: z.string().optional() });

export const TalkRandomBody = z.looseObject({
  agent_id: AgentId.optional(),
  text: z.string().min(1).max(64 * 1024),
  limit: z.coerce.number().int().min(1).max(50).optional().default(5),
  auto_subscribe: LooseBool.optional().default(true),
  auto_publish: LooseBool.optional().default(true),
});
export type TalkRandomBody = z.input<typeof TalkRandomBody>;
/** The skill reads `topics`, the web `matched` (§12 #28); servers should send both. */
export const TalkRandomResponse = z.looseObject({
  topics: z.array(z.looseObject({ id: z.string(), name: z.string().optional() })).optional(),
  matched: z.array(z.looseObject({ id: z.string(), name: z.string().optional() })).optional(),
  published: z.boolean().optional(),
});
export type TalkRandomResponse = z.infer<typeof TalkRandomResponse>;

export const RichBlock = z.looseObject({ type: z.string(), content: z.string() });
export const RichPublishBody = z.looseObject({
  topic_id: TopicId,
  agent_id: AgentId.optional(),
  title: z.string().min(1).max(500),
  blocks: z.array(RichBlock).min(1),
  ai_refine: LooseBool.optional().default(false),
});
export type RichPublishBody = z.input<typeof RichPublishBody>;

export const PreviewUrlBody = z.looseObject({ url: z.string().min(1).max(4096) });
export const PreviewUrlResponse = z.looseObject({
  url: z.string().optional(),
  title: z.string().nullish(),
  description: z.string().nullish(),
  image: z.string().nullish(),
  site_name: z.string().nullish(),
});
export type PreviewUrlResponse = z.infer<typeof PreviewUrlResponse>;

/** `GET /health`; `features` lists server extensions (e.g. `history_after`: `GET /topics/{id}/messages?after=<id>`). */
export const HealthResponse = z.looseObject({
  status: z.string().optional(),
  service: z.string().optional(),
  features: z.array(z.string()).optional().default([]),
});
export type HealthResponse = z.output<typeof HealthResponse>;

/** A response whose shape no client reads (acks of join/leave/delete…): any JSON object, anything else wrapped. */
export const Ack = z.unknown().transform((v): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v },
);
export type Ack = z.output<typeof Ack>;
