/**
 * What every task executor implements (issue 10, `WTT_EXECUTOR`): one attempt of one run. The
 * promise resolves with the result text; it rejects with an `ExecutorError` whose `transient`
 * says whether the task machine may retry. Stopping is by `signal`.
 */
import { WttError, isWttError, type WttErrorCode } from '../errors.js';
import type { FollowUp, TaskRef } from './prompt.js';

export interface ExecutorEvent {
  /** A real event from the executor (a line it printed, a tool call it made), not a clock tick. */
  text: string;
  progress?: number | undefined;
}

export interface ExecutionRequest {
  task: TaskRef;
  prompt: string;
  followUps: readonly FollowUp[];
  /** The run's key: the same for every attempt, so an executor can find its own earlier work. */
  idempotencyKey: string;
  attempt: number;
  signal: AbortSignal;
  onEvent?: ((e: ExecutorEvent) => void) | undefined;
  /** The executor started an OS process group led by `pid` (so a crashed runtime can stop it at its next start). */
  onSpawn?: ((pid: number) => void) | undefined;
}

export interface Executor {
  readonly name: string;
  run(req: ExecutionRequest): Promise<string>;
}

export class ExecutorError extends WttError {
  readonly transient: boolean;
  constructor(code: Extract<WttErrorCode, 'WTT_ERR_EXECUTOR' | 'WTT_ERR_EXECUTOR_TIMEOUT' | 'WTT_ERR_EXECUTOR_ABORTED' | 'WTT_ERR_GATEWAY_TOOLS'>, message: string, opts: { transient?: boolean; cause?: unknown } = {}) {
    super(code, { message, cause: opts.cause });
    this.transient = opts.transient ?? false;
  }
}

/** Network trouble talking to a gateway or the hub is worth another attempt; anything else is not. */
const TRANSIENT_CODES: readonly WttErrorCode[] = ['WTT_ERR_NETWORK', 'WTT_ERR_TIMEOUT', 'WTT_ERR_RATE_LIMITED'];

export function isTransient(e: unknown): boolean {
  if (e instanceof ExecutorError) return e.transient;
  return isWttError(e) && TRANSIENT_CODES.includes(e.code);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
