/**
 * The typed `Command` union: what `parseCommand` makes of `@wtt …` text and what the handlers run.
 * Field names are the protocol's (`topic_id`, `agent_id`, …). Type-only imports: no runtime cost.
 */
import type { CONTENT_TYPES } from '../protocol/message.js';
import type { ReviewAction } from '../protocol/task.js';
import type { TopicType } from '../protocol/topic.js';
import type { HelpTopic } from './usage.js';
import type { ModuleCommand } from './modules/index.js';

export type ContentType = Exclude<(typeof CONTENT_TYPES)[number], 'system'>;

/** Allowed values, kept equal to the protocol's by the type checks below (the protocol files load zod). */
export const TOPIC_TYPE_NAMES = ['broadcast', 'discussion', 'collaborative', 'p2p'] as const;
export const REVIEW_ACTION_NAMES = ['approve', 'reject', 'block'] as const;
export const CONTENT_TYPE_NAMES = ['text', 'image', 'audio', 'video', 'link', 'file', 'mixed'] as const;
export const TASK_FILTER_KEYS = ['status', 'owner_agent_id', 'runner_agent_id', 'pipeline_id', 'task_mode', 'limit'] as const;
export const MEMORY_MODES = ['timeline', 'distilled'] as const;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameTopicTypes: Same<(typeof TOPIC_TYPE_NAMES)[number], TopicType> = true;
const sameReviewActions: Same<(typeof REVIEW_ACTION_NAMES)[number], ReviewAction> = true;
const sameContentTypes: Same<(typeof CONTENT_TYPE_NAMES)[number], ContentType> = true;
void sameTopicTypes;
void sameReviewActions;
void sameContentTypes;

export type TaskFilterKey = (typeof TASK_FILTER_KEYS)[number];
export type MemoryMode = (typeof MEMORY_MODES)[number];
/** Extra `key=value` fields, in the order written. */
export type Fields = Readonly<Record<string, string>>;

export type Command =
  | { kind: 'help'; topic?: HelpTopic }
  // topics
  | { kind: 'list' }
  | { kind: 'find'; query: string }
  | { kind: 'create'; name: string; description: string; type: TopicType }
  | { kind: 'delete'; topic_id: string }
  | { kind: 'detail'; topic_id: string }
  | { kind: 'subscribed' }
  | { kind: 'join'; topic_id: string }
  | { kind: 'leave'; topic_id: string }
  // messaging
  | { kind: 'history'; topic_id: string; limit: number }
  | { kind: 'publish'; topic_id: string; content: string; content_type: ContentType }
  | { kind: 'poll'; limit?: number }
  | { kind: 'p2p'; agent_id: string; content: string }
  | { kind: 'feed'; page: number }
  | { kind: 'inbox' }
  // tasks
  | { kind: 'task.list'; filters: Partial<Record<TaskFilterKey, string>> }
  | { kind: 'task.create'; title: string; description?: string; fields: Fields }
  | { kind: 'task.detail'; task_id: string }
  | { kind: 'task.update'; task_id: string; fields: Fields }
  | { kind: 'task.assign'; task_id: string; agent_id?: string }
  | { kind: 'task.run'; task_id: string; runner_agent_id?: string }
  | { kind: 'task.review'; task_id: string; action: ReviewAction; comment: string }
  | { kind: 'task.delete'; task_id: string }
  | { kind: 'task.deps.add'; task_id: string; depends_on_task_id: string }
  | { kind: 'task.deps.remove'; task_id: string; depends_on_task_id: string }
  | { kind: 'task.graph'; pipeline_id?: string }
  | { kind: 'task.progress' }
  // pipelines
  | { kind: 'pipeline.list' }
  | { kind: 'pipeline.create'; name: string; description: string }
  | { kind: 'pipeline.add'; pipeline_id: string; titles: readonly string[] }
  | { kind: 'pipeline.status'; pipeline_id: string }
  | { kind: 'pipeline.update'; pipeline_id: string; fields: Fields }
  | { kind: 'pipeline.delete'; pipeline_id: string }
  | { kind: 'pipeline.run'; pipeline_id: string }
  // content and memory
  | { kind: 'memory.export'; topic_id: string; mode: MemoryMode; limit?: number; target_path?: string }
  | { kind: 'memory.read'; target_path?: string; tail_lines?: number }
  | { kind: 'talk'; text: string }
  | { kind: 'rich'; topic_id: string; title: string; markdown: string }
  | { kind: 'export'; topic_id: string; format: 'md' }
  | { kind: 'preview'; url: string }
  // delegation
  | { kind: 'delegate.create'; target_agent_id: string }
  | { kind: 'delegate.grant'; manager_agent_id: string }
  | { kind: 'delegate.list' }
  | { kind: 'delegate.remove'; target_agent_id: string }
  | { kind: 'delegate.publish'; target_agent_id: string; topic_id: string; content: string }
  | { kind: 'delegate.p2p'; target_agent_id: string; peer_agent_id: string; content: string }
  // blacklist
  | { kind: 'blacklist.add'; topic_id: string; agent_id: string; mode: string }
  | { kind: 'blacklist.remove'; topic_id: string; agent_id: string }
  | { kind: 'blacklist.list'; topic_id: string }
  // account
  | { kind: 'bind' }
  | { kind: 'config'; action: 'show' | 'auto' }
  // one module per verb (modules/)
  | ModuleCommand;

export type CommandKind = Command['kind'];
export type CommandOf<K extends CommandKind> = Extract<Command, { kind: K }>;
