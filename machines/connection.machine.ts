/**
 * The link to WTT as a statechart (issue 4). Pure: the socket, catch-up and poll are actors given in
 * `setup()`, timers are named delays or delayed internal events, and randomness comes from `input`.
 *
 *   connecting (dialing → authenticating) → open (catchingUp → live)
 *        ↑  failure                 │ close / dead link / catch-up error
 *        └──── backoff ←────────────┘
 *   polling (poll ⟂ socket: waiting → dialing → authenticating) after 3 failed dials or 30 s without open;
 *   left for `open` as soon as the socket authenticates again.
 *
 * The socket lives in a spawned child `socket` (it must outlive `connecting` into `open`); every event
 * it sends carries the dial `gen`, and events of an older dial are ignored.
 */
import { and, assign, cancel, emit, enqueueActions, fromCallback, fromPromise, raise, sendTo, setup, spawnChild, stopChild, type ActorRefFrom, type AnyActorRef, type SnapshotFrom } from 'xstate';
import type { ServerFrame } from '../src/protocol/frames.js';
import { isWttError } from '../src/errors.js';
import type { Secret } from '../src/onboarding/secret.js';
import { BACKOFF_DEFAULTS, reconnectDelayMs } from './backoff.js';

/** Who the link authenticates as; the token is a `Secret`, so snapshots and inspector events never carry it. */
export interface ConnectionAuth {
  agentId: string;
  token: Secret | undefined;
}

export interface ConnectionInput {
  /** Passed on to the socket, catch-up and poll actors (the runtime system sets it from onboarding). */
  auth?: ConnectionAuth | undefined;
  heartbeatMs: number;
  livenessMs: number;
  pollIntervalMs: number;
  backoffBaseMs?: number | undefined;
  backoffCapMs?: number | undefined;
  stableMs?: number | undefined;
  pollAfterFailures?: number | undefined;
  pollAfterMs?: number | undefined;
  /** Live frames kept while catching up; beyond it they are dropped and catch-up runs again. */
  maxBuffer?: number | undefined;
  /** How long `unauthorized` waits before trying the token again (default 5 min). */
  authRecheckMs?: number | undefined;
  /** [0, 1) — full jitter. Tests pass a deterministic one. */
  random?: (() => number) | undefined;
}

export interface ConnectionSettings {
  heartbeatMs: number;
  livenessMs: number;
  pollIntervalMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  stableMs: number;
  pollAfterFailures: number;
  pollAfterMs: number;
  maxBuffer: number;
  /** How long `unauthorized` waits before trying the token again (a fixed token is noticed). */
  authRecheckMs: number;
}

export interface ConnectionContext {
  cfg: ConnectionSettings;
  auth: ConnectionAuth | undefined;
  random: () => number;
  /** Dial number; events of older dials are ignored. */
  gen: number;
  /** Reconnect number since the link was last open (1 = first redial; grows only with failed dials). */
  attempt: number;
  /** Sum of the backoff delays since the link was last open (bounds the next one: see backoff.ts). */
  downMs: number;
  /** Flap guard: links in a row that died before they were live for `stableMs`. */
  flaps: number;
  /** The current dial reached `open` (the next backoff is a link loss, not a failed dial). */
  linkOpen: boolean;
  /** The current link has been live for `stableMs`. */
  linkStable: boolean;
  /** Dials that failed since the last `open` (3 → polling). */
  failedDials: number;
  /** The delay of the current backoff. */
  delayMs: number;
  /** `pollAfterMs` passed without reaching `open`. */
  noOpenExpired: boolean;
  /** Live frames received before catch-up finished. */
  buffer: ServerFrame[];
  bufferOverflow: boolean;
  /** Why the link last went down. */
  reason: string | undefined;
}

/** Events the socket actor sends back. */
export type SocketEvent =
  | { type: 'SOCKET.OPENED'; gen: number }
  | { type: 'SOCKET.AUTHENTICATED'; gen: number }
  | { type: 'SOCKET.FRAME'; gen: number; frame: ServerFrame }
  | { type: 'SOCKET.ACTIVITY'; gen: number }
  | { type: 'SOCKET.CLOSED'; gen: number; code: number; reason: string; clean: boolean }
  | { type: 'SOCKET.FAILED'; gen: number; reason: string; code?: string | undefined };

/** Asks for the authenticated socket; answered with `SOCKET.CURRENT` to `replyTo` (by the socket actor when open). */
export interface SocketGet {
  type: 'SOCKET.GET';
  requestId: string;
  replyTo: AnyActorRef;
}

/** The answer to `SOCKET.GET`: the socket object (undefined when not authenticated). */
export interface SocketCurrent<S = unknown> {
  type: 'SOCKET.CURRENT';
  requestId: string;
  socket: S | undefined;
}

/** Commands the machine sends to the socket actor. */
export type SocketCommand = { type: 'PING' } | SocketGet;

/** What the socket, catch-up and poll actors get. */
export interface DialInput {
  gen: number;
  auth: ConnectionAuth | undefined;
}

export type ConnectionEvent =
  | SocketEvent
  | { type: 'HEARTBEAT' }
  | { type: 'LIVENESS_EXPIRED' }
  | { type: 'NO_OPEN_DEADLINE' }
  | SocketGet
  /** Try again now (from `unauthorized`, e.g. after the token was fixed). */
  | { type: 'RETRY' }
  | { type: 'RESYNC' }
  | { type: 'STOP' };

export type ConnectionEmitted =
  | { type: 'frame'; frame: ServerFrame }
  | { type: 'catchUp.done'; result: CatchUpResult }
  | { type: 'poll.done'; result: PollOnceResult }
  | { type: 'poll.failed'; reason: string }
  | { type: 'buffer.overflow'; limit: number }
  | { type: 'auth.rejected'; reason: string };

export interface CatchUpResult {
  delivered: number;
}
export interface PollOnceResult {
  delivered: number;
}

const defaultRandom = () => 0.5;

export function connectionSettings(input: ConnectionInput): ConnectionSettings {
  return {
    heartbeatMs: input.heartbeatMs,
    livenessMs: input.livenessMs,
    pollIntervalMs: input.pollIntervalMs,
    backoffBaseMs: input.backoffBaseMs ?? BACKOFF_DEFAULTS.baseMs,
    backoffCapMs: input.backoffCapMs ?? BACKOFF_DEFAULTS.capMs,
    stableMs: input.stableMs ?? BACKOFF_DEFAULTS.stableMs,
    pollAfterFailures: input.pollAfterFailures ?? BACKOFF_DEFAULTS.pollAfterFailures,
    pollAfterMs: input.pollAfterMs ?? BACKOFF_DEFAULTS.pollAfterMs,
    maxBuffer: input.maxBuffer ?? 10_000,
    authRecheckMs: input.authRecheckMs ?? 5 * 60_000,
  };
}

const reasonOf = (ev: { type: string }): string => {
  if ('error' in ev) return `catch-up failed: ${errorText((ev as { error: unknown }).error)}`;
  const e = ev as ConnectionEvent;
  switch (e.type) {
    case 'SOCKET.CLOSED':
      return `closed ${e.code}${e.reason ? ` ${e.reason}` : ''}${e.clean ? '' : ' (unclean)'}`;
    case 'SOCKET.FAILED':
      return e.reason;
    case 'LIVENESS_EXPIRED':
      return 'no frame within the liveness window';
    default:
      return e.type;
  }
};

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A refused token (HTTP 401/403, or the socket's auth answer): a configuration error, not a network one. */
const isAuthRejected = (ev: { type: string }): boolean => {
  if ('error' in ev) return isWttError((ev as { error: unknown }).error, 'WTT_ERR_AUTH_REJECTED');
  return ev.type === 'SOCKET.FAILED' && (ev as { code?: string }).code === 'WTT_ERR_AUTH_REJECTED';
};

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    emitted: {} as ConnectionEmitted,
  },
  actors: {
    /** Owns one WttSocket: sends SOCKET.* back, sends `ping` on PING, terminates the socket when stopped. */
    dial: fromCallback<SocketCommand, DialInput, SocketEvent>(() => () => {}),
    /** History after the persisted cursors for every subscribed topic, plus poll; hands messages on. */
    catchUp: fromPromise<CatchUpResult, DialInput>(async () => ({ delivered: 0 })),
    /** One REST poll round (polling fallback); hands messages on. */
    pollOnce: fromPromise<PollOnceResult, DialInput>(async () => ({ delivered: 0 })),
  },
  delays: {
    reconnectBackoff: ({ context }) => context.delayMs,
    pollInterval: ({ context }) => context.cfg.pollIntervalMs,
    heartbeatInterval: ({ context }) => context.cfg.heartbeatMs,
    livenessTimeout: ({ context }) => context.cfg.livenessMs,
    stableUptime: ({ context }) => context.cfg.stableMs,
    pollAfter: ({ context }) => context.cfg.pollAfterMs,
    authRecheck: ({ context }) => context.cfg.authRecheckMs,
  },
  guards: {
    isCurrent: ({ context, event }) => 'gen' in event && event.gen === context.gen,
    shouldPoll: ({ context }) => context.failedDials + 1 >= context.cfg.pollAfterFailures || context.noOpenExpired,
    bufferOverflowed: ({ context }) => context.bufferOverflow,
    authRejected: ({ event }) => isAuthRejected(event),
  },
  actions: {
    stopSocket: stopChild('socket'),
    nextGen: assign({ gen: ({ context }) => context.gen + 1, buffer: [], bufferOverflow: false }),
    spawnSocket: spawnChild('dial', { id: 'socket', input: ({ context }) => ({ gen: context.gen, auth: context.auth }) }),
    sendPing: sendTo('socket', { type: 'PING' }),
    /** Open: the socket actor answers with its socket. */
    forwardSocketGet: sendTo('socket', ({ event }) => event as SocketGet),
    /** Not open: there is no socket to give. */
    answerNoSocket: enqueueActions(({ event }) => {
      const e = event as SocketGet;
      e.replyTo.send({ type: 'SOCKET.CURRENT', requestId: e.requestId, socket: undefined } satisfies SocketCurrent);
    }),
    noteAuthRejected: assign({ reason: ({ event }) => `the server refused this agent's token: ${reasonOf(event)}` }),
    emitAuthRejected: emit(({ context }) => ({ type: 'auth.rejected' as const, reason: context.reason ?? 'token refused' })),
    scheduleHeartbeat: raise({ type: 'HEARTBEAT' }, { id: 'heartbeat', delay: 'heartbeatInterval' }),
    cancelHeartbeat: cancel('heartbeat'),
    armLiveness: raise({ type: 'LIVENESS_EXPIRED' }, { id: 'liveness', delay: 'livenessTimeout' }),
    cancelLiveness: cancel('liveness'),
    armNoOpen: raise({ type: 'NO_OPEN_DEADLINE' }, { id: 'noOpen', delay: 'pollAfter' }),
    cancelNoOpen: cancel('noOpen'),
    markNoOpenExpired: assign({ noOpenExpired: true }),
    countFailedDial: assign({ failedDials: ({ context }) => context.failedDials + 1 }),
    markOpened: assign({ failedDials: 0, noOpenExpired: false, reason: undefined, attempt: 0, downMs: 0, linkOpen: true, linkStable: false }),
    planBackoff: assign(({ context, event }) => {
      // A link that was open went down: the first redial, and a flap if it was not yet stable.
      // Otherwise a dial failed: one more attempt, the delay grows.
      const lost = context.linkOpen;
      const attempt = lost ? 1 : context.attempt + 1;
      const downMs = lost ? 0 : context.downMs;
      const flaps = lost && !context.linkStable ? context.flaps + 1 : context.flaps;
      const delayMs = reconnectDelayMs({ attempt, downMs, flaps }, { baseMs: context.cfg.backoffBaseMs, capMs: context.cfg.backoffCapMs }, context.random);
      return { attempt, downMs: downMs + delayMs, flaps, delayMs, linkOpen: false, linkStable: false, reason: reasonOf(event) };
    }),
    resetAttempt: assign({ flaps: 0, linkStable: true }),
    bufferFrame: assign(({ context, event }) => {
      if (event.type !== 'SOCKET.FRAME') return {};
      if (context.buffer.length >= context.cfg.maxBuffer) return { bufferOverflow: true };
      return { buffer: [...context.buffer, event.frame] };
    }),
    clearBuffer: assign({ buffer: [], bufferOverflow: false }),
    flushBuffer: enqueueActions(({ context, enqueue }) => {
      for (const frame of context.buffer) enqueue.emit({ type: 'frame', frame });
    }),
    emitFrame: emit(({ event }) => ({ type: 'frame' as const, frame: (event as Extract<ConnectionEvent, { type: 'SOCKET.FRAME' }>).frame })),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    cfg: connectionSettings(input),
    auth: input.auth,
    random: input.random ?? defaultRandom,
    gen: 0,
    attempt: 0,
    downMs: 0,
    flaps: 0,
    linkOpen: false,
    linkStable: false,
    failedDials: 0,
    delayMs: 0,
    noOpenExpired: false,
    buffer: [],
    bufferOverflow: false,
    reason: undefined,
  }),
  entry: 'armNoOpen',
  initial: 'connecting',
  on: {
    STOP: { target: '.stopped' },
    'SOCKET.GET': { actions: 'answerNoSocket' },
  },
  states: {
    connecting: {
      description: 'A socket is being dialled and authenticated.',
      entry: ['stopSocket', 'nextGen', 'spawnSocket'],
      initial: 'dialing',
      on: {
        NO_OPEN_DEADLINE: { actions: 'markNoOpenExpired' },
        'SOCKET.FRAME': { guard: 'isCurrent', actions: 'bufferFrame' },
        'SOCKET.CLOSED': [
          { guard: and(['isCurrent', 'shouldPoll']), target: 'polling', actions: ['stopSocket', 'countFailedDial', 'planBackoff'] },
          { guard: 'isCurrent', target: 'backoff', actions: ['stopSocket', 'countFailedDial', 'planBackoff'] },
        ],
        'SOCKET.FAILED': [
          { guard: and(['isCurrent', 'authRejected']), target: 'unauthorized', actions: ['stopSocket', 'noteAuthRejected'] },
          { guard: and(['isCurrent', 'shouldPoll']), target: 'polling', actions: ['stopSocket', 'countFailedDial', 'planBackoff'] },
          { guard: 'isCurrent', target: 'backoff', actions: ['stopSocket', 'countFailedDial', 'planBackoff'] },
        ],
      },
      states: {
        dialing: {
          description: 'TCP + WebSocket handshake.',
          on: { 'SOCKET.OPENED': { guard: 'isCurrent', target: 'authenticating' } },
        },
        authenticating: {
          description: 'The auth frame is sent; waiting for the server to accept it.',
          on: { 'SOCKET.AUTHENTICATED': { guard: 'isCurrent', target: '#connection.open' } },
        },
      },
    },
    open: {
      description: 'Authenticated socket: heartbeat every heartbeatMs; dead when nothing arrives for livenessMs.',
      entry: ['cancelNoOpen', 'markOpened', 'scheduleHeartbeat', 'armLiveness'],
      exit: ['cancelHeartbeat', 'cancelLiveness', 'armNoOpen'],
      initial: 'catchingUp',
      on: {
        HEARTBEAT: { actions: ['sendPing', 'scheduleHeartbeat'] },
        'SOCKET.GET': { actions: 'forwardSocketGet' },
        'SOCKET.ACTIVITY': { guard: 'isCurrent', actions: ['cancelLiveness', 'armLiveness'] },
        // Stopping the socket actor terminates the socket: no graceful close with a dead peer.
        LIVENESS_EXPIRED: { target: 'backoff', actions: ['stopSocket', 'planBackoff'] },
        'SOCKET.CLOSED': { guard: 'isCurrent', target: 'backoff', actions: ['stopSocket', 'planBackoff'] },
        'SOCKET.FAILED': { guard: 'isCurrent', target: 'backoff', actions: ['stopSocket', 'planBackoff'] },
      },
      states: {
        catchingUp: {
          description: 'Fetch what was missed since the persisted cursors; live frames are buffered meanwhile.',
          invoke: {
            src: 'catchUp',
            input: ({ context }) => ({ gen: context.gen, auth: context.auth }),
            onDone: [
              {
                guard: 'bufferOverflowed',
                target: 'catchingUp',
                reenter: true,
                actions: [
                  emit(({ event }) => ({ type: 'catchUp.done' as const, result: event.output })),
                  emit(({ context }) => ({ type: 'buffer.overflow' as const, limit: context.cfg.maxBuffer })),
                  'clearBuffer',
                ],
              },
              {
                target: 'live',
                actions: [
                  emit(({ event }) => ({ type: 'catchUp.done' as const, result: event.output })),
                  // Buffered live frames go out after the history, in arrival order; intake dedupes.
                  'flushBuffer',
                  'clearBuffer',
                ],
              },
            ],
            onError: [
              { guard: 'authRejected', target: '#connection.unauthorized', actions: ['stopSocket', 'noteAuthRejected'] },
              { target: '#connection.backoff', actions: ['stopSocket', 'planBackoff'] },
            ],
          },
          on: {
            'SOCKET.FRAME': { guard: 'isCurrent', actions: ['cancelLiveness', 'armLiveness', 'bufferFrame'] },
          },
        },
        live: {
          description: 'Frames are handed on as they arrive; live for stableMs makes the link stable (flap count reset).',
          after: { stableUptime: { actions: 'resetAttempt' } },
          on: {
            // The intake could not record a message: catch up again from the persisted cursors.
            RESYNC: { target: 'catchingUp' },
            'SOCKET.FRAME': { guard: 'isCurrent', actions: ['cancelLiveness', 'armLiveness', 'emitFrame'] },
          },
        },
      },
    },
    backoff: {
      description: 'Waiting a full-jitter delay before the next dial (also after a clean close: no hot loop).',
      after: { reconnectBackoff: { target: 'connecting' } },
      on: {
        NO_OPEN_DEADLINE: { target: 'polling', actions: 'markNoOpenExpired' },
      },
    },
    polling: {
      description: 'Fallback: REST poll every pollIntervalMs while the socket keeps being retried.',
      type: 'parallel',
      states: {
        poll: {
          initial: 'fetching',
          states: {
            fetching: {
              invoke: {
                src: 'pollOnce',
                input: ({ context }) => ({ gen: context.gen, auth: context.auth }),
                onDone: { target: 'waiting', actions: emit(({ event }) => ({ type: 'poll.done' as const, result: event.output })) },
                onError: [
                  // A revoked token is a configuration error to tell the user, not a warning repeated forever.
                  { guard: 'authRejected', target: '#connection.unauthorized', actions: ['stopSocket', 'noteAuthRejected'] },
                  { target: 'waiting', actions: emit(({ event }) => ({ type: 'poll.failed' as const, reason: errorText(event.error) })) },
                ],
              },
            },
            waiting: { after: { pollInterval: { target: 'fetching' } } },
          },
        },
        socket: {
          initial: 'waiting',
          states: {
            waiting: { after: { reconnectBackoff: { target: 'dialing' } } },
            dialing: {
              entry: ['stopSocket', 'nextGen', 'spawnSocket'],
              on: { 'SOCKET.OPENED': { guard: 'isCurrent', target: 'authenticating' } },
            },
            authenticating: {
              on: { 'SOCKET.AUTHENTICATED': { guard: 'isCurrent', target: '#connection.open' } },
            },
          },
          on: {
            'SOCKET.CLOSED': { guard: 'isCurrent', target: '.waiting', actions: ['stopSocket', 'countFailedDial', 'planBackoff'] },
            'SOCKET.FAILED': [
              { guard: and(['isCurrent', 'authRejected']), target: '#connection.unauthorized', actions: ['stopSocket', 'noteAuthRejected'] },
              { guard: 'isCurrent', target: '.waiting', actions: ['stopSocket', 'countFailedDial', 'planBackoff'] },
            ],
            'SOCKET.FRAME': { guard: 'isCurrent', actions: 'bufferFrame' },
          },
        },
      },
    },
    unauthorized: {
      description:
        'The server refused the agent token (401/403 or a refused auth frame): a configuration error. Nothing is retried in a loop; the token is tried again after authRecheckMs or on RETRY.',
      entry: ['cancelNoOpen', 'emitAuthRejected'],
      after: { authRecheck: { target: 'connecting' } },
      on: { RETRY: { target: 'connecting' } },
    },
    stopped: {
      description: 'Stopped on request; the socket is closed.',
      type: 'final',
      entry: ['cancelHeartbeat', 'cancelLiveness', 'cancelNoOpen', 'stopSocket'],
    },
  },
});

export type ConnectionActorRef = ActorRefFrom<typeof connectionMachine>;
export type ConnectionSnapshot = SnapshotFrom<typeof connectionMachine>;

/** What `tail` and the daemon print: one value per visible state. */
export type ConnectionStatus =
  | { state: 'connecting'; attempt: number }
  | { state: 'authenticating'; attempt: number }
  | { state: 'catchingUp' }
  | { state: 'live' }
  | { state: 'backoff'; attempt: number; delayMs: number; flaps: number; reason?: string | undefined }
  | { state: 'polling'; attempt: number; delayMs: number; flaps: number; reason?: string | undefined }
  | { state: 'unauthorized'; reason: string }
  | { state: 'stopped' };

/** The status of a snapshot (pure). */
export function connectionStatus(s: ConnectionSnapshot): ConnectionStatus {
  const c = s.context;
  if (s.status !== 'active' || s.matches('stopped')) return { state: 'stopped' };
  if (s.matches({ connecting: 'authenticating' })) return { state: 'authenticating', attempt: c.attempt };
  if (s.matches('connecting')) return { state: 'connecting', attempt: c.attempt };
  if (s.matches({ open: 'catchingUp' })) return { state: 'catchingUp' };
  if (s.matches('open')) return { state: 'live' };
  if (s.matches('backoff')) return { state: 'backoff', attempt: c.attempt, delayMs: c.delayMs, flaps: c.flaps, reason: c.reason };
  if (s.matches('unauthorized')) return { state: 'unauthorized', reason: c.reason ?? 'token refused' };
  return { state: 'polling', attempt: c.attempt, delayMs: c.delayMs, flaps: c.flaps, reason: c.reason };
}

/** Same visible state (used to publish changes only). */
export function sameStatus(a: ConnectionStatus | undefined, b: ConnectionStatus): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
