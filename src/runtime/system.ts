/**
 * The runtime's ONE actor system: the only `createActor` of a root in the daemon. It gives the
 * root machine (machines/runtime.machine.ts) its real children and wires what they emit:
 *
 *   createRuntime({ config, log, inspect }).start()   …   await runtime.stop()
 *
 * `wtt up` runs it beside the embedded hub; `wtt daemon` runs it alone. Status is published once,
 * from the root's context (`onStatus`, `status()`); commands reach the system by event through the
 * `control` child.
 */
import { createActor, type Actor, type ActorOptions, type AnyActorLogic, type AnyActorRef, type InspectionEvent, type Observer } from 'xstate';
import { connectionStatus, sameStatus, type ConnectionActorRef, type ConnectionStatus } from '../../machines/connection.machine.js';
import { runtimeMachine, type ChildFailure, type RuntimeStatus } from '../../machines/runtime.machine.js';
import { WttApi } from '../client/api.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, deriveWsUrl, loadConfig, type Config } from '../config.js';
import { scrubSecrets, type Logger } from '../log.js';
import type { Message, ServerFrame } from '../protocol/index.js';
import { logOnboardingEvent, onboardingInput, type OnboardingActor } from '../onboarding/actor.js';
import { commandsLogic } from './commands-actor.js';
import { controlLogic } from './control-actor.js';
import { controlSocketPath } from './control.js';
import { Intake, type IntakeSource } from './intake.js';
import { connectionInput, connectionWiring, type LinkTuning } from './link.js';
import { routerLogic } from './router.js';
import { notifierLogic } from './notifier.js';
import { adapterFor, routesFromConfig } from '../im/index.js';
import type { NotifierTuning, RouteStatus } from '../../machines/notifier.machine.js';
import { createHash } from 'node:crypto';
import { StateStore } from './store.js';
import type { StatusReport } from './status.js';
import { processReport } from './process-report.js';
import { AwayTracker, awayReport } from './away.js';
import { executorFor } from '../executor/registry.js';
import { TaskRuntime } from './tasks.js';
import { Conversations } from './conversations.js';
import { PeerGuards } from './peer-guards.js';
import { ConcurrencyLimiter } from '../executor/limiter.js';

const VERSION = (() => {
  try {
    const v = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
})();

export interface RuntimeOptions {
  /** The configuration, with `apiUrl`/`wsUrl` pointing at the server to use. */
  config: Readonly<Config>;
  log: Logger;
  /** One inspection observer for the whole system (the Stately inspector, the local page, tests). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) | undefined;
  /** XState clock (tests pass a SimulatedClock). */
  clock?: ActorOptions<typeof runtimeMachine>['clock'];
  /** Each connection status change, once. */
  onStatus?: ((s: ConnectionStatus) => void) | undefined;
  /** Each inbound message, once, as it is recorded (`wtt up` prints it). */
  onMessage?: ((m: Message, source: IntakeSource) => void) | undefined;
  /** Replaces the `notifier` child (default: one route actor per configured route, real adapters). */
  notifier?: AnyActorLogic | undefined;
  notifierTuning?: NotifierTuning | undefined;
  /** Serve the control socket (default true). */
  control?: boolean | undefined;
  tuning?: LinkTuning | undefined;
  restart?: { baseMs?: number; capMs?: number; stableMs?: number } | undefined;
  store?: StateStore | undefined;
  /** The wall clock for routing (quiet hours, bursts) and the store it opens; default Date.now. */
  now?: (() => number) | undefined;
  /** How long `stop()` waits for the deliveries in flight (default 5 s). */
  drainTimeoutMs?: number | undefined;
  /** Auto-reply tuning (tests shorten the 15 s spacing of replies in a topic). */
  autoReply?: { minGapMs?: number } | undefined;
  /** Re-reads the configuration after onboarding wrote `.env` (default: `loadConfig()` from the process environment). */
  reloadConfig?: (() => Readonly<Config>) | undefined;
}

export interface Runtime {
  readonly actor: Actor<typeof runtimeMachine>;
  readonly store: StateStore;
  readonly intake: Intake;
  /** The task actors' side (undefined when WTT_EXECUTOR is unset: this agent runs no tasks). */
  readonly tasks: TaskRuntime | undefined;
  /** The auto-replies (undefined unless WTT_AUTO_REPLY is on and an executor is set). */
  readonly conversations: Conversations | undefined;
  start(): Runtime;
  /** The one published status (from the root's context). */
  status(): RuntimeStatus;
  /** Everything `wtt status` shows. */
  report(): StatusReport;
  /** Stops every child, closes the control socket and the link, then (if it opened it) the store. */
  stop(): Promise<void>;
}

function withServer(config: Readonly<Config>, apiUrl: string): Readonly<Config> {
  return config.apiUrl === apiUrl ? config : Object.freeze({ ...config, apiUrl, wsUrl: deriveWsUrl(apiUrl) });
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  const { log } = opts;
  const config = opts.config;
  const secrets = () => [config.agentToken, config.bearerToken, config.gatewayToken, current().agentToken];
  const ownsStore = !opts.store;
  const store = opts.store ?? StateStore.open({ stateDir: config.stateDir, log, now: opts.now });
  /** The configuration now: `.env` re-read (onboarding writes it), the server kept. */
  let latest = config;
  const current = (): Readonly<Config> => latest;
  const reload = (): Readonly<Config> => {
    try {
      latest = withServer((opts.reloadConfig ?? loadConfig)(), config.apiUrl);
    } catch (e) {
      log.error({ err: e instanceof Error ? e.message : String(e) }, 'configuration could not be re-read; keeping the values in use');
    }
    return latest;
  };

  let actor: Actor<typeof runtimeMachine>;
  const send = (id: string, event: Record<string, unknown> & { type: string }) => (actor.system.get(id) as AnyActorRef | undefined)?.send(event);

  // Chat routes: the primary ones get notices; each route gets one notifier actor.
  const routes = routesFromConfig(config);
  const adapterDeps = { config, log: log.child({ systemId: 'notifier' }) };
  const routeInfos = [...routes.primary].map((r) => ({ key: r.key, channel: r.channel, maxChars: adapterFor(r, adapterDeps).maxChars }));
  store.setNoticeRoutes(routes.primary.map((r) => r.key));
  const intake = new Intake({
    store,
    log: log.child({ systemId: 'connection' }),
    secrets: secrets(),
    now: opts.now,
    planner: {
      policy: config.notify,
      identity: () => ({ agentId: actor?.getSnapshot().context.identity?.agentId ?? current().agentId, mentionNames: current().mentionNames }),
      routes: () => routeInfos,
    },
    onMessage: opts.onMessage,
    onCommitted: (c) => {
      if (c.routeKeys.length > 0) send('router', { type: 'COMMITTED', routeKeys: c.routeKeys, messages: c.messages.length });
      if (c.messages.length > 0) send('router', { type: 'MESSAGES', messages: c.messages });
    },
    onHeldBack: () => send('connection', { type: 'RESYNC' }),
  });
  const wiring = connectionWiring({
    config,
    store,
    intake,
    log: log.child({ systemId: 'connection' }),
    tuning: opts.tuning,
    onFrame: (frame: ServerFrame) => send('router', { type: 'FRAME', frame }),
  });
  const apis = new Map<string, WttApi>();
  const apiOf = (c: Readonly<Config>): WttApi => {
    const key = `${c.agentId ?? ''}\u0000${c.agentToken ?? ''}`;
    let api = apis.get(key);
    if (!api) {
      api = new WttApi({ apiUrl: c.apiUrl, agentId: c.agentId, agentToken: c.agentToken, bearerToken: c.bearerToken, timeoutMs: c.httpTimeoutMs });
      apis.set(key, api);
    }
    return api;
  };

  const now = opts.now ?? Date.now;
  // The report after a restart or an outage: the previous run's last sign of life, kept in the store.
  const away = new AwayTracker({ minAwayMs: config.awayReportMs, previousRun: store.beginRun() });
  // Session keys and the like survive restarts in the state store.
  const executor = executorFor(config, { sessions: { get: (k) => store.getKv(k), set: (k, v) => store.setKv(k, v) } });
  const tasksLog = log.child({ systemId: 'tasks' });
  const wakeNotifier = () => send('notifier', { type: 'OUTBOX.WAKE' });
  const guards = new PeerGuards({
    config: current,
    store,
    log: tasksLog,
    now,
    notice: (key, text) => {
      try {
        if (store.enqueueNotice({ key, text, urgent: true }) !== undefined) wakeNotifier();
      } catch (e) {
        tasksLog.error({ err: e instanceof Error ? e.message : String(e) }, 'could not queue a guard notice');
      }
    },
  });
  const limiter = new ConcurrencyLimiter(config.maxConcurrentTasks);
  const tasks = executor
    ? new TaskRuntime({
        config: current,
        api: () => apiOf(current()),
        agentId: () => actor?.getSnapshot().context.identity?.agentId ?? current().agentId,
        store,
        executor,
        log: tasksLog,
        now,
        wake: wakeNotifier,
        guards,
        limiter,
      })
    : undefined;
  if (config.autoReply && !executor) tasksLog.warn('WTT_AUTO_REPLY is on but WTT_EXECUTOR is unset: nothing can answer, so auto-replies are off');
  const conversations =
    executor && config.autoReply
      ? new Conversations({
          api: () => apiOf(current()),
          agentId: () => actor?.getSnapshot().context.identity?.agentId ?? current().agentId,
          mentionNames: () => current().mentionNames,
          executor,
          limiter,
          guards,
          store,
          log: log.child({ systemId: 'conversations' }),
          now,
          isTaskTopic: (topicId) => tasks?.isTaskTopic(topicId) ?? false,
          minGapMs: opts.autoReply?.minGapMs,
        })
      : undefined;

  const routerLog = log.child({ systemId: 'router' });
  const logic = runtimeMachine.provide({
    actors: {
      connection: wiring.logic,
      ...(tasks ? { taskBucket: tasks.bucketLogic() } : {}),
      router: routerLogic({
        log: routerLog,
        onFrame: (frame) => tasks?.onFrame(frame),
        onMessages: (messages) => {
          tasks?.onMessages(messages);
          conversations?.onMessages(messages);
        },
        alert: (kind, text) => {
          const clean = scrubSecrets(text, secrets());
          routerLog.warn({ kind }, clean);
          try {
            store.enqueueNotice({ key: `alert:${kind}:${createHash('sha256').update(clean).digest('hex').slice(0, 12)}`, text: clean, urgent: true });
          } catch (e) {
            routerLog.error({ err: e instanceof Error ? e.message : String(e) }, 'could not queue the alert for the chat');
          }
        },
        away: {
          tracker: away,
          now,
          aliveEveryMs: 60_000,
          alive: () => {
            try {
              store.markAlive();
            } catch (e) {
              routerLog.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not record the heartbeat');
            }
          },
          report: (due) => {
            try {
              const text = scrubSecrets(awayReport({ ...due, failed: store.failedDeliveriesSince(due.since) }), secrets());
              routerLog.info({ kind: due.kind, away_ms: due.awayMs, caught_up: due.caughtUp }, 'back after being away');
              store.enqueueNotice({ key: `away:${due.kind}:${due.since}`, text });
            } catch (e) {
              routerLog.error({ err: e instanceof Error ? e.message : String(e) }, 'could not queue the report for the chat');
            }
          },
        },
      }),
      commands: commandsLogic({ config: () => (reload(), current()), api: apiOf, log: log.child({ systemId: 'commands' }), report: () => runtime.report(), store, tasks }),
      ...(opts.control === false
        ? {}
        : {
            control: controlLogic({
              path: controlSocketPath(config.stateDir),
              agentId: () => current().agentId,
              log: log.child({ systemId: 'control' }),
              commandTimeoutMs: config.httpTimeoutMs * 2 + 10_000,
            }),
          }),
      notifier:
        opts.notifier ??
        notifierLogic({
          store,
          routes,
          adapterFor: (r) => adapterFor(r, adapterDeps),
          log: log.child({ systemId: 'notifier' }),
          tuning: { ratePerMin: config.notify.chatRatePerMin, ...(opts.notifierTuning ?? {}) },
          secrets,
        }),
    },
    actions: {
      logChildFailure: (_, failure: ChildFailure | undefined) => {
        if (!failure) return;
        noteError(failure.child, failure.reason);
        log.error(
          { systemId: failure.child, failures: failure.failures, restart_in_ms: failure.restartInMs, err: scrubSecrets(failure.reason, secrets()) },
          `${failure.child} failed; restarting it`,
        );
      },
    },
  });

  actor = createActor(logic, {
    systemId: 'runtime',
    input: {
      onboarding: onboardingInput(config),
      connection: connectionInput(config, opts.tuning ?? {}),
      restartBaseMs: opts.restart?.baseMs,
      restartCapMs: opts.restart?.capMs,
      childStableMs: opts.restart?.stableMs,
    },
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });

  // What the children emit is wired once per child instance (a restarted child is a new ref).
  let connectionRef: ConnectionActorRef | undefined;
  let detachConnection: (() => void) | undefined;
  let onboardingRef: OnboardingActor | undefined;
  // The root starts with the connection `stopped` (not started yet): nothing to publish until it runs.
  let published: ConnectionStatus | undefined = { state: 'stopped' };
  let publishedAt = Date.now();
  const startedAt = Date.now();
  let lastCatchUp: { at: string; delivered: number } | null = null;
  let lastError: { at: string; where: string; message: string } | null = null;
  const noteError = (where: string, message: string) => {
    lastError = { at: new Date().toISOString(), where, message: scrubSecrets(message, secrets()).slice(0, 500) };
  };
  const onboardingLog = log.child({ systemId: 'onboarding' });
  const connectionLog = log.child({ systemId: 'connection' });
  actor.subscribe({
    next: (snap) => {
      const conn = snap.children.connection as ConnectionActorRef | undefined;
      if (conn !== connectionRef) {
        detachConnection?.();
        connectionRef = conn;
        const detach = conn ? wiring.attach(conn) : undefined;
        const subs = conn
          ? [
              conn.on('catchUp.done', ({ result }) => {
                lastCatchUp = { at: new Date().toISOString(), delivered: result.delivered };
                send('router', { type: 'CAUGHT_UP', delivered: result.delivered });
              }),
              conn.on('poll.failed', ({ reason }) => noteError('connection', `poll failed: ${reason}`)),
              conn.on('auth.rejected', ({ reason }) => noteError('connection', reason)),
            ]
          : [];
        detachConnection = () => {
          detach?.();
          for (const s of subs) s.unsubscribe();
        };
      }
      const onb = snap.children.onboarding as OnboardingActor | undefined;
      if (onb !== onboardingRef) {
        onboardingRef = onb;
        onb?.on('*', (e) => logOnboardingEvent(onboardingLog, e));
      }
      const status = snap.context.connection;
      if (!sameStatus(published, status)) {
        published = 'reason' in status && status.reason ? { ...status, reason: scrubSecrets(status.reason, secrets()) } : status;
        publishedAt = Date.now();
        if (published.state === 'backoff' && published.reason) noteError('connection', published.reason);
        // One log line per state change of the connection (never one per frame).
        const { state, ...rest } = published;
        connectionLog.info({ systemId: 'connection', state, ...rest }, `connection: ${state}`);
        if (published.state === 'live') void tasks?.sync();
        opts.onStatus?.(published);
      }
    },
    error: (e) => log.error({ err: e instanceof Error ? e.message : String(e) }, 'the runtime root failed'),
  });

  const routeStatuses = (): StatusReport['routes'] => {
    const hub = actor.system.get('notifier') as AnyActorRef | undefined;
    const ctx = hub?.getSnapshot()?.context as { statuses?: Record<string, RouteStatus> } | undefined;
    return Object.values(ctx?.statuses ?? {}).map((x) => ({ route: x.route, state: x.state, last_error: x.lastError }));
  };

  let started = false;
  const runtime: Runtime = {
    actor,
    store,
    intake,
    tasks,
    conversations,
    start() {
      if (!started) {
        started = true;
        actor.start();
        tasks?.attach(actor.system);
      }
      return runtime;
    },
    status() {
      const c = actor.getSnapshot().context;
      const conn = connectionRef ? connectionStatus(connectionRef.getSnapshot()) : c.connection;
      return { agentId: c.identity?.agentId, connection: conn, failures: c.failures, lastFailure: c.lastFailure };
    },
    report(): StatusReport {
      const s = runtime.status();
      const c = current();
      const outbox = store.isOpen ? store.outboxCounts() : null;
      return {
        running: true,
        version: VERSION,
        pid: process.pid,
        uptime_s: Math.round((Date.now() - startedAt) / 1000),
        agent_id: s.agentId ?? null,
        state_dir: c.stateDir,
        api_url: c.apiUrl,
        connection: {
          state: s.connection.state,
          since: new Date(publishedAt).toISOString(),
          ...('reason' in s.connection && s.connection.reason ? { reason: scrubSecrets(s.connection.reason, secrets()) } : {}),
        },
        last_catchup: lastCatchUp,
        intake: { ...intake.counts },
        outbox,
        tasks: tasks ? tasks.report() : null,
        last_error: lastError,
        children: { ...s.failures },
        routes: routeStatuses(),
        store: store.health.report(),
        process: processReport(actor, outbox),
      };
    },
    async stop() {
      await Promise.all([tasks?.stop(), conversations?.stop()]);
      if (actor.getSnapshot().status === 'active') {
        connectionRef?.send({ type: 'STOP' });
        // Stop taking work, then let each route finish the delivery in flight (bounded), so a
        // clean stop repeats nothing; what was not sent stays in the outbox for the next run.
        send('notifier', { type: 'NOTIFIER.DRAIN' });
        const deadline = Date.now() + (opts.drainTimeoutMs ?? 5_000);
        const routeKeys = [...new Set([...routes.primary, ...routes.fallbacks].map((r) => r.key))];
        const busy = () =>
          routeKeys.some((k) => {
            const v = (actor.system.get(`notifier:${k}`) as AnyActorRef | undefined)?.getSnapshot()?.value;
            return v === 'sending' || v === 'halfOpen';
          });
        while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        actor.stop();
      }
      detachConnection?.();
      intake.close();
      if (store.isOpen) {
        try {
          store.markAlive(true);
        } catch (e) {
          log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not record the clean stop');
        }
      }
      if (ownsStore) store.close();
      if (published?.state !== 'stopped') {
        published = { state: 'stopped' };
        connectionLog.info({ systemId: 'connection', state: 'stopped' }, 'connection: stopped');
        opts.onStatus?.(published);
      }
    },
  };
  return runtime;
}
