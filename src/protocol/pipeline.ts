import { z } from 'zod';
import { LooseBool } from './common.js';

export const PipelineStats = z.looseObject({
  todo: z.number(),
  doing: z.number(),
  review: z.number(),
  done: z.number(),
  blocked: z.number(),
  cancelled: z.number().optional(),
});
export type PipelineStats = z.infer<typeof PipelineStats>;

export const DEFAULT_PIPELINE_ID = 'default';

export const Pipeline = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullish(),
  auto_review: z.boolean().optional(),
  created_at: z.string().optional(),
  creator_agent_id: z.string().nullish(),
  stats: PipelineStats.optional(),
  task_count: z.number().optional(),
});
export type Pipeline = z.infer<typeof Pipeline>;

export const PipelineCreateBody = z.looseObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(4000).optional().default(''),
  auto_review: LooseBool.optional().default(false),
  creator_agent_id: z.string().max(200).optional(),
});
export type PipelineCreateBody = z.input<typeof PipelineCreateBody>;

export const PipelineUpdateBody = z.looseObject({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().max(4000).optional(),
  auto_review: LooseBool.optional(),
});
export type PipelineUpdateBody = z.input<typeof PipelineUpdateBody>;

export const PipelineExecuteBody = z.looseObject({
  pipeline_id: z.string().max(200).optional(),
  trigger_agent_id: z.string().max(200).optional(),
  task_ids: z.array(z.string()).optional(),
  note: z.string().max(20_000).optional(),
});
export type PipelineExecuteBody = z.input<typeof PipelineExecuteBody>;

export const PipelineExecuteResponse = z.looseObject({
  count: z.number(),
  message: z.string().optional(),
  task_ids: z.array(z.string()).optional(),
});
export type PipelineExecuteResponse = z.infer<typeof PipelineExecuteResponse>;
