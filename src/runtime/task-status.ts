/**
 * A task's one status message in the chat (issue 10, "the chat as the control room"): each status
 * change of a task this agent runs becomes a `status` row in the outbox, which the notifier edits
 * in place (docs/delivery.md). The text shows the phase, the time since the run started, the last
 * real executor event and the reason when blocked. A task this agent owns that waits for review
 * carries Approve / Reject buttons whose values (`wtt:approve:<id>`, at most 64 bytes: Telegram's
 * callback-data limit) SKILL.md maps to `wtt task review`. The result itself arrives as a new
 * message. Rendering is pure (`statusText`); `queueTaskStatus` writes to the store.
 */
import type { NoticeKind, NotifyInput, TaskContext } from '../../machines/task.machine.js';
import { humanDuration } from './away.js';
import type { StateStore } from './store.js';

/** Telegram's limit on callback data. */
export const CALLBACK_DATA_MAX_BYTES = 64;

export interface StatusView {
  text: string;
  kind: NoticeKind;
  /** The actor's context when known (elapsed time, last event, owner). */
  context?: Pick<TaskContext, 'now' | 'runEndsAt' | 'cfg' | 'lastProgress' | 'task'> | undefined;
}

/** The status message text (pure). */
export function statusText(v: StatusView): string {
  const lines = [v.text];
  const c = v.context;
  if (c) {
    const running = v.kind === 'doing' || v.kind === 'stale';
    if (c.runEndsAt > 0 && (running || v.kind === 'review' || v.kind === 'blocked' || v.kind === 'timeout')) {
      const started = c.runEndsAt - c.cfg.maxRuntimeMs;
      if (c.now >= started) lines.push(`⏱ ${humanDuration(c.now - started)} since the run started`);
    }
    if (c.lastProgress && v.kind !== 'done' && v.kind !== 'cancelled') lines.push(`· last event: ${c.lastProgress.slice(0, 200)}`);
  }
  return lines.join('\n');
}

/** Approve / Reject for a task waiting for this user's review (none when a value would not fit). */
export function reviewButtons(taskId: string): Array<{ label: string; value: string }> | undefined {
  const buttons = [
    { label: '✅ Approve', value: `wtt:approve:${taskId}` },
    { label: '↩ Reject', value: `wtt:reject:${taskId}` },
  ];
  return buttons.every((b) => Buffer.byteLength(b.value, 'utf8') <= CALLBACK_DATA_MAX_BYTES) ? buttons : undefined;
}

export interface TaskStatusDeps {
  store: StateStore;
  agentId: () => string | undefined;
  /** The task's output, for the result message (undefined: not known). */
  output?: ((taskId: string) => Promise<string | null | undefined>) | undefined;
}

/** Queues the status (and, for review, the result as a new message). True when something was queued. */
export async function queueTaskStatus(deps: TaskStatusDeps, input: NotifyInput, context: StatusView['context']): Promise<boolean> {
  const self = deps.agentId();
  const owner = context?.task.owner_agent_id;
  const buttons = input.kind === 'review' && self !== undefined && owner === self ? reviewButtons(input.taskId) : undefined;
  let queued = deps.store.enqueueTaskStatus({ key: input.key, task_id: input.taskId, text: statusText({ text: input.text, kind: input.kind, context }), urgent: input.urgent, ...(buttons ? { buttons } : {}) }) !== undefined;
  if (input.kind === 'review' && deps.output) {
    const out = (await deps.output(input.taskId).catch(() => undefined))?.trim();
    if (out) {
      const title = context?.task.title ? ` of "${context.task.title}"` : '';
      const max = 3_000;
      const body = out.length > max ? `${out.slice(0, max)}\n… (${out.length - max} more characters: \`wtt task detail ${input.taskId}\`)` : out;
      queued = deps.store.enqueueNotice({ key: `${input.key}:result`, text: `📄 Result${title}:\n${body}`, task_id: input.taskId }) !== undefined || queued;
    }
  }
  return queued;
}
