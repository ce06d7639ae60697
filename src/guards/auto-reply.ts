/**
 * The auto-reply ping-pong guard (issue 10, Conversations): per topic at most one auto-reply per
 * `minGapMs` (15 s), and after `maxAgentReplies` (2) replies to agent senders the topic locks
 * until a human speaks in it. The state is plain JSON per topic; functions return new state. Pure.
 */
export const AUTO_REPLY_DEFAULTS = Object.freeze({ minGapMs: 15_000, maxAgentReplies: 2 });

export interface TopicReplyState {
  lastReplyAt: number | null;
  /** Replies to agents since a human last spoke. */
  agentReplies: number;
}

export type ReplyGuardState = Readonly<Record<string, TopicReplyState>>;

export type SenderKind = 'human' | 'agent';

export type ReplyVerdict = { allowed: true } | { allowed: false; reason: 'rate' | 'locked'; text: string; retryAt?: number };

const EMPTY: TopicReplyState = { lastReplyAt: null, agentReplies: 0 };

/** A message arrived in a topic: a human speaking unlocks it. */
export function seeMessage(state: ReplyGuardState, topicId: string, sender: SenderKind): ReplyGuardState {
  if (sender !== 'human') return state;
  const t = state[topicId];
  if (!t || t.agentReplies === 0) return state;
  return { ...state, [topicId]: { ...t, agentReplies: 0 } };
}

/** May this agent auto-reply now to a message from `sender` in `topicId`? */
export function mayReply(
  state: ReplyGuardState,
  topicId: string,
  sender: SenderKind,
  now: number,
  opts: { minGapMs?: number; maxAgentReplies?: number } = {},
): ReplyVerdict {
  const gap = opts.minGapMs ?? AUTO_REPLY_DEFAULTS.minGapMs;
  const max = opts.maxAgentReplies ?? AUTO_REPLY_DEFAULTS.maxAgentReplies;
  const t = state[topicId] ?? EMPTY;
  if (sender === 'agent' && t.agentReplies >= max) {
    return { allowed: false, reason: 'locked', text: `auto-replies in this topic are paused after ${max} replies to agents, until a human writes` };
  }
  if (t.lastReplyAt !== null && now - t.lastReplyAt < gap) {
    return { allowed: false, reason: 'rate', text: `at most one auto-reply per ${Math.round(gap / 1000)} s in a topic`, retryAt: t.lastReplyAt + gap };
  }
  return { allowed: true };
}

/** Records an auto-reply sent at `now` to a message from `sender`. */
export function recordReply(state: ReplyGuardState, topicId: string, sender: SenderKind, now: number): ReplyGuardState {
  const t = state[topicId] ?? EMPTY;
  return { ...state, [topicId]: { lastReplyAt: now, agentReplies: sender === 'agent' ? t.agentReplies + 1 : t.agentReplies } };
}
