/**
 * Conversations (issue 10; wtt-protocol.md §9.6), opt-in with WTT_AUTO_REPLY: a committed message
 * that asks this agent something is answered through the same executor as tasks, and the reply
 * is published back into its topic. Answered:
 *   - p2p: a human's message; an agent's only when it @-mentions this agent;
 *   - discussion / collaborative: a message with `@all` or `@<this agent>`.
 * Never: broadcast topics, task topics (their follow-ups belong to the task actors), system
 * senders, `[TASK_…]`-tagged messages, and this agent's own messages.
 * Guards: WTT_PEERS, hops and the per-peer budget (PeerGuards); per topic at most one reply per
 * 15 s, and after 2 replies to agents the topic locks until a human speaks (src/guards/auto-reply.ts;
 * the state is kept in the store). Messages are handled one at a time, in order, once each (the
 * intake hands each message on once; the publish carries an idempotency key).
 */
import { mayReply, recordReply, seeMessage, type ReplyGuardState, type SenderKind } from '../guards/auto-reply.js';
import type { WttApi } from '../client/api.js';
import type { Executor } from '../executor/types.js';
import { replyPrompt } from '../executor/prompt.js';
import type { ConcurrencyLimiter } from '../executor/limiter.js';
import type { Logger } from '../log.js';
import type { Message } from '../protocol/index.js';
import type { PeerGuards } from './peer-guards.js';
import { mentions } from './routing.js';
import type { StateStore } from './store.js';

const GUARD_KV = 'guards:auto-reply';
const TASK_TAG = /^\s*\[TASK_[A-Z_]+\]/u;

export interface ConversationsDeps {
  api: () => WttApi;
  agentId: () => string | undefined;
  mentionNames: () => readonly string[];
  executor: Executor;
  limiter: ConcurrencyLimiter;
  guards: PeerGuards;
  store: StateStore;
  log: Logger;
  now: () => number;
  /** A task topic (handled by the task actors). */
  isTaskTopic: (topicId: string) => boolean;
  /** Per-topic spacing of replies (default 15 s; tests shorten it). */
  minGapMs?: number | undefined;
  maxAgentReplies?: number | undefined;
}

export type ReplyDecision = { reply: true; kind: SenderKind } | { reply: false; why: string };

/** Whether a message asks this agent for a reply (before the guards). Pure. */
export function wantsReply(m: Message, me: string, names: readonly string[], isTaskTopic: (id: string) => boolean): ReplyDecision {
  if (m.sender_id === me) return { reply: false, why: 'own message' };
  const kind = (m.sender_type ?? 'agent').toLowerCase();
  if (kind === 'system') return { reply: false, why: 'system sender' };
  if (TASK_TAG.test(m.content)) return { reply: false, why: 'system-tagged message' };
  if (m.task_id || isTaskTopic(m.topic_id) || (m.topic_name ?? '').startsWith('TASK-')) return { reply: false, why: 'task topic (the task actors handle it)' };
  const type = (m.topic_type ?? '').toLowerCase();
  const mentioned = mentions(m.content, { agentId: me, mentionNames: names });
  const sender: SenderKind = kind === 'human' ? 'human' : 'agent';
  if (type === 'broadcast') return { reply: false, why: 'broadcast topic' };
  if (type === 'p2p') return sender === 'human' || mentioned ? { reply: true, kind: sender } : { reply: false, why: 'p2p from an agent without a mention' };
  if (type === 'discussion' || type === 'collaborative') return mentioned ? { reply: true, kind: sender } : { reply: false, why: 'no mention of this agent' };
  return { reply: false, why: `topic type ${type || 'unknown'}` };
}

export class Conversations {
  private state: ReplyGuardState;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly controller = new AbortController();
  /** Replies published (for `wtt status` and tests). */
  replies = 0;

  constructor(private readonly deps: ConversationsDeps) {
    this.state = this.load();
  }

  onMessages(messages: readonly Message[]): void {
    for (const m of messages) this.chain = this.chain.then(() => this.handle(m)).catch((e: unknown) => this.deps.log.error({ err: e instanceof Error ? e.message : String(e) }, 'auto-reply failed'));
  }

  /** Resolves once every message handed in so far has been handled. */
  idle(): Promise<void> {
    return this.chain;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.controller.abort(new Error('the runtime is stopping'));
    await this.chain;
  }

  private async handle(m: Message): Promise<void> {
    const me = this.deps.agentId();
    if (this.stopped || !me) return;
    const senderKind: SenderKind = (m.sender_type ?? '').toLowerCase() === 'human' ? 'human' : 'agent';
    this.save(seeMessage(this.state, m.topic_id, senderKind));
    const d = wantsReply(m, me, this.deps.mentionNames(), this.deps.isTaskTopic);
    if (!d.reply) return;
    const verdict = mayReply(this.state, m.topic_id, d.kind, this.deps.now(), { minGapMs: this.deps.minGapMs, maxAgentReplies: this.deps.maxAgentReplies });
    if (!verdict.allowed) {
      this.deps.log.info({ topic_id: m.topic_id, message_id: m.id, why: verdict.reason }, `no auto-reply: ${verdict.text}`);
      return;
    }
    let hops = 1;
    if (d.kind === 'agent') {
      const g = this.deps.guards.check(m.sender_id, me, m);
      if (!g.allowed) {
        this.deps.guards.refuse(`reply:${m.topic_id}`, m.sender_id, g, `An auto-reply to ${m.sender_id} in topic ${m.topic_id}`);
        return;
      }
      hops = g.hops;
    }
    // Recorded before the run: a slow executor must not let a second reply through meanwhile.
    this.save(recordReply(this.state, m.topic_id, d.kind, this.deps.now()));
    const release = await this.deps.limiter.acquire(this.controller.signal);
    let text: string;
    try {
      text = await this.deps.executor.run({
        // One conversation per topic: an executor with sessions keys them by this id.
        task: { id: `conversation:${m.topic_id}`, title: `Reply to ${m.sender_id} in ${m.topic_name ?? m.topic_id}`, topic_id: m.topic_id, created_by: m.sender_id },
        prompt: replyPrompt({ sender: m.sender_id, senderKind: d.kind, topicId: m.topic_id, topicName: m.topic_name, text: m.content }, me),
        followUps: [],
        idempotencyKey: `reply:${m.id}`,
        attempt: 1,
        signal: this.controller.signal,
      });
    } finally {
      release();
    }
    if (text.trim() === '') return;
    await this.deps.api().publishToTopic(
      m.topic_id,
      { content: text, reply_to: m.id, metadata: { wtt_hops: hops, wtt_auto_reply: true } },
      { idempotencyKey: `reply:${m.id}`, signal: this.controller.signal },
    );
    this.replies++;
  }

  private save(next: ReplyGuardState): void {
    if (next === this.state) return;
    this.state = next;
    try {
      this.deps.store.setKv(GUARD_KV, JSON.stringify(next));
    } catch (e) {
      this.deps.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not save the auto-reply guard');
    }
  }

  private load(): ReplyGuardState {
    try {
      const raw = this.deps.store.getKv(GUARD_KV);
      const v = raw ? (JSON.parse(raw) as unknown) : {};
      if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
      const out: Record<string, { lastReplyAt: number | null; agentReplies: number }> = {};
      for (const [k, t] of Object.entries(v as Record<string, { lastReplyAt?: unknown; agentReplies?: unknown }>)) {
        out[k] = { lastReplyAt: typeof t?.lastReplyAt === 'number' ? t.lastReplyAt : null, agentReplies: typeof t?.agentReplies === 'number' ? t.agentReplies : 0 };
      }
      return out;
    } catch {
      return {};
    }
  }
}
