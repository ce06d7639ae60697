/**
 * The exact texts the hub posts into task topics (wtt-protocol.md §5.5, §13 items 6–7). Pure.
 * Clients parse the `key=value` tokens of the first line and the `title=` / `description=` /
 * `comment=` lines; the last field of each message may span several lines.
 */
import type { ReviewAction } from '../../protocol/index.js';
import { oneLine } from '../text.js';

export const TASK_RUN_TAG = '[TASK_RUN]';
export const TASK_REVIEW_TAG = '[TASK_REVIEW]';
export const PIPELINE_AUTO_START = 'Pipeline auto-start';
export const UPSTREAM_COMPLETED = 'Upstream completed';
/** `by=` of reviews the hub makes itself for pipelines with `auto_review`. */
export const AUTO_REVIEWER = 'auto-review';

export interface TaskFacts {
  readonly id: string;
  readonly title: string;
  readonly description?: string | null | undefined;
  readonly exec_mode?: string | null | undefined;
  readonly task_type?: string | null | undefined;
  readonly runner_agent_id?: string | null | undefined;
  readonly pipeline_id?: string | null | undefined;
}

/** Why a task was dispatched: by hand (`/run`), by a pipeline start, or by a finished upstream task. */
export type DispatchCause =
  | { readonly kind: 'run' }
  | { readonly kind: 'pipeline_start'; readonly pipelineId: string }
  | {
      readonly kind: 'upstream';
      readonly pipelineId: string;
      readonly upstreamId: string;
      readonly upstreamTitle: string;
      /** `done`, or for an optional dependency also `blocked`/`cancelled`. */
      readonly upstreamStatus: string;
    };


/** A `key=value` token, or nothing when the value is empty; spaces in values become `_`. */
function token(key: string, value: string | null | undefined): string[] {
  const v = oneLine(value).replace(/ /g, '_');
  return v ? [`${key}=${v}`] : [];
}

export function taskRunText(task: TaskFacts, trigger: string | null | undefined, cause: DispatchCause, note?: string | null): string {
  const head = [
    TASK_RUN_TAG,
    ...token('task_id', task.id),
    ...token('runner', task.runner_agent_id),
    ...token('exec_mode', task.exec_mode),
    ...token('type', task.task_type),
    ...token('trigger', trigger),
  ];
  if (cause.kind !== 'run') head.push(...token('pipeline', cause.pipelineId));
  const lines = [head.join(' ')];
  if (cause.kind === 'pipeline_start') lines.push(`${PIPELINE_AUTO_START}: pipeline ${cause.pipelineId}`);
  if (cause.kind === 'upstream') lines.push(`${UPSTREAM_COMPLETED}: ${oneLine(cause.upstreamTitle)} (${cause.upstreamId}, ${cause.upstreamStatus})`);
  lines.push(`title=${oneLine(task.title)}`);
  if (oneLine(note)) lines.push(`note=${oneLine(note)}`);
  lines.push(`description=${(task.description ?? '').trim()}`);
  return lines.join('\n');
}

export function taskReviewText(task: TaskFacts, action: ReviewAction, by: string, comment: string | null | undefined): string {
  const head = [
    TASK_REVIEW_TAG,
    ...token('action', action),
    ...token('task_id', task.id),
    ...token('by', by),
    ...token('exec_mode', task.exec_mode),
    ...token('type', task.task_type),
  ];
  return [head.join(' '), `title=${oneLine(task.title)}`, `description=${oneLine(task.description)}`, `comment=${(comment ?? '').trim()}`].join(
    '\n',
  );
}
