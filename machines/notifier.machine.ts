/**
 * One actor per chat route (`notifier:<route key>`): drains that route's outbox rows oldest first.
 *
 *   idle ──WAKE──▶ sending ──sent──▶ sending …            (paced: at most ratePerMin sends per 60 s)
 *                     │ retry (transient: a 500, a 429, a timeout)
 *                     ▼
 *                  retrying ──after backoff (equal jitter, or the far side's retry_after)──▶ sending
 *                     │ circuitAfter failures in a row
 *                     ▼
 *                  circuitOpen ──after circuitMs──▶ halfOpen (one probe) ──sent──▶ sending
 *                                                        └─fails──▶ circuitOpen (circuitMs doubled)
 *   misconfigured: a 401 or a bad route; not retried until WAKE after the user fixes it (or recheckMs).
 *
 * A row is failed for good (and announced, by the deliver actor) after `maxAttempts` or at once on
 * a permanent error: never retried forever.
 *
 * One `deliverNext` may send several rows, one after another and each recorded before the next
 * (at most `maxSends`: the tokens left, or SEND_BATCH_MAX), so a busy route pays the actor's
 * overhead once per batch, not once per message. Its outcome says how many went out (`count`, or
 * `sent` before a failure) and whether the route is now empty (`drained`: go idle without asking
 * again). The machine is pure: the store and the adapter sit in
 * the `deliverNext` actor; time comes from XState delays; randomness from `input.random`.
 */
import { assign, enqueueActions, fromPromise, raise, setup } from 'xstate';

export type DeliverOutcome =
  /**
   * `count` rows went out (default 1). `drained`: nothing is pending now (`wakeInMs` when a held
   * row becomes due), so the route goes idle without another delivery.
   */
  | { kind: 'sent'; count?: number | undefined; drained?: boolean | undefined; wakeInMs?: number | undefined; wake?: readonly string[] }
  /** Nothing to send now; `wakeInMs` when a held row (digest) becomes due. */
  | { kind: 'empty'; wakeInMs?: number | undefined; wake?: readonly string[] }
  /** `sent` (in the three failures): rows that went out in this delivery before the one that failed. */
  | { kind: 'retry'; error: string; retryAfterMs?: number | undefined; wake?: readonly string[]; sent?: number | undefined }
  /** The head row failed for good (permanent, or out of attempts); the next row is next. */
  | { kind: 'failed'; error: string; wake?: readonly string[]; sent?: number | undefined }
  | { kind: 'misconfigured'; error: string; wake?: readonly string[]; sent?: number | undefined };

export interface DeliverInput {
  route: string;
  /** Attempts already made on the head row in this run (0 for a fresh row). */
  attempt: number;
  maxAttempts: number;
  probe: boolean;
  /** The most rows this delivery may send (the pacing tokens left; 1 for a probe). */
  maxSends: number;
}

/** The most rows one delivery sends before the machine looks again (DRAIN, status reports). */
export const SEND_BATCH_MAX = 64;

export interface NotifierTuning {
  retryBaseMs?: number | undefined;
  retryCapMs?: number | undefined;
  maxAttempts?: number | undefined;
  circuitAfter?: number | undefined;
  circuitBaseMs?: number | undefined;
  circuitCapMs?: number | undefined;
  ratePerMin?: number | undefined;
  recheckMs?: number | undefined;
}

export const NOTIFIER_DEFAULTS = Object.freeze({
  retryBaseMs: 1_000,
  retryCapMs: 60_000,
  maxAttempts: 8,
  circuitAfter: 5,
  circuitBaseMs: 30_000,
  circuitCapMs: 300_000,
  ratePerMin: 20,
  recheckMs: 300_000,
});

export interface NotifierInput extends NotifierTuning {
  route: string;
  random?: (() => number) | undefined;
}

export type RouteState = 'idle' | 'sending' | 'retrying' | 'circuitOpen' | 'halfOpen' | 'paced' | 'misconfigured' | 'drained';

export interface RouteStatus {
  route: string;
  state: RouteState;
  lastError: string | null;
  failuresInRow: number;
}

/** Told to the parent (the notifier hub) with the `tellHub` action. */
export type HubReport = { type: 'ROUTE.WAKE_OTHERS'; routeKeys: readonly string[] } | { type: 'ROUTE.STATUS'; status: RouteStatus };

/** DRAIN (at shutdown): finish the delivery in flight, then send nothing more. */
export type NotifierEvent = { type: 'WAKE' } | { type: 'TOKEN' } | { type: 'DRAIN' };

type Cfg = Required<NotifierTuning>;

/** Rows an outcome says went out. */
function sentIn(out: DeliverOutcome | undefined): number {
  if (!out) return 0;
  if (out.kind === 'sent') return Math.max(1, out.count ?? 1);
  return out.kind === 'empty' ? 0 : Math.max(0, out.sent ?? 0);
}

function equalJitter(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 31));
  const r = random();
  const u = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.round(ceiling / 2 + u * (ceiling / 2));
}

export const notifierMachine = setup({
  types: {
    input: {} as NotifierInput,
    context: {} as {
      route: string;
      cfg: Cfg;
      random: () => number;
      attempt: number;
      failuresInRow: number;
      circuitMs: number;
      tokens: number;
      retryAfterMs: number | undefined;
      wakeInMs: number | undefined;
      lastError: string | null;
      /** A DRAIN came while a delivery was in flight: stop once it is done. */
      draining: boolean;
    },
    events: {} as NotifierEvent,
  },
  actors: {
    deliverNext: fromPromise<DeliverOutcome, DeliverInput>(async () => ({ kind: 'empty' })),
  },
  actions: {
    /** Provided by the hub (sendParent); a no-op for a machine that runs alone. */
    tellHub: (_, _report: HubReport) => {},
    noteError: assign({ lastError: ({ event }) => errorOf(event) }),
    /**
     * Each send spends a token, given back 60 s later (a sliding minute). ratePerMin 0: no pacing,
     * no timers. Rows sent before a failure in the same delivery also reset the row's attempts.
     */
    spendToken: enqueueActions(({ context, event, enqueue }) => {
      const out = (event as { output?: DeliverOutcome }).output;
      const n = sentIn(out);
      if (n > 0 && out?.kind !== 'sent') enqueue.assign({ attempt: 0, failuresInRow: 0 });
      if (context.cfg.ratePerMin <= 0 || n === 0) return;
      enqueue.assign({ tokens: context.tokens - n });
      for (let i = 0; i < n; i++) enqueue.raise({ type: 'TOKEN' }, { delay: 60_000 });
    }),
    noteRetry: assign({
      attempt: ({ context }) => context.attempt + 1,
      failuresInRow: ({ context }) => context.failuresInRow + 1,
      lastError: ({ event }) => errorOf(event),
      retryAfterMs: ({ event }) => {
        const out = (event as { output?: DeliverOutcome }).output;
        return out?.kind === 'retry' ? out.retryAfterMs : undefined;
      },
    }),
    noteCrash: assign({
      attempt: ({ context }) => context.attempt + 1,
      failuresInRow: ({ context }) => context.failuresInRow + 1,
      retryAfterMs: undefined,
      lastError: ({ event }) => {
        const e = (event as unknown as { error?: unknown }).error;
        return `delivery crashed: ${e instanceof Error ? e.message : String(e)}`;
      },
    }),
  },
  delays: {
    retryDelay: ({ context }) => context.retryAfterMs ?? equalJitter(context.attempt, context.cfg.retryBaseMs, context.cfg.retryCapMs, context.random),
    circuitDelay: ({ context }) => context.circuitMs,
    wakeIn: ({ context }) => context.wakeInMs ?? 0,
    recheck: ({ context }) => context.cfg.recheckMs,
  },
  guards: {
    outOfTokens: ({ context }) => context.cfg.ratePerMin > 0 && context.tokens <= 0,
    // A delivery that sent rows before failing starts a new run of failures.
    circuitTrips: ({ context, event }) => (sentIn((event as { output?: DeliverOutcome }).output) > 0 ? 0 : context.failuresInRow) + 1 >= context.cfg.circuitAfter,
    hasWakeIn: ({ context }) => context.wakeInMs !== undefined,
    draining: ({ context }) => context.draining,
  },
}).createMachine({
  id: 'notifier',
  context: ({ input }) => {
    const cfg: Cfg = {
      retryBaseMs: input.retryBaseMs ?? NOTIFIER_DEFAULTS.retryBaseMs,
      retryCapMs: input.retryCapMs ?? NOTIFIER_DEFAULTS.retryCapMs,
      maxAttempts: input.maxAttempts ?? NOTIFIER_DEFAULTS.maxAttempts,
      circuitAfter: input.circuitAfter ?? NOTIFIER_DEFAULTS.circuitAfter,
      circuitBaseMs: input.circuitBaseMs ?? NOTIFIER_DEFAULTS.circuitBaseMs,
      circuitCapMs: input.circuitCapMs ?? NOTIFIER_DEFAULTS.circuitCapMs,
      ratePerMin: input.ratePerMin ?? NOTIFIER_DEFAULTS.ratePerMin,
      recheckMs: input.recheckMs ?? NOTIFIER_DEFAULTS.recheckMs,
    };
    return {
      route: input.route,
      cfg,
      random: input.random ?? Math.random,
      attempt: 0,
      failuresInRow: 0,
      circuitMs: cfg.circuitBaseMs,
      tokens: cfg.ratePerMin,
      retryAfterMs: undefined,
      wakeInMs: undefined,
      lastError: null,
      draining: false,
    };
  },
  initial: 'sending',
  on: {
    DRAIN: '.drained',
    // A send spent a token 60 s ago: give it back (a sliding one-minute window per chat).
    TOKEN: { actions: assign({ tokens: ({ context }) => Math.min(context.cfg.ratePerMin, context.tokens + 1) }) },
  },
  states: {
    idle: {
      description: 'Nothing due. A WAKE (new rows) or the next held row coming due starts a drain.',
      entry: { type: 'tellHub', params: ({ context }) => report(context, 'idle') },
      on: { WAKE: 'sending' },
      always: { guard: 'hasWakeIn', target: 'waitingForHeld' },
    },
    waitingForHeld: {
      on: { WAKE: { target: 'sending', actions: assign({ wakeInMs: undefined }) } },
      after: { wakeIn: { target: 'sending', actions: assign({ wakeInMs: undefined }) } },
    },
    sending: {
      on: { DRAIN: { actions: assign({ draining: true }) } },
      invoke: {
        src: 'deliverNext',
        input: ({ context }) => ({
          route: context.route,
          attempt: context.attempt,
          maxAttempts: context.cfg.maxAttempts,
          probe: false,
          maxSends: context.cfg.ratePerMin > 0 ? Math.max(1, Math.min(context.tokens, SEND_BATCH_MAX)) : SEND_BATCH_MAX,
        }),
        onDone: [
          // The outcome is already in the store (the delivery actor writes it): just stop.
          { guard: 'draining', target: 'drained' },
          {
            // Sent, and nothing more is pending: idle at once (paced first if out of tokens).
            guard: ({ event }) => event.output.kind === 'sent' && event.output.drained === true,
            target: 'afterDrain',
            actions: [
              { type: 'tellHub', params: ({ event }) => wakeReport(event.output) },
              assign({ attempt: 0, failuresInRow: 0, retryAfterMs: undefined, lastError: null, wakeInMs: ({ event }) => (event.output.kind === 'sent' ? event.output.wakeInMs : undefined) }),
              'spendToken',
            ],
          },
          {
            guard: ({ event }) => event.output.kind === 'sent',
            target: 'afterSend',
            actions: [
              { type: 'tellHub', params: ({ event }) => wakeReport(event.output) },
              assign({ attempt: 0, failuresInRow: 0, retryAfterMs: undefined, lastError: null }),
              'spendToken',
            ],
          },
          {
            guard: ({ event }) => event.output.kind === 'empty',
            target: 'idle',
            actions: [{ type: 'tellHub', params: ({ event }) => wakeReport(event.output) }, assign({ wakeInMs: ({ event }) => (event.output.kind === 'empty' ? event.output.wakeInMs : undefined) })],
          },
          {
            guard: ({ event }) => event.output.kind === 'failed',
            target: 'sending',
            reenter: true,
            actions: [{ type: 'tellHub', params: ({ event }) => wakeReport(event.output) }, 'spendToken', 'noteError', assign({ attempt: 0, retryAfterMs: undefined })],
          },
          {
            guard: ({ event }) => event.output.kind === 'misconfigured',
            target: 'misconfigured',
            actions: [{ type: 'tellHub', params: ({ event }) => wakeReport(event.output) }, 'spendToken', 'noteError'],
          },
          { guard: 'circuitTrips', target: 'circuitOpen', actions: [{ type: 'tellHub', params: ({ event }) => wakeReport(event.output) }, 'spendToken', 'noteRetry'] },
          { target: 'retrying', actions: [{ type: 'tellHub', params: ({ event }) => wakeReport(event.output) }, 'spendToken', 'noteRetry'] },
        ],
        onError: [
          { guard: 'draining', target: 'drained' },
          // The actor itself broke (a bug, a closed store): back off like a transient failure.
          { guard: 'circuitTrips', target: 'circuitOpen', actions: 'noteCrash' },
          { target: 'retrying', actions: 'noteCrash' },
        ],
      },
    },
    afterSend: {
      always: [{ guard: 'outOfTokens', target: 'paced' }, { target: 'sending' }],
    },
    afterDrain: {
      // Out of tokens: paced (a WAKE would not be allowed to send anyway); else idle.
      always: [{ guard: 'outOfTokens', target: 'paced' }, { target: 'idle' }],
    },
    paced: {
      description: 'ratePerMin sends went out in the last minute: wait for a token.',
      entry: { type: 'tellHub', params: ({ context }) => report(context, 'paced') },
      on: { TOKEN: { target: 'sending', actions: assign({ tokens: ({ context }) => Math.min(context.cfg.ratePerMin, context.tokens + 1) }) } },
    },
    retrying: {
      entry: { type: 'tellHub', params: ({ context }) => report(context, 'retrying') },
      after: { retryDelay: 'sending' },
    },
    circuitOpen: {
      description: 'Too many failures in a row: stop sending for circuitMs, then probe once.',
      entry: { type: 'tellHub', params: ({ context }) => report(context, 'circuitOpen') },
      after: { circuitDelay: 'halfOpen' },
    },
    halfOpen: {
      on: { DRAIN: { actions: assign({ draining: true }) } },
      invoke: {
        src: 'deliverNext',
        input: ({ context }) => ({ route: context.route, attempt: context.attempt, maxAttempts: context.cfg.maxAttempts, probe: true, maxSends: 1 }),
        onDone: [
          { guard: 'draining', target: 'drained' },
          {
            guard: ({ event }) => event.output.kind === 'sent' || event.output.kind === 'empty',
            target: 'sending',
            actions: [{ type: 'tellHub', params: ({ event }) => wakeReport(event.output) }, assign({ attempt: 0, failuresInRow: 0, circuitMs: ({ context }) => context.cfg.circuitBaseMs, retryAfterMs: undefined, lastError: null })],
          },
          {
            guard: ({ event }) => event.output.kind === 'misconfigured',
            target: 'misconfigured',
            actions: [{ type: 'tellHub', params: ({ event }) => wakeReport(event.output) }, 'noteError'],
          },
          {
            target: 'circuitOpen',
            actions: [
              { type: 'tellHub', params: ({ event }) => wakeReport(event.output) },
              'noteRetry',
              assign({
                attempt: ({ context, event }) => (event.output.kind === 'failed' ? 0 : context.attempt),
                circuitMs: ({ context }) => Math.min(context.cfg.circuitCapMs, context.circuitMs * 2),
              }),
            ],
          },
        ],
        onError: [
          { guard: 'draining', target: 'drained' },
          { target: 'circuitOpen', actions: ['noteCrash', assign({ circuitMs: ({ context }) => Math.min(context.cfg.circuitCapMs, context.circuitMs * 2) })] },
        ],
      },
    },
    drained: {
      description: 'Shutting down: the delivery in flight (if any) finished; nothing more is sent. What is left stays in the outbox for the next run.',
      entry: { type: 'tellHub', params: ({ context }) => report(context, 'drained') },
    },
    misconfigured: {
      description: 'The route cannot work as configured (a gateway 401, a bad webhook URL): no retry loop.',
      entry: { type: 'tellHub', params: ({ context }) => report(context, 'misconfigured') },
      on: { WAKE: { target: 'sending', actions: assign({ attempt: 0, failuresInRow: 0 }) } },
      after: { recheck: { target: 'sending', actions: assign({ attempt: 0, failuresInRow: 0 }) } },
    },
  },
});

function wakeReport(out: DeliverOutcome): HubReport {
  return { type: 'ROUTE.WAKE_OTHERS', routeKeys: out.wake ? [...out.wake] : [] };
}

function errorOf(event: unknown): string | null {
  const out = (event as { output?: DeliverOutcome }).output;
  return out && 'error' in out ? out.error : null;
}

function report(context: { route: string; lastError: string | null; failuresInRow: number }, state: RouteState): HubReport {
  return { type: 'ROUTE.STATUS', status: { route: context.route, state, lastError: context.lastError, failuresInRow: context.failuresInRow } };
}

export type NotifierMachine = typeof notifierMachine;
