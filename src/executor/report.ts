/**
 * The task machine's `report` and `setStatus` actor bodies against the hub (issue 10, Reporting):
 * the result is published into the task topic, `output` is PATCHed (≤ 50,000 characters) and the
 * status moved to `review`; a blocked task gets a `[TASK_BLOCKED]` message with its reason (notes
 * are left alone, §12.2 #18) and the status `blocked`.
 *
 * Exactly once per run key: a message carries `run=<key>` on its first line; before publishing,
 * the ledger (persisted, the runtime's store) and then the topic's latest messages are checked
 * for it, so a restart between the publish and the ledger write still publishes nothing twice.
 * The PATCHes are idempotent by themselves (same values; same status is allowed).
 */
import type { WttApi } from '../client/api.js';
import { LIMITS } from '../protocol/common.js';
import type { ReportInput, SetStatusInput } from '../../machines/task.machine.js';

/** Keys of side effects already done. The runtime backs it with the store's kv table. */
export interface Ledger {
  has(key: string): boolean;
  add(key: string): void;
}

export function kvLedger(store: { getKv(key: string): string | undefined; setKv(key: string, value: string): void }, prefix = 'done:'): Ledger {
  return {
    has: (key) => store.getKv(prefix + key) !== undefined,
    add: (key) => store.setKv(prefix + key, '1'),
  };
}

export function memoryLedger(): Ledger & { keys: Set<string> } {
  const keys = new Set<string>();
  return { keys, has: (k) => keys.has(k), add: (k) => void keys.add(k) };
}

export interface ReportDeps {
  api: Pick<WttApi, 'publishToTopic' | 'topicMessages' | 'updateTask'>;
  ledger: Ledger;
  /** How many of the topic's latest messages are searched for an earlier publish. */
  scanLimit?: number | undefined;
}

export const RESULT_TAG = '[TASK_SUMMARY]';
export const BLOCKED_TAG = '[TASK_BLOCKED]';

export function resultText(input: ReportInput): string {
  return `${RESULT_TAG} task_id=${input.task.id} run=${input.idempotencyKey}\n${input.result}`;
}

function marker(key: string): string {
  return ` run=${key}`;
}

/** Publishes `content` into the task topic once per `key`. */
async function publishOnce(deps: ReportDeps, topicId: string, key: string, content: string, semantic: string, signal?: AbortSignal): Promise<void> {
  const ledgerKey = `${key}:published`;
  if (deps.ledger.has(ledgerKey)) return;
  const recent = await deps.api.topicMessages(topicId, { limit: deps.scanLimit ?? 50 }, { signal });
  const already = recent.some((m) => (m.content ?? '').split('\n', 1)[0]?.endsWith(marker(key)) === true);
  if (!already) await deps.api.publishToTopic(topicId, { content, semantic_type: semantic }, { idempotencyKey: ledgerKey, signal });
  deps.ledger.add(ledgerKey);
}

export async function reportResult(deps: ReportDeps, input: ReportInput, signal?: AbortSignal): Promise<void> {
  const topicId = input.task.topic_id;
  if (topicId) await publishOnce(deps, topicId, input.idempotencyKey, resultText(input), 'TASK_SUMMARY', signal);
  await deps.api.updateTask(input.task.id, { output: input.result.slice(0, LIMITS.maxTaskOutputChars) }, { idempotencyKey: `${input.idempotencyKey}:output`, signal });
  await deps.api.updateTask(input.task.id, { status: 'review' }, { idempotencyKey: `${input.idempotencyKey}:review`, signal });
}

export async function setTaskStatus(deps: ReportDeps, input: SetStatusInput & { topicId?: string | null | undefined }, signal?: AbortSignal): Promise<void> {
  if (input.status === 'blocked' && input.reason && input.topicId) {
    await publishOnce(deps, input.topicId, input.idempotencyKey, `${BLOCKED_TAG} task_id=${input.taskId}${marker(input.idempotencyKey)}\n${input.reason}`, 'TASK_BLOCKED', signal);
  }
  await deps.api.updateTask(input.taskId, { status: input.status }, { idempotencyKey: input.idempotencyKey, signal });
}
