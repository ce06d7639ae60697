/**
 * The root of the runtime's ONE actor system (`systemId: 'runtime'`). It owns and supervises the
 * long-lived children, each registered by `systemId` so they reach each other by event
 * (`system.get('notifier')`) and the inspector sees them all:
 *
 *   onboarding   identity / chat route / bind (long-lived: keeps retrying registration by itself)
 *   connection   the link (connecting / open / backoff / polling / unauthorized); started once
 *                onboarding has an identity, restarted with the new one when it changes
 *   router       committed messages and server frames → notifier wake-ups, alerts, task events
 *   notifier     drains the outbox into the chat
 *   commands     `wtt …` requests (from the control socket) → replies, by event
 *   control      the Unix control socket: each request becomes an event to `commands`
 *   tasks:<k>    100 bucket parents of the task and pipeline actors (`task:<id>`, `pipeline:<id>`;
 *                machines/task-bucket.machine.ts), spawned at start
 *
 * Supervision: when a child fails, the failure is recorded (and logged by the `logChildFailure`
 * action the system provides) and the child is started again after a full-jitter backoff that
 * grows with its consecutive failures (reset once it has run for `childStableMs`). The process
 * keeps running. Pure: every child is an actor named in `setup({ actors })`; delays are named.
 */
import { assign, enqueueActions, fromCallback, setup, type ActorRefFrom, type AnyActorLogic, type AnyActorRef, type SnapshotFrom } from 'xstate';
import { connectionMachine, connectionStatus, sameStatus, type ConnectionAuth, type ConnectionInput, type ConnectionStatus } from './connection.machine.js';
import { onboardingMachine, type OnboardingInput } from './onboarding.machine.js';
import { backoffCeilingMs } from './backoff.js';
import { TASK_BUCKETS, bucketSystemId, taskBucketMachine } from './task-bucket.machine.js';

export const RUNTIME_CHILDREN = ['onboarding', 'connection', 'router', 'notifier', 'commands', 'control'] as const;
export type RuntimeChild = (typeof RUNTIME_CHILDREN)[number];

export const RUNTIME_DEFAULTS = Object.freeze({
  /** First restart delay of a failed child; doubles per consecutive failure … */
  restartBaseMs: 500,
  /** … up to this. */
  restartCapMs: 30_000,
  /** A child that has run this long is healthy again: its failure count resets. */
  childStableMs: 60_000,
});

export interface RuntimeInput {
  onboarding: OnboardingInput;
  /** The connection child's input, without the identity (that comes from onboarding). */
  connection: Omit<ConnectionInput, 'auth'>;
  restartBaseMs?: number | undefined;
  restartCapMs?: number | undefined;
  childStableMs?: number | undefined;
  random?: (() => number) | undefined;
  /** Bucket parents of the task actors (default TASK_BUCKETS). */
  taskBuckets?: number | undefined;
}

export interface ChildFailure {
  child: RuntimeChild;
  reason: string;
  failures: number;
  restartInMs: number;
}

/** What `STATUS.GET` answers: the one published status of the runtime. */
export interface RuntimeStatus {
  agentId: string | undefined;
  connection: ConnectionStatus;
  /** Consecutive failures per child (0 = healthy). */
  failures: Record<RuntimeChild, number>;
  lastFailure: ChildFailure | undefined;
}

export interface RuntimeContext {
  input: RuntimeInput;
  identity: ConnectionAuth | undefined;
  connection: ConnectionStatus;
  failures: Record<RuntimeChild, number>;
  lastFailure: ChildFailure | undefined;
}

export type RuntimeEvent =
  | { type: 'STATUS.GET'; replyTo: AnyActorRef; requestId?: string | undefined }
  | { type: 'identity.changed' };

/** Sent to `commands` and `control` when the agent identity is known or changes (never the token). */
export interface IdentityEvent {
  type: 'IDENTITY';
  agentId: string;
}

/** Sent to `router` on every visible change of the connection status. */
export interface ConnectionStatusEvent {
  type: 'CONNECTION.STATUS';
  status: ConnectionStatus;
}

const zeroFailures = (): Record<RuntimeChild, number> =>
  Object.fromEntries(RUNTIME_CHILDREN.map((c) => [c, 0])) as Record<RuntimeChild, number>;

/** The child an `xstate.error.actor.<id>` event is about. */
const childOf = (event: { type: string }): RuntimeChild | undefined => {
  const id = event.type.startsWith('xstate.error.actor.') ? event.type.slice('xstate.error.actor.'.length) : '';
  return (RUNTIME_CHILDREN as readonly string[]).includes(id) ? (id as RuntimeChild) : undefined;
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Equal jitter (half fixed, half random): a child failing at once on every start never restarts in a hot loop. */
const restartDelay = (context: RuntimeContext, child: RuntimeChild): number => {
  const ceiling = backoffCeilingMs(
    Math.max(1, context.failures[child]),
    context.input.restartBaseMs ?? RUNTIME_DEFAULTS.restartBaseMs,
    context.input.restartCapMs ?? RUNTIME_DEFAULTS.restartCapMs,
  );
  const r = (context.input.random ?? (() => 0.5))();
  return Math.floor(ceiling / 2 + (Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0) * (ceiling / 2));
};

/** Placeholder logic for children the system must provide (a root without them does nothing). */
const providedBySystem: AnyActorLogic = fromCallback(() => () => {});

export const runtimeMachine = setup({
  types: {
    context: {} as RuntimeContext,
    events: {} as RuntimeEvent,
    input: {} as RuntimeInput,
  },
  actors: {
    onboarding: onboardingMachine,
    connection: connectionMachine,
    router: providedBySystem,
    notifier: providedBySystem,
    commands: providedBySystem,
    control: providedBySystem,
    taskBucket: taskBucketMachine,
  },
  delays: {
    restartBackoff: ({ context, event }) => {
      const child = childOf(event);
      return child ? restartDelay(context, child) : (context.input.restartBaseMs ?? RUNTIME_DEFAULTS.restartBaseMs);
    },
    childStable: ({ context }) => context.input.childStableMs ?? RUNTIME_DEFAULTS.childStableMs,
  },
  guards: {
    hasIdentity: ({ context }) => context.identity !== undefined,
  },
  actions: {
    /** The system logs it (the machine does no I/O). */
    logChildFailure: (_, _failure: ChildFailure | undefined) => {},
    recordFailure: enqueueActions(({ context, event, enqueue }) => {
      const child = childOf(event);
      if (!child) return;
      const failures = { ...context.failures, [child]: context.failures[child] + 1 };
      const next = { ...context, failures };
      const failure: ChildFailure = { child, reason: errorText((event as { error?: unknown }).error), failures: failures[child], restartInMs: restartDelay(next, child) };
      enqueue.assign({ failures, lastFailure: failure });
    }),
    resetFailures: assign(({ context }, child: RuntimeChild) => ({ failures: { ...context.failures, [child]: 0 } })),
    spawnTaskBuckets: enqueueActions(({ context, enqueue }) => {
      const n = context.input.taskBuckets ?? TASK_BUCKETS;
      for (let k = 0; k < n; k++) enqueue.spawnChild('taskBucket', { id: bucketSystemId(k), systemId: bucketSystemId(k) });
    }),
    startOnboarding: enqueueActions(({ enqueue }) => enqueue.sendTo('onboarding', { type: 'START' })),
    /** Onboarding has (or changed) the identity: remember it and tell whoever needs it. */
    noteIdentity: enqueueActions(({ context, event, enqueue, system }) => {
      const snap = (event as { snapshot?: SnapshotFrom<typeof onboardingMachine> }).snapshot;
      if (!snap || !snap.matches({ identity: 'registered' }) || !snap.context.agentId) return;
      const agentId = snap.context.agentId;
      const token = snap.context.agentToken;
      const same = context.identity?.agentId === agentId && context.identity.token?.reveal() === token?.reveal();
      if (same) return;
      enqueue.assign({ identity: { agentId, token } });
      for (const id of ['commands', 'control'] as const) {
        const ref = system.get(id) as AnyActorRef | undefined;
        if (ref) enqueue.sendTo(ref, { type: 'IDENTITY', agentId } satisfies IdentityEvent);
      }
      // The first identity starts the connection (`waiting` → `running`); a new one restarts it.
      if (context.identity) enqueue.raise({ type: 'identity.changed' });
    }),
    noteConnection: enqueueActions(({ context, event, enqueue, system }) => {
      const snap = (event as { snapshot?: SnapshotFrom<typeof connectionMachine> }).snapshot;
      if (!snap) return;
      const status = connectionStatus(snap);
      if (sameStatus(context.connection, status)) return;
      enqueue.assign({ connection: status });
      const router = system.get('router') as AnyActorRef | undefined;
      if (router) enqueue.sendTo(router, { type: 'CONNECTION.STATUS', status } satisfies ConnectionStatusEvent);
    }),
    connectionStopped: assign({ connection: { state: 'stopped' } }),
    answerStatus: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'STATUS.GET') return;
      const status: RuntimeStatus = {
        agentId: context.identity?.agentId,
        connection: context.connection,
        failures: context.failures,
        lastFailure: context.lastFailure,
      };
      enqueue.sendTo(event.replyTo, { type: 'STATUS', requestId: event.requestId, status });
    }),
  },
}).createMachine({
  id: 'runtime',
  type: 'parallel',
  context: ({ input }) => ({
    input,
    identity: undefined,
    connection: { state: 'stopped' },
    failures: zeroFailures(),
    lastFailure: undefined,
  }),
  entry: 'spawnTaskBuckets',
  on: {
    'STATUS.GET': { actions: 'answerStatus' },
  },
  states: {
    onboarding: {
      initial: 'running',
      states: {
        running: {
          description: 'Registers the agent (retrying by itself while the server is unreachable), finds the chat route, issues claim codes.',
          entry: 'startOnboarding',
          invoke: {
            src: 'onboarding',
            id: 'onboarding',
            systemId: 'onboarding',
            input: ({ context }) => context.input.onboarding,
            onSnapshot: { actions: 'noteIdentity' },
            onError: { target: 'failed', actions: ['recordFailure', { type: 'logChildFailure', params: ({ context }) => context.lastFailure }] },
          },
          after: { childStable: { actions: { type: 'resetFailures', params: 'onboarding' } } },
        },
        failed: { after: { restartBackoff: 'running' } },
      },
    },
    connection: {
      initial: 'waiting',
      states: {
        waiting: {
          description: 'No agent identity yet: onboarding is registering.',
          always: { guard: 'hasIdentity', target: 'running' },
        },
        running: {
          description: 'The link, authenticated as the current identity; a new identity restarts it.',
          on: { 'identity.changed': { target: 'running', reenter: true } },
          invoke: {
            src: 'connection',
            id: 'connection',
            systemId: 'connection',
            input: ({ context }) => ({ ...context.input.connection, auth: context.identity }),
            onSnapshot: { actions: 'noteConnection' },
            onError: { target: 'failed', actions: ['recordFailure', { type: 'logChildFailure', params: ({ context }) => context.lastFailure }, 'connectionStopped'] },
          },
          after: { childStable: { actions: { type: 'resetFailures', params: 'connection' } } },
        },
        failed: { after: { restartBackoff: 'running' } },
      },
    },
    router: {
      initial: 'running',
      states: {
        running: {
          invoke: { src: 'router', id: 'router', systemId: 'router', onError: { target: 'failed', actions: ['recordFailure', { type: 'logChildFailure', params: ({ context }) => context.lastFailure }] } },
          after: { childStable: { actions: { type: 'resetFailures', params: 'router' } } },
        },
        failed: { after: { restartBackoff: 'running' } },
      },
    },
    notifier: {
      initial: 'running',
      states: {
        running: {
          invoke: { src: 'notifier', id: 'notifier', systemId: 'notifier', onError: { target: 'failed', actions: ['recordFailure', { type: 'logChildFailure', params: ({ context }) => context.lastFailure }] } },
          after: { childStable: { actions: { type: 'resetFailures', params: 'notifier' } } },
        },
        failed: { after: { restartBackoff: 'running' } },
      },
    },
    commands: {
      initial: 'running',
      states: {
        running: {
          invoke: { src: 'commands', id: 'commands', systemId: 'commands', onError: { target: 'failed', actions: ['recordFailure', { type: 'logChildFailure', params: ({ context }) => context.lastFailure }] } },
          after: { childStable: { actions: { type: 'resetFailures', params: 'commands' } } },
        },
        failed: { after: { restartBackoff: 'running' } },
      },
    },
    control: {
      initial: 'running',
      states: {
        running: {
          invoke: { src: 'control', id: 'control', systemId: 'control', onError: { target: 'failed', actions: ['recordFailure', { type: 'logChildFailure', params: ({ context }) => context.lastFailure }] } },
          after: { childStable: { actions: { type: 'resetFailures', params: 'control' } } },
        },
        failed: { after: { restartBackoff: 'running' } },
      },
    },
  },
});

export type RuntimeActorRef = ActorRefFrom<typeof runtimeMachine>;
export type RuntimeSnapshot = SnapshotFrom<typeof runtimeMachine>;
