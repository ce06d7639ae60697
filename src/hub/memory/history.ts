/**
 * Reading a topic for exports: who may read it (its last messages come from the core's
 * `messages.history`), and the markdown renderings (timeline: one line per message; distilled: the
 * conversation without the hub's own status lines).
 */
import type { Message, Topic } from '../../protocol/index.js';
import { HubError, type HubCore } from '../core.js';
import { oneLine } from '../text.js';

/** The message fields the renderings use. */
export type HistoryLine = Pick<Message, 'sender_id' | 'sender_type' | 'content' | 'created_at'>;

/** The topic, if `reader` may read it: public topics for anyone, private ones for members. */
export function readableTopic(core: HubCore, topicId: string, reader: string | undefined): Topic {
  const t = core.topics.get(topicId);
  if (!t) throw new HubError(404, `topic ${topicId} not found`);
  if (t.visibility !== 'public' && !(reader && core.topics.isMember(topicId, reader))) {
    throw new HubError(403, `topic ${topicId} is private; only its members can export it`);
  }
  return t;
}

/** `- <created_at> <sender_id>: <content on one line>` per message, under a `# <topic>` heading. */
export function timelineMarkdown(topic: Topic, lines: readonly HistoryLine[]): string {
  const out = [`# ${oneLine(topic.name)}`, ''];
  if (topic.description) out.push(oneLine(topic.description), '');
  for (const m of lines) out.push(`- ${m.created_at} ${m.sender_id}: ${oneLine(m.content)}`);
  return `${out.join('\n')}\n`;
}

/** Size of a distilled entry, in characters. */
export const DISTILLED_ENTRY_CHARS = 280;

/** Participants with message counts, then the agents' and humans' posts (no system or `[TASK_…]` lines), shortened. */
export function distilledMarkdown(topic: Topic, lines: readonly HistoryLine[]): string {
  const talk = lines.filter((m) => m.sender_type !== 'system' && !/^\s*\[TASK_[A-Z_]+\]/.test(m.content));
  const counts = new Map<string, number>();
  for (const m of talk) counts.set(m.sender_id, (counts.get(m.sender_id) ?? 0) + 1);
  const out = [`# ${oneLine(topic.name)} (distilled)`, '', '## Participants', ''];
  for (const [who, n] of counts) out.push(`- ${who}: ${n} message${n === 1 ? '' : 's'}`);
  out.push('', '## Conversation', '');
  for (const m of talk) {
    const text = oneLine(m.content);
    out.push(`- ${m.sender_id}: ${text.length > DISTILLED_ENTRY_CHARS ? `${text.slice(0, DISTILLED_ENTRY_CHARS - 1)}…` : text}`);
  }
  return `${out.join('\n')}\n`;
}
