/**
 * What a task-topic message means to the task actors (wtt-protocol.md §5.5). Pure. A parsed
 * `[TASK_RUN]` is only a HINT: the task runs only after its real record was fetched from the hub
 * and names this agent as its runner (src/runtime/tasks.ts).
 */
import type { Message } from '../protocol/index.js';
import { REVIEW_ACTIONS, type ReviewAction } from '../protocol/task.js';

export type TaskMessage =
  | { kind: 'run'; taskId: string; runner: string | undefined }
  | { kind: 'review'; taskId: string; action: ReviewAction; by: string; comment: string }
  /** A human writing in a topic: a follow-up when the topic is a task's. */
  | { kind: 'human'; from: string; text: string }
  | { kind: 'other' };

/** `[TASK_…]` system notes and `[AUTO-REASONED]` replies never count as a human's words. */
const TAGGED = /^\s*\[(TASK_[A-Z_]+|AUTO-REASONED)\]/u;

function tokens(firstLine: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const w of firstLine.split(/\s+/u)) {
    const i = w.indexOf('=');
    if (i > 0) out.set(w.slice(0, i), w.slice(i + 1));
  }
  return out;
}

export function isTagged(content: string): boolean {
  return TAGGED.test(content);
}

export function parseTaskMessage(m: Pick<Message, 'content' | 'sender_id' | 'sender_type'>): TaskMessage {
  const content = m.content;
  const first = content.split('\n', 1)[0] ?? '';
  if (first.startsWith('[TASK_RUN]')) {
    const t = tokens(first);
    const taskId = t.get('task_id');
    return taskId ? { kind: 'run', taskId, runner: t.get('runner') } : { kind: 'other' };
  }
  if (first.startsWith('[TASK_REVIEW]')) {
    // Only the hub writes reviews (agents cannot post as `system`); anything else is just text.
    if ((m.sender_type ?? '').toLowerCase() !== 'system') return { kind: 'other' };
    const t = tokens(first);
    const taskId = t.get('task_id');
    const action = t.get('action') as ReviewAction | undefined;
    if (!taskId || !action || !(REVIEW_ACTIONS as readonly string[]).includes(action)) return { kind: 'other' };
    const at = content.indexOf('\ncomment=');
    const comment = at >= 0 ? content.slice(at + '\ncomment='.length).trim() : '';
    return { kind: 'review', taskId, action, by: t.get('by') ?? 'reviewer', comment };
  }
  if ((m.sender_type ?? '').toLowerCase() === 'human' && !isTagged(content) && content.trim() !== '') {
    return { kind: 'human', from: m.sender_id, text: content };
  }
  return { kind: 'other' };
}
