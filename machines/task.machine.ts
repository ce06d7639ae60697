/**
 * One actor per task this agent runs or owns (issue 10). The spawner gives it the systemId
 * `task:<id>`. Pure: execution, reporting, status PATCHes and chat notices are actors named in
 * `setup()`; time comes from the `at` of the events it receives (never a clock read) and from
 * named delays computed against absolute times kept in context, so a restored snapshot re-arms
 * its timers exactly where they were (send `RESTORED { at }` after starting a restored actor).
 *
 *   todo ─RUN→ doing ┬ run:      queued (cooldown → marking) → running (attempt ⇄ backoff) → reporting
 *                    └ deadline: check → armed | none
 *   reporting ─done→ review ─APPROVE→ done
 *                        └─REJECT→ doing (the comment as a follow-up, reruns spaced by the cooldown)
 *   failure / timeout / deadline → blocked (with its reason; never review with an error as result)
 *   CANCEL → cancelled (a running execution is stopped: leaving `attempt` aborts it)
 *
 * Top-level states are the WTT statuses; every move between them is one the shared guard
 * (src/protocol/task-transition.ts) allows (checked by test/unit/task.machine.test.ts).
 * Context is plain JSON and small: the result is held only while it is being reported.
 */
import { assign, enqueueActions, fromCallback, fromPromise, setup, type SnapshotFrom } from 'xstate';
import type { TaskStatus } from '../src/protocol/task-transition.js';
import { mergeFollowUps, taskPrompt, type FollowUp, type TaskRef } from '../src/executor/prompt.js';
import { backoffCeilingMs } from './backoff.js';

export type { FollowUp, TaskRef } from '../src/executor/prompt.js';

/** setTimeout cannot wait longer than this; longer waits are re-armed in steps. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const TASK_MACHINE_DEFAULTS = Object.freeze({
  /** Attempts per run for transient executor errors (the first one included). */
  maxAttempts: 3,
  retryBaseMs: 2_000,
  retryCapMs: 60_000,
  /** Attempts to report a finished result before the task is blocked. */
  reportAttempts: 5,
});

export interface TaskMachineInput {
  task: TaskRef;
  /** This agent (trust levels in the prompt). */
  agentId: string;
  /** The task's status on the hub when the actor is spawned; `doing` means: run it again, once. */
  status?: TaskStatus | undefined;
  /** Time of spawning (ms since the epoch). */
  at: number;
  maxRuntimeMs: number;
  staleTimeoutMs: number;
  rejectCooldownMs: number;
  /** Absolute deadline (ms since the epoch) for the work; past it the task is blocked. */
  deadlineAt?: number | null | undefined;
  maxAttempts?: number | undefined;
  retryBaseMs?: number | undefined;
  retryCapMs?: number | undefined;
  reportAttempts?: number | undefined;
}

export type BlockReason = { kind: 'failed' | 'timeout' | 'deadline' | 'report'; text: string };

export interface TaskContext {
  task: TaskRef;
  agentId: string;
  cfg: { maxRuntimeMs: number; staleTimeoutMs: number; rejectCooldownMs: number; maxAttempts: number; retryBaseMs: number; retryCapMs: number; reportAttempts: number };
  deadlineAt: number | null;
  /** The latest time this actor knows of: the `at` of the last event, or the due time of the timer that fired. */
  now: number;
  /** Run number; `task:<id>:run:<run>` is the run's idempotency key (publish and PATCH once per run). */
  run: number;
  /** Attempt within the run (1-based). */
  attempt: number;
  reportAttempt: number;
  /** Follow-ups merged into the next (or current) run. */
  followUps: FollowUp[];
  /** Follow-ups that arrived while a run was under way: merged and run once afterwards. */
  pending: FollowUp[];
  /** The hub already shows `doing` (no PATCH needed before running). */
  hubDoing: boolean;
  /** The queued run does not start before this time (reject cooldown). */
  startAt: number;
  /** When the last rerun caused by a reject started (cooldown spacing). */
  lastRejectRunAt: number | null;
  /** The queued run was caused by a reject. */
  rejectRun: boolean;
  /** The current attempt times out at this time (set when the executor really starts). */
  runEndsAt: number;
  /** Last executor event of the current attempt. */
  lastEventAt: number;
  /** The stale notice was sent for this run. */
  staleReported: boolean;
  /** The next attempt starts at this time. */
  retryAt: number;
  /** The result being reported (cleared once it is). */
  result: string | null;
  reason: BlockReason | null;
  /** The hub already knows the task is cancelled (no PATCH). */
  hubCancelled: boolean;
  lastProgress: string | null;
  /** The hub status at spawn (routes the first macrostep only). */
  spawnedAs: TaskStatus | null;
}

export type TaskEvent =
  | { type: 'RUN'; at: number }
  | { type: 'FOLLOW_UP'; at: number; from: string; text: string }
  | { type: 'REJECT'; at: number; by: string; comment: string }
  | { type: 'APPROVE'; at: number }
  | { type: 'CANCEL'; at: number; hubKnows?: boolean | undefined }
  /** Sent once after a persisted snapshot was restored and started: re-arms the timers. */
  | { type: 'RESTORED'; at: number }
  | ExecEvent;

/** What an `execute` actor sends back. */
export type ExecEvent =
  /** The executor really started (a concurrency slot was granted): the run timeout begins. */
  | { type: 'EXEC.STARTED'; at: number }
  | { type: 'EXEC.PROGRESS'; at: number; text: string; progress?: number | undefined }
  | { type: 'EXEC.DONE'; at: number; result: string }
  | { type: 'EXEC.FAILED'; at: number; reason: string; transient: boolean };

export interface ExecuteInput {
  task: TaskRef;
  prompt: string;
  followUps: FollowUp[];
  /** Same for every attempt of one run. */
  idempotencyKey: string;
  attempt: number;
}
export interface ReportInput {
  task: TaskRef;
  result: string;
  idempotencyKey: string;
}
export interface SetStatusInput {
  taskId: string;
  /** The task topic, where a blocked reason is published. */
  topicId?: string | null | undefined;
  status: TaskStatus;
  reason?: string | undefined;
  idempotencyKey: string;
}
export type NoticeKind = 'doing' | 'review' | 'blocked' | 'timeout' | 'done' | 'cancelled' | 'stale';
export interface NotifyInput {
  /** Once per key (the outbox's enqueueNotice). */
  key: string;
  taskId: string;
  kind: NoticeKind;
  text: string;
  urgent: boolean;
}

export function runKey(taskId: string, run: number): string {
  return `task:${taskId}:run:${run}`;
}

const clampTimer = (ms: number): number => Math.min(Math.max(0, ms), MAX_TIMER_MS);

const secs = (ms: number) => Math.round(ms / 1000);

/** The text of a chat notice for a status change (the notifier formats and routes it). */
export function noticeText(kind: NoticeKind, c: TaskContext): string {
  const t = `"${c.task.title}"`;
  switch (kind) {
    case 'doing':
      return `▶ Task ${t} is running (run ${c.run}).`;
    case 'review':
      return `✅ Task ${t} has a result (run ${c.run}) and waits for review.`;
    case 'blocked':
      return `⛔ Task ${t} is blocked: ${c.reason?.text ?? 'unknown reason'}`;
    case 'timeout':
      return `⌛ Task ${t} timed out: ${c.reason?.text ?? ''}`;
    case 'stale':
      return `⏳ Task ${t}: no event from the executor for ${secs(c.cfg.staleTimeoutMs)} s.`;
    case 'done':
      return `🏁 Task ${t} is done.`;
    case 'cancelled':
      return `✖ Task ${t} was cancelled.`;
  }
}

export const taskMachine = setup({
  types: {
    context: {} as TaskContext,
    events: {} as TaskEvent,
    input: {} as TaskMachineInput,
  },
  actors: {
    /** Runs one attempt; sends EXEC.* back; stopping it aborts the execution (kills the process, etc.). */
    execute: fromCallback<TaskEvent, ExecuteInput>(() => () => {}),
    /** Publishes the result into the task topic, PATCHes `output` (≤ 50,000 chars) and the status `review`, once per key. */
    report: fromPromise<void, ReportInput>(async () => {}),
    /** PATCHes the status (with the reason as a note when blocked), once per key. */
    setStatus: fromPromise<void, SetStatusInput>(async () => {}),
    /** Asks for a chat notice (the outbox: once per key) and wakes the notifier. */
    notify: fromPromise<void, NotifyInput>(async () => {}),
  },
  delays: {
    cooldown: ({ context }) => clampTimer(context.startAt - context.now),
    runTimeout: ({ context }) => clampTimer(context.runEndsAt - context.now),
    stale: ({ context }) => clampTimer(context.lastEventAt + context.cfg.staleTimeoutMs - context.now),
    retryBackoff: ({ context }) => clampTimer(context.retryAt - context.now),
    reportBackoff: ({ context }) => clampTimer(backoffCeilingMs(context.reportAttempt, context.cfg.retryBaseMs, context.cfg.retryCapMs)),
    deadline: ({ context }) => clampTimer((context.deadlineAt ?? context.now) - context.now),
  },
  guards: {
    startsInReview: ({ context }) => context.spawnedAs === 'review',
    staleAlreadyReported: ({ context }) => context.staleReported,
    hubWasDoing: ({ context }) => context.hubDoing,
    hubNeedsDoing: ({ context }) => !context.hubDoing,
    cooldownOver: ({ context }) => context.now >= context.startAt,
    hasDeadline: ({ context }) => context.deadlineAt !== null,
    deadlinePassed: ({ context }) => context.deadlineAt !== null && context.now >= context.deadlineAt,
    canRetry: ({ context, event }) => event.type === 'EXEC.FAILED' && event.transient && context.attempt < context.cfg.maxAttempts,
    emptyResult: ({ event }) => event.type === 'EXEC.DONE' && event.result.trim() === '',
    hasPending: ({ context }) => context.pending.length > 0,
    canReportAgain: ({ context }) => context.reportAttempt < context.cfg.reportAttempts,
    hubKnowsCancel: ({ context }) => context.hubCancelled,
  },
  actions: {
    /** Spawns a `notify` child (fire and forget; the outbox dedupes by key). */
    notice: enqueueActions(({ context, enqueue }, params: { kind: NoticeKind | 'blockedOrTimeout'; urgent?: boolean }) => {
      const kind: NoticeKind = params.kind === 'blockedOrTimeout' ? (context.reason?.kind === 'timeout' ? 'timeout' : 'blocked') : params.kind;
      const input: NotifyInput = { key: `${runKey(context.task.id, context.run)}:${kind}`, taskId: context.task.id, kind, text: noticeText(kind, context), urgent: params.urgent ?? false };
      enqueue.spawnChild('notify', { input });
    }),
    /** Every event carries the time it happened; the actor's idea of "now" follows it. */
    seeTime: assign({ now: ({ context, event }) => ('at' in event ? Math.max(context.now, event.at) : context.now) }),
    queueRun: assign({
      startAt: ({ context }) => context.now,
      rejectRun: false,
      followUps: ({ context }) => mergeFollowUps(context.followUps, context.pending),
      pending: [],
    }),
    queueFollowUp: assign({
      followUps: ({ context, event }) => (event.type === 'FOLLOW_UP' ? mergeFollowUps(context.followUps, [{ kind: 'human', from: event.from, text: event.text }]) : context.followUps),
    }),
    holdFollowUp: assign({
      pending: ({ context, event }) => (event.type === 'FOLLOW_UP' ? mergeFollowUps(context.pending, [{ kind: 'human', from: event.from, text: event.text }]) : context.pending),
    }),
    holdReject: assign({
      pending: ({ context, event }) => (event.type === 'REJECT' ? mergeFollowUps(context.pending, [rejectFollowUp(event)]) : context.pending),
    }),
    queueReject: assign({
      followUps: ({ context, event }) => (event.type === 'REJECT' ? mergeFollowUps(mergeFollowUps(context.followUps, context.pending), [rejectFollowUp(event)]) : context.followUps),
      pending: [],
      rejectRun: true,
      // The hub's /review moved the task to doing itself.
      hubDoing: true,
      startAt: ({ context }) => (context.lastRejectRunAt === null ? context.now : Math.max(context.now, context.lastRejectRunAt + context.cfg.rejectCooldownMs)),
    }),
    mergeReject: assign({
      followUps: ({ context, event }) => (event.type === 'REJECT' ? mergeFollowUps(context.followUps, [rejectFollowUp(event)]) : context.followUps),
    }),
    startRun: assign({
      run: ({ context }) => context.run + 1,
      attempt: 1,
      reportAttempt: 0,
      staleReported: false,
      reason: null,
      now: ({ context }) => Math.max(context.now, context.startAt),
      lastRejectRunAt: ({ context }) => (context.rejectRun ? Math.max(context.now, context.startAt) : context.lastRejectRunAt),
      rejectRun: false,
    }),
    markDoing: assign({ hubDoing: true }),
    leftDoing: assign({ hubDoing: false }),
    executorStarted: assign({
      runEndsAt: ({ context }) => context.now + context.cfg.maxRuntimeMs,
      lastEventAt: ({ context }) => context.now,
    }),
    executorEvent: assign({
      lastEventAt: ({ context }) => context.now,
      lastProgress: ({ context, event }) => (event.type === 'EXEC.PROGRESS' ? event.text.slice(0, 500) : context.lastProgress),
    }),
    staleFired: assign({ now: ({ context }) => Math.max(context.now, context.lastEventAt + context.cfg.staleTimeoutMs), staleReported: true }),
    timeoutFired: assign({
      now: ({ context }) => Math.max(context.now, context.runEndsAt),
      reason: ({ context }) => ({ kind: 'timeout' as const, text: `timed out after ${Math.round(context.cfg.maxRuntimeMs / 1000)} s without a result` }),
    }),
    scheduleRetry: assign({
      retryAt: ({ context }) => context.now + backoffCeilingMs(context.attempt, context.cfg.retryBaseMs, context.cfg.retryCapMs),
    }),
    retryFired: assign({ now: ({ context }) => Math.max(context.now, context.retryAt), attempt: ({ context }) => context.attempt + 1 }),
    failed: assign({
      reason: ({ context, event }) => {
        if (event.type === 'EXEC.FAILED') {
          const tries = context.attempt > 1 ? ` (after ${context.attempt} attempts)` : '';
          return { kind: 'failed' as const, text: `${event.reason}${tries}` };
        }
        if (event.type === 'EXEC.DONE') return { kind: 'failed' as const, text: 'the executor returned an empty result' };
        return { kind: 'failed' as const, text: errorText(event) };
      },
    }),
    keepResult: assign({ result: ({ context, event }) => (event.type === 'EXEC.DONE' ? event.result : context.result) }),
    reported: assign({ result: null, followUps: [] }),
    reportFailed: assign({ reportAttempt: ({ context }) => context.reportAttempt + 1 }),
    reportGaveUp: assign({ reason: ({ event }) => ({ kind: 'report' as const, text: `the result could not be reported: ${errorText(event)}` }) }),
    cooldownFired: assign({ now: ({ context }) => Math.max(context.now, context.startAt) }),
    deadlineStep: assign({ now: ({ context }) => (context.deadlineAt === null ? context.now : Math.min(context.deadlineAt, context.now + MAX_TIMER_MS)) }),
    deadlineReason: assign({ reason: ({ context }) => ({ kind: 'deadline' as const, text: `the deadline ${new Date(context.deadlineAt ?? 0).toISOString()} passed before a result` }) }),
    cancelled: assign({ hubCancelled: ({ event }) => event.type === 'CANCEL' && event.hubKnows === true }),
  },
}).createMachine({
  id: 'task',
  description: 'One WTT task as this agent sees it: the hub status plus the execution of each run.',
  context: ({ input }) => ({
    task: input.task,
    agentId: input.agentId,
    cfg: {
      maxRuntimeMs: input.maxRuntimeMs,
      staleTimeoutMs: input.staleTimeoutMs,
      rejectCooldownMs: input.rejectCooldownMs,
      maxAttempts: input.maxAttempts ?? TASK_MACHINE_DEFAULTS.maxAttempts,
      retryBaseMs: input.retryBaseMs ?? TASK_MACHINE_DEFAULTS.retryBaseMs,
      retryCapMs: input.retryCapMs ?? TASK_MACHINE_DEFAULTS.retryCapMs,
      reportAttempts: input.reportAttempts ?? TASK_MACHINE_DEFAULTS.reportAttempts,
    },
    deadlineAt: input.deadlineAt ?? null,
    now: input.at,
    run: 0,
    attempt: 0,
    reportAttempt: 0,
    followUps: [],
    pending: [],
    hubDoing: input.status === 'doing',
    startAt: input.at,
    lastRejectRunAt: null,
    rejectRun: false,
    runEndsAt: input.at,
    lastEventAt: input.at,
    staleReported: false,
    retryAt: input.at,
    result: null,
    reason: null,
    hubCancelled: false,
    lastProgress: null,
    spawnedAs: input.status ?? null,
  }),
  initial: 'start',
  on: {
    RESTORED: { actions: 'seeTime' },
  },
  states: {
    start: {
      description: 'Routes a freshly spawned actor by the hub status: doing → run again (once), review → await the review.',
      always: [
        { guard: 'hubWasDoing', target: 'doing' },
        { guard: 'startsInReview', target: 'review' },
        { target: 'todo' },
      ],
    },
    todo: {
      on: {
        RUN: { target: 'doing', actions: ['seeTime', 'queueRun'] },
        FOLLOW_UP: { actions: ['seeTime', 'queueFollowUp'] },
        CANCEL: { target: 'cancelled', actions: ['seeTime', 'cancelled'] },
      },
    },
    doing: {
      type: 'parallel',
      on: {
        CANCEL: { target: 'cancelled', actions: ['seeTime', 'cancelled'] },
      },
      states: {
        run: {
          initial: 'queued',
          states: {
            queued: {
              description: 'Waiting for the reject cooldown, then marking the task doing on the hub.',
              initial: 'cooling',
              on: {
                FOLLOW_UP: { actions: ['seeTime', 'queueFollowUp'] },
                REJECT: { actions: ['seeTime', 'mergeReject'] },
              },
              states: {
                cooling: {
                  always: { guard: 'cooldownOver', target: 'deciding' },
                  after: { cooldown: { target: 'deciding', actions: 'cooldownFired' } },
                  on: { RESTORED: { target: 'cooling', reenter: true, actions: 'seeTime' } },
                },
                deciding: {
                  always: [{ guard: 'hubWasDoing', target: '#task.doing.run.running', actions: 'startRun' }, { target: 'marking' }],
                },
                marking: {
                  invoke: {
                    src: 'setStatus',
                    input: ({ context }) => ({ taskId: context.task.id, topicId: context.task.topic_id, status: 'doing' as const, idempotencyKey: `${runKey(context.task.id, context.run + 1)}:doing` }),
                    onDone: { target: '#task.doing.run.running', actions: ['markDoing', 'startRun'] },
                    onError: { target: '#task.blocked', actions: assign({ reason: ({ event }) => ({ kind: 'failed' as const, text: `could not mark the task doing: ${errorText(event)}` }) }) },
                  },
                },
              },
            },
            running: {
              description: 'One run: attempts of the executor, with backoff between transient failures.',
              initial: 'attempt',
              entry: { type: 'notice', params: { kind: 'doing' } },
              on: {
                FOLLOW_UP: { actions: ['seeTime', 'holdFollowUp'] },
                REJECT: { actions: ['seeTime', 'holdReject'] },
              },
              states: {
                attempt: {
                  invoke: {
                    src: 'execute',
                    input: ({ context }) => ({
                      task: context.task,
                      prompt: taskPrompt(context.task, context.followUps, context.agentId),
                      followUps: context.followUps,
                      idempotencyKey: runKey(context.task.id, context.run),
                      attempt: context.attempt,
                    }),
                  },
                  initial: 'waitingForSlot',
                  on: {
                    'EXEC.DONE': [
                      { guard: 'emptyResult', target: '#task.blocked', actions: ['seeTime', 'failed'] },
                      { target: '#task.doing.run.reporting', actions: ['seeTime', 'keepResult'] },
                    ],
                    'EXEC.FAILED': [
                      { guard: 'canRetry', target: 'backoff', actions: ['seeTime', 'scheduleRetry'] },
                      { target: '#task.blocked', actions: ['seeTime', 'failed'] },
                    ],
                  },
                  states: {
                    waitingForSlot: {
                      on: { 'EXEC.STARTED': { target: 'started', actions: ['seeTime', 'executorStarted'] } },
                    },
                    started: {
                      description: 'The executor runs; the per-run timeout and the stale watch are armed.',
                      after: { runTimeout: { target: '#task.blocked', actions: 'timeoutFired' } },
                      initial: 'active',
                      on: {
                        'EXEC.PROGRESS': { target: '.active', reenter: true, actions: ['seeTime', 'executorEvent'] },
                        RESTORED: { target: 'started', reenter: true, actions: 'seeTime' },
                      },
                      states: {
                        active: {
                          after: {
                            stale: [
                              { guard: 'staleAlreadyReported', target: 'stalled', actions: 'staleFired' },
                              {
                                target: 'stalled',
                                actions: ['staleFired', { type: 'notice', params: { kind: 'stale', urgent: true } }],
                              },
                            ],
                          },
                        },
                        stalled: {},
                      },
                    },
                  },
                },
                backoff: {
                  after: { retryBackoff: { target: 'attempt', actions: 'retryFired' } },
                  on: { RESTORED: { target: 'backoff', reenter: true, actions: 'seeTime' } },
                },
              },
            },
            reporting: {
              description: 'Publishing the result, PATCHing output and the status review (once per run key).',
              initial: 'sending',
              on: {
                FOLLOW_UP: { actions: ['seeTime', 'holdFollowUp'] },
                REJECT: { actions: ['seeTime', 'holdReject'] },
              },
              states: {
                sending: {
                  invoke: {
                    src: 'report',
                    input: ({ context }) => ({ task: context.task, result: context.result ?? '', idempotencyKey: runKey(context.task.id, context.run) }),
                    onDone: { target: '#task.review', actions: ['reported', 'leftDoing'] },
                    onError: [
                      { guard: 'canReportAgain', target: 'waiting', actions: 'reportFailed' },
                      { target: '#task.blocked', actions: 'reportGaveUp' },
                    ],
                  },
                },
                waiting: {
                  after: { reportBackoff: 'sending' },
                  on: { RESTORED: { target: 'waiting', reenter: true, actions: 'seeTime' } },
                },
              },
            },
          },
        },
        deadline: {
          initial: 'check',
          states: {
            check: {
              always: [
                { guard: 'deadlinePassed', target: '#task.blocked', actions: 'deadlineReason' },
                { guard: 'hasDeadline', target: 'armed' },
                { target: 'none' },
              ],
            },
            armed: {
              after: { deadline: { target: 'check', actions: 'deadlineStep' } },
              on: { RESTORED: { target: 'check', actions: 'seeTime' } },
            },
            none: {},
          },
        },
      },
    },
    review: {
      description: 'The result is published; waiting for the review (or a follow-up, which reruns).',
      entry: { type: 'notice', params: { kind: 'review' } },
      always: { guard: 'hasPending', target: 'doing', actions: 'queueRun' },
      on: {
        APPROVE: { target: 'done', actions: 'seeTime' },
        REJECT: { target: 'doing', actions: ['seeTime', 'queueReject'] },
        FOLLOW_UP: { target: 'doing', actions: ['seeTime', 'holdFollowUp', 'queueRun'] },
        RUN: { target: 'doing', actions: ['seeTime', 'queueRun'] },
        CANCEL: { target: 'cancelled', actions: ['seeTime', 'cancelled'] },
      },
    },
    blocked: {
      description: 'The work stopped with a reason (failure, timeout, deadline); a new run or follow-up starts it again.',
      entry: ['leftDoing', { type: 'notice', params: { kind: 'blockedOrTimeout', urgent: true } }],
      initial: 'saving',
      states: {
        saving: {
          invoke: {
            src: 'setStatus',
            input: ({ context }) => ({
              taskId: context.task.id,
              topicId: context.task.topic_id,
              status: 'blocked' as const,
              reason: context.reason ? `${context.reason.kind}: ${context.reason.text}` : undefined,
              idempotencyKey: `${runKey(context.task.id, context.run)}:blocked`,
            }),
            onDone: 'saved',
            onError: 'saved',
          },
        },
        saved: {},
      },
      on: {
        RUN: { target: 'doing', actions: ['seeTime', 'queueRun'] },
        FOLLOW_UP: { target: 'doing', actions: ['seeTime', 'holdFollowUp', 'queueRun'] },
        CANCEL: { target: 'cancelled', actions: ['seeTime', 'cancelled'] },
      },
    },
    done: {
      description: 'Approved. A follow-up still reruns it (done → doing is allowed); otherwise the spawner stops the actor.',
      tags: ['finished'],
      entry: ['leftDoing', { type: 'notice', params: { kind: 'done' } }],
      on: {
        FOLLOW_UP: { target: 'doing', actions: ['seeTime', 'holdFollowUp', 'queueRun'] },
      },
    },
    cancelled: {
      description: 'Cancelled; any running execution was stopped on the way here.',
      entry: ['leftDoing', { type: 'notice', params: { kind: 'cancelled' } }],
      initial: 'deciding',
      states: {
        deciding: {
          always: [{ guard: 'hubKnowsCancel', target: 'saved' }, { target: 'saving' }],
        },
        saving: {
          invoke: {
            src: 'setStatus',
            input: ({ context }) => ({ taskId: context.task.id, topicId: context.task.topic_id, status: 'cancelled' as const, idempotencyKey: `${runKey(context.task.id, context.run)}:cancelled` }),
            onDone: 'saved',
            onError: 'saved',
          },
        },
        saved: { tags: ['finished'] },
      },
    },
  },
});

function rejectFollowUp(e: { by: string; comment: string }): FollowUp {
  return { kind: 'review', from: e.by, text: e.comment.trim() === '' ? 'rejected (no comment)' : e.comment };
}

function errorText(event: unknown): string {
  const err = (event as { error?: unknown }).error;
  if (err instanceof Error) return err.message;
  return err === undefined ? 'unknown error' : String(err);
}

export type TaskSnapshot = SnapshotFrom<typeof taskMachine>;

/** The WTT status a task actor is in (`start` only exists within the first macrostep). */
export function taskStatusOf(snapshot: TaskSnapshot): TaskStatus | 'start' {
  const v = snapshot.value;
  return (typeof v === 'string' ? v : Object.keys(v)[0]) as TaskStatus | 'start';
}

/** The execution phase inside `doing`: queued, running or reporting (undefined outside doing). */
export function taskPhaseOf(snapshot: TaskSnapshot): 'queued' | 'running' | 'reporting' | undefined {
  if (!snapshot.matches('doing')) return undefined;
  if (snapshot.matches({ doing: { run: 'queued' } })) return 'queued';
  if (snapshot.matches({ doing: { run: 'running' } })) return 'running';
  return 'reporting';
}
