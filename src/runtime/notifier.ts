/**
 * The `notifier` child: one route actor (machines/notifier.machine.ts, systemId
 * `notifier:<route key>`) per configured route, woken by `OUTBOX.WAKE` from the router. The
 * `deliverNext` actor here is the only code that reads a route's outbox and calls its adapter:
 *
 * 1. held rows that came due (a burst, a digest topic, quiet hours) are folded into one digest;
 * 2. the oldest pending row is sent with the idempotency key `wtt-<row id>`;
 * 3. the outcome is recorded (attempt, adapter, chat message id); a row failed for good is copied to
 *    the fallback routes and announced once on the other routes;
 * 4. while sends succeed, the next pending row is sent the same way (2–3), up to `maxSends`, until
 *    the route is empty or the runtime drains. Rows go out strictly one after another, each
 *    recorded before the next is sent: a crash repeats at most the one send in flight.
 *
 * A send that went through but cannot be recorded (the disk is full) is kept in memory and only
 * recorded again, never sent again, until the write succeeds (the route retries with backoff); a
 * crash meanwhile repeats at most that one send, as a crash in flight does.
 */
import { createHash } from 'node:crypto';
import { assign, enqueueActions, fromPromise, sendParent, setup } from 'xstate';
import { notifierMachine, type DeliverInput, type DeliverOutcome, type HubReport, type NotifierTuning, type RouteStatus } from '../../machines/notifier.machine.js';
import { isDeliveryError, type ImAdapter, type Route, type RouteSet } from '../im/index.js';
import { renderDigest, splitText } from '../im/render.js';
import { scrubSecrets, type Logger } from '../log.js';
import { ButtonsJson, type OutboxEntry } from './outbox.js';
import { isStorageError } from './storage-health.js';
import type { StateStore } from './store.js';

export interface NotifierDeps {
  store: StateStore;
  routes: RouteSet;
  adapterFor(route: Route): ImAdapter;
  log?: Logger | undefined;
  tuning?: NotifierTuning | undefined;
  random?: (() => number) | undefined;
  /** Credentials that must never reach a stored error text. */
  secrets?: () => ReadonlyArray<string | undefined>;
}

export interface NotifierHubContext {
  routes: readonly string[];
  statuses: Record<string, RouteStatus>;
}

export type OutboxWake = { type: 'OUTBOX.WAKE'; routeKeys?: readonly string[] | undefined };
/** At shutdown: every route finishes its delivery in flight and stops sending. */
export type NotifierDrain = { type: 'NOTIFIER.DRAIN' };

const shortHash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);

/** Everything `deliverNext` does for one route, as a plain async function (tested through the hub). */
export function makeDeliverNext(deps: NotifierDeps): ((input: DeliverInput) => Promise<DeliverOutcome>) & { drain(): void } {
  // Set at shutdown (NOTIFIER.DRAIN): a delivery in progress stops after the send in flight.
  let draining = false;
  const all = [...deps.routes.primary, ...deps.routes.fallbacks];
  const byKey = new Map(all.map((r) => [r.key, r]));
  const adapters = new Map<string, ImAdapter>();
  const adapterOf = (r: Route) => {
    let a = adapters.get(r.key);
    if (!a) adapters.set(r.key, (a = deps.adapterFor(r)));
    return a;
  };
  const { store } = deps;
  const clean = (text: string) => scrubSecrets(text, deps.secrets?.() ?? []).slice(0, 500);
  const others = (key: string) => all.map((r) => r.key).filter((k) => k !== key);

  const foldHeld = (route: Route, adapter: ImAdapter) => {
    const due = store.outbox.heldDue(route.key);
    if (due.length === 0) return;
    const byReason = new Map<string, OutboxEntry[]>();
    for (const r of due) byReason.set(r.hold_reason ?? 'held', [...(byReason.get(r.hold_reason ?? 'held') ?? []), r]);
    for (const [reason, rows] of byReason) {
      const text = renderDigest(reason, rows.map((r) => r.text));
      const span = `${rows[0]?.id ?? 0}-${rows[rows.length - 1]?.id ?? 0}`;
      const parts = splitText(text, adapter.maxChars).map((part, i) => ({
        key: `digest:${route.key}:${span}:${i}`,
        route: route.key,
        kind: 'digest' as const,
        text: part,
        state: 'pending' as const,
        next_at: 0,
      }));
      store.outbox.foldIntoDigest(rows.map((r) => r.id), parts);
    }
  };

  /** A row failed for good: a copy to each fallback (primary routes only) and one announcement. */
  const failedForGood = (row: OutboxEntry, error: string): string[] => {
    const wake = new Set<string>();
    const isPrimary = deps.routes.primary.some((r) => r.key === row.route);
    store.transaction(() => {
      if (isPrimary) {
        for (const fb of deps.routes.fallbacks) {
          if (store.outbox.insert({ key: `fallback:${row.id}:${fb.key}`, route: fb.key, kind: row.kind, message_id: row.message_id, topic_id: row.topic_id, text: row.text, state: 'pending', next_at: 0 }) !== undefined) wake.add(fb.key);
        }
      }
      // Notices about failures are not announced again (no chain of reports about reports).
      if (row.kind !== 'notice') {
        const where = others(row.route);
        const what = row.message_id ? `message ${row.message_id}` : `a ${row.kind}`;
        const text = `⚠️ WTT could not deliver ${what} to ${row.route}: ${error}. \`wtt outbox\` lists it; \`wtt outbox retry ${row.id}\` sends it again${row.message_id ? `; \`wtt trace ${row.message_id}\` shows every attempt` : ''}.`;
        store.enqueueNotice({ key: `failed:${row.id}`, text, urgent: true, routes: where.length > 0 ? where : [row.route] });
        for (const k of where) wake.add(k);
      }
    });
    deps.log?.error({ systemId: `notifier:${row.route}`, delivery_id: row.id, message_id: row.message_id, err: error }, 'delivery failed for good');
    return [...wake];
  };

  /**
   * A task's status: its one message on this route is edited in place when the channel can edit
   * (with the buttons, if any); the first status, a channel that cannot edit, or a message that is
   * gone (the edit fails) gets a new message, whose id is kept for the next edit.
   */
  const sendStatus = async (route: Route, adapter: ImAdapter, row: OutboxEntry) => {
    const buttons = adapter.edit && row.buttons ? ButtonsJson.parse(JSON.parse(row.buttons)) : undefined;
    const req = { route, text: row.text, idempotencyKey: `wtt-${row.id}`, ...(buttons && buttons.length > 0 ? { buttons } : {}) };
    const existing = row.task_id ? store.outbox.statusMessage(row.task_id, route.key) : undefined;
    if (existing && adapter.edit) {
      try {
        const res = await adapter.edit({ ...req, messageId: existing });
        return { ...res, messageId: res.messageId ?? existing };
      } catch (e) {
        if (isDeliveryError(e) && e.kind === 'config') throw e;
        deps.log?.warn({ systemId: `notifier:${route.key}`, delivery_id: row.id, err: clean(e instanceof Error ? e.message : String(e)) }, 'could not edit the task status message; sending a new one');
      }
    }
    const res = await adapter.send(req);
    if (row.task_id && res.messageId && adapter.edit) {
      try {
        store.outbox.setStatusMessage(row.task_id, route.key, res.messageId);
      } catch (e) {
        // The next status is sent as a new message instead of an edit; the send itself stands.
        if (!isStorageError(e)) throw e;
        store.health.failed(e, `notifier:${route.key}`);
      }
    }
    return res;
  };

  /** Sends that went through whose sent-mark could not be written yet (row id → result). */
  const unrecorded = new Map<number, { adapter: string; messageId?: string | undefined }>();
  const record = (row: OutboxEntry, res: { adapter: string; messageId?: string | undefined }): RowOutcome => {
    try {
      store.outbox.markSent(row.id, res.adapter, res.messageId);
    } catch (e) {
      if (!isStorageError(e)) throw e;
      unrecorded.set(row.id, res);
      store.health.failed(e, `notifier:${row.route}`);
      return { kind: 'retry', error: store.health.report().error ?? 'the state file cannot be written' };
    }
    unrecorded.delete(row.id);
    store.health.ok();
    return { kind: 'sent' };
  };

  const wakeInMs = (route: Route) => {
    const next = store.outbox.nextHeldAt(route.key);
    return next === undefined ? undefined : Math.max(0, next - store.now());
  };

  /** Send rows while they go through; the first failure ends the delivery (with `sent` before it). */
  const deliver = async (input: DeliverInput): Promise<DeliverOutcome> => {
    const route = byKey.get(input.route);
    if (!route) return { kind: 'misconfigured', error: `route ${input.route} is not configured` };
    const adapter = adapterOf(route);
    foldHeld(route, adapter);
    const max = input.probe ? 1 : Math.max(1, Math.floor(input.maxSends ?? 1));
    let sent = 0;
    for (;;) {
      const row = store.outbox.head(route.key);
      if (!row) return sent === 0 ? { kind: 'empty', wakeInMs: wakeInMs(route) } : { kind: 'sent', count: sent, drained: true, wakeInMs: wakeInMs(route) };
      // The machine's attempt count is for the row it last saw at the head; a later row is fresh.
      const out = await deliverRow(route, adapter, row, { attempt: sent === 0 ? input.attempt : 0, maxAttempts: input.maxAttempts });
      if (out.kind !== 'sent') return sent === 0 ? out : { ...out, sent };
      sent++;
      if (sent >= max || draining) return { kind: 'sent', count: sent };
    }
  };

  type RowOutcome = Exclude<DeliverOutcome, { kind: 'empty' }>;
  type Attempt = { attempt: number; maxAttempts: number };
  const deliverRow = async (route: Route, adapter: ImAdapter, row: OutboxEntry, at: Attempt): Promise<RowOutcome> => {
    const done = unrecorded.get(row.id);
    if (done) return record(row, done);
    let res;
    try {
      res = row.kind === 'status' ? await sendStatus(route, adapter, row) : await adapter.send({ route, text: row.text, idempotencyKey: `wtt-${row.id}` });
    } catch (e) {
      return failedSend(route, adapter, row, at, e);
    }
    return record(row, res);
  };

  const failedSend = (route: Route, adapter: ImAdapter, row: OutboxEntry, input: Attempt, e: unknown): RowOutcome => {
    try {
      return noteFailedSend(route, adapter, row, input, e);
    } catch (e2) {
      // Nothing was sent; the attempt could not be recorded: try again later.
      if (!isStorageError(e2)) throw e2;
      store.health.failed(e2, `notifier:${route.key}`);
      return { kind: 'retry', error: store.health.report().error ?? 'the state file cannot be written' };
    }
  };

  const noteFailedSend = (route: Route, adapter: ImAdapter, row: OutboxEntry, input: Attempt, e: unknown): RowOutcome => {
    const error = clean(e instanceof Error ? e.message : String(e));
    const adapterName = isDeliveryError(e) ? e.adapter : adapter.name;
    if (isDeliveryError(e) && e.kind === 'config') {
      store.outbox.markAttemptFailed(row.id, adapterName, error, false);
      const where = others(route.key);
      store.enqueueNotice({
        key: `config:${route.key}:${shortHash(error)}`,
        text: `⚠️ WTT cannot deliver to ${route.key}: ${error}. Deliveries wait until it is fixed.`,
        urgent: true,
        routes: where,
      });
      deps.log?.error({ systemId: `notifier:${route.key}`, err: error }, 'route is misconfigured; deliveries wait until it is fixed');
      return { kind: 'misconfigured', error, wake: where };
    }
    const permanent = isDeliveryError(e) && e.kind === 'permanent';
    const final = permanent || input.attempt + 1 >= input.maxAttempts;
    const why = permanent ? error : `${error} (gave up after ${input.attempt + 1} attempts)`;
    store.outbox.markAttemptFailed(row.id, adapterName, final ? why : error, final);
    if (final) {
      return { kind: 'failed', error: why, wake: failedForGood({ ...row, attempts: row.attempts + 1 }, why) };
    }
    deps.log?.warn({ systemId: `notifier:${route.key}`, delivery_id: row.id, attempt: input.attempt + 1, err: error }, 'delivery failed; retrying');
    return { kind: 'retry', error, retryAfterMs: isDeliveryError(e) ? e.retryAfterMs : undefined };
  };

  return Object.assign(deliver, {
    drain() {
      draining = true;
    },
  });
}

/** The notifier hub machine with its route actors wired to the store and the adapters. */
export function notifierLogic(deps: NotifierDeps) {
  const deliverNext = makeDeliverNext(deps);
  const routeLogic = notifierMachine.provide({
    actors: { deliverNext: fromPromise<DeliverOutcome, DeliverInput>(({ input }) => deliverNext(input)) },
    actions: { tellHub: sendParent((_, report: HubReport) => report) },
  });
  const stopBatches = () => deliverNext.drain();
  const keys = [...new Set([...deps.routes.primary, ...deps.routes.fallbacks].map((r) => r.key))];
  return setup({
    types: { context: {} as NotifierHubContext, events: {} as OutboxWake | NotifierDrain | HubReport },
    actors: { route: routeLogic },
  }).createMachine({
    id: 'notifierHub',
    context: { routes: keys, statuses: {} },
    entry: enqueueActions(({ enqueue, context }) => {
      for (const key of context.routes) {
        enqueue.spawnChild('route', {
          id: key,
          systemId: `notifier:${key}`,
          input: { route: key, ...(deps.tuning ?? {}), ...(deps.random ? { random: deps.random } : {}) },
        });
      }
    }),
    on: {
      'OUTBOX.WAKE': {
        actions: enqueueActions(({ enqueue, context, event }) => {
          const targets = event.routeKeys && event.routeKeys.length > 0 ? event.routeKeys.filter((k) => context.routes.includes(k)) : context.routes;
          for (const k of targets) enqueue.sendTo(k, { type: 'WAKE' });
        }),
      },
      'NOTIFIER.DRAIN': {
        actions: [
          stopBatches,
          enqueueActions(({ enqueue, context }) => {
            for (const k of context.routes) enqueue.sendTo(k, { type: 'DRAIN' });
          }),
        ],
      },
      'ROUTE.WAKE_OTHERS': {
        actions: enqueueActions(({ enqueue, context, event }) => {
          for (const k of event.routeKeys) if (context.routes.includes(k)) enqueue.sendTo(k, { type: 'WAKE' });
        }),
      },
      'ROUTE.STATUS': {
        actions: assign({ statuses: ({ context, event }) => ({ ...context.statuses, [event.status.route]: event.status }) }),
      },
    },
  });
}
