/**
 * The routing decision: a pure function of (message, policy, identity) plus the topic settings the
 * store already holds. It runs inside the intake's SQLite transaction, so it never does I/O and
 * never throws for a well-formed message; its `reason` is what `@wtt trace` shows.
 */
import type { Message } from '../protocol/index.js';
import type { NotifyPolicy, TopicNotifyMode } from './notify-policy.js';

export interface RoutingIdentity {
  agentId: string | undefined;
  /** WTT_AGENT_NAME / WTT_DISPLAY_NAME: `@name` mentions this agent too. */
  mentionNames: readonly string[];
}

export interface RoutingContext {
  topicNotify(topicId: string): TopicNotifyMode | undefined;
  /** True for a task this agent owns or runs (the task actors know; false until they do). */
  isOwnTask?(taskId: string): boolean;
}

export type RouteDecision =
  | { deliver: false; reason: string }
  | { deliver: true; reason: string; /** The topic is set to `digest`: hold it for the next digest. */ digest: boolean };

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `@all`, `@<agent_id>` or `@<name>`, case-insensitive, not followed by a word character. */
export function mentions(content: string, identity: RoutingIdentity): boolean {
  const names = ['all', identity.agentId, ...identity.mentionNames].filter((n): n is string => Boolean(n && n.trim()));
  if (names.length === 0 || !content.includes('@')) return false;
  const re = new RegExp(`(^|[^\\w@])@(${names.map((n) => escapeRe(n.trim())).join('|')})(?![\\w-])`, 'iu');
  return re.test(content);
}

export function routeMessage(m: Message, policy: NotifyPolicy, identity: RoutingIdentity, ctx: RoutingContext): RouteDecision {
  if (identity.agentId && m.sender_id === identity.agentId) return { deliver: false, reason: 'own message (echo): never delivered' };
  const mode = ctx.topicNotify(m.topic_id);
  if (mode === 'off') return { deliver: false, reason: `topic ${m.topic_id} is muted (@wtt notify ${m.topic_id} off)` };
  const digest = mode === 'digest';
  const wants = (k: 'p2p' | 'mentions' | 'tasks' | 'topics') => policy.kinds === 'all' || policy.kinds.has(k);
  if (m.topic_type === 'p2p' && wants('p2p')) return { deliver: true, reason: 'p2p message to this agent', digest };
  if (wants('mentions') && mentions(m.content, identity)) return { deliver: true, reason: 'mentions this agent', digest };
  if (m.task_id && wants('tasks') && ctx.isOwnTask?.(m.task_id)) return { deliver: true, reason: `event of task ${m.task_id} (owned or run here)`, digest };
  if (mode !== undefined && wants('topics')) return { deliver: true, reason: `topic opted in (@wtt notify ${m.topic_id} ${mode})`, digest };
  if (policy.kinds === 'all') return { deliver: true, reason: 'WTT_NOTIFY=all', digest };
  return { deliver: false, reason: `policy: not p2p, no mention, topic not opted in (WTT_NOTIFY=${[...policy.kinds].join(',') || 'none'})` };
}
