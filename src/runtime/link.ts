/**
 * The link: the connection machine wired to the real WttSocket, WttApi, state store and intake.
 *
 * `connectionWiring()` gives the `connection` child of the runtime's actor system: the machine with
 * its socket, catch-up and poll actors, plus `attach(ref)` that routes what the machine emits
 * (frames → intake, warnings → log). `Link` runs that same logic alone, for `wtt tail` and tests:
 *
 *   const link = new Link({ config, onMessage: (m) => … });
 *   link.onStatus((s) => …);
 *   link.start();  …  await link.stop();
 */
import { createActor, fromCallback, fromPromise, type Actor } from 'xstate';
import {
  connectionMachine,
  connectionStatus,
  sameStatus,
  type CatchUpResult,
  type ConnectionActorRef,
  type ConnectionAuth,
  type ConnectionInput,
  type ConnectionStatus,
  type DialInput,
  type PollOnceResult,
  type SocketCommand,
  type SocketCurrent,
  type SocketEvent,
} from '../../machines/connection.machine.js';
import { Secret } from '../onboarding/secret.js';
import type { ServerFrame } from '../protocol/index.js';
import { WttApi } from '../client/api.js';
import { WttSocket } from '../client/socket.js';
import { WttError } from '../errors.js';
import type { Config } from '../config.js';
import { scrubSecrets, type Logger } from '../log.js';
import { StateStore } from './store.js';
import type { DeliveryPlanner } from './deliveries.js';
import { Intake, type IntakeCounts, type MessageSink } from './intake.js';
import { catchUp, drainPoll, isInitialized, markInitialized, serverFeatures } from './catchup.js';

export type LinkConfig = Pick<
  Config,
  'agentId' | 'agentToken' | 'apiUrl' | 'wsUrl' | 'stateDir' | 'heartbeatMs' | 'livenessMs' | 'pollIntervalMs' | 'httpTimeoutMs'
> & { bearerToken?: string | undefined };

export interface LinkTuning {
  backoffBaseMs?: number | undefined;
  backoffCapMs?: number | undefined;
  stableMs?: number | undefined;
  pollAfterFailures?: number | undefined;
  pollAfterMs?: number | undefined;
  /** Open + auth + action timeout of the socket (default 15 s). */
  socketTimeoutMs?: number | undefined;
  pageLimit?: number | undefined;
}

export interface LinkOptions {
  config: LinkConfig;
  /** Each message, exactly once, after its commit. */
  onMessage?: MessageSink | undefined;
  /** The message is the output (`wtt tail`): handed on inside its commit, one per commit. */
  handOn?: MessageSink | undefined;
  /** Routing into the outbox (in the same commit as the seen id). */
  planner?: DeliveryPlanner | undefined;
  /** Every other server frame (task_status, typing, …), live only. */
  onFrame?: ((f: ServerFrame) => void) | undefined;
  log?: Logger | undefined;
  store?: StateStore | undefined;
  api?: WttApi | undefined;
  tuning?: LinkTuning | undefined;
  random?: (() => number) | undefined;
}

type StatusListener = (s: ConnectionStatus) => void;

/**
 * The machine's input from the configuration: heartbeat, liveness and poll interval come from
 * WTT_HEARTBEAT_S, WTT_LIVENESS_S and WTT_POLL_INTERVAL (via `loadConfig()`); the backoff numbers
 * are the policy's (0.5 s doubling to 30 s, reset after 10 s live, polling after 3 failed dials or
 * 30 s without open) unless tuned.
 */
export function connectionInput(
  config: Pick<LinkConfig, 'heartbeatMs' | 'livenessMs' | 'pollIntervalMs'>,
  tuning: LinkTuning = {},
  random: () => number = Math.random,
  auth?: ConnectionAuth | undefined,
): ConnectionInput {
  return {
    auth,
    heartbeatMs: config.heartbeatMs,
    livenessMs: config.livenessMs,
    pollIntervalMs: config.pollIntervalMs,
    backoffBaseMs: tuning.backoffBaseMs,
    backoffCapMs: tuning.backoffCapMs,
    stableMs: tuning.stableMs,
    pollAfterFailures: tuning.pollAfterFailures,
    pollAfterMs: tuning.pollAfterMs,
    random,
  };
}

export interface ConnectionWiringOptions {
  config: Pick<LinkConfig, 'apiUrl' | 'wsUrl' | 'httpTimeoutMs' | 'bearerToken'>;
  store: StateStore;
  intake: Intake;
  /** Every server frame other than `new_message` and `action_result` (task_status, typing, …), live only. */
  onFrame?: ((f: ServerFrame) => void) | undefined;
  log?: Logger | undefined;
  tuning?: LinkTuning | undefined;
}

export interface ConnectionWiring {
  /** The connection machine with its real actors: the `connection` child of the runtime system. */
  logic: typeof connectionMachine;
  /** Routes what one running connection actor emits; returns the detach function. */
  attach(ref: ConnectionActorRef): () => void;
  /** The REST client of an identity (one per agent id and token). */
  apiFor(auth: ConnectionAuth): WttApi;
}

/** The connection machine wired to the real socket, REST client, store and intake. */
export function connectionWiring(opts: ConnectionWiringOptions): ConnectionWiring {
  const { config, store, intake, log } = opts;
  const tuning = opts.tuning ?? {};
  const apis = new Map<string, { token: string | undefined; api: WttApi }>();
  let features: readonly string[] | undefined;
  let lastAuth: ConnectionAuth | undefined;
  const secretsOf = (auth: ConnectionAuth | undefined) => [auth?.token?.reveal(), config.bearerToken];

  const apiFor = (auth: ConnectionAuth): WttApi => {
    const token = auth.token?.reveal();
    const known = apis.get(auth.agentId);
    if (known && known.token === token) return known.api;
    const api = new WttApi({ apiUrl: config.apiUrl, agentId: auth.agentId, agentToken: token, bearerToken: config.bearerToken, timeoutMs: config.httpTimeoutMs });
    apis.set(auth.agentId, { token, api });
    return api;
  };
  const needAuth = (auth: ConnectionAuth | undefined): ConnectionAuth => {
    if (!auth) throw new WttError('WTT_ERR_NO_AGENT', { message: 'no agent id: set WTT_AGENT_ID (and WTT_AGENT_TOKEN) or run `wtt config auto`' });
    lastAuth = auth;
    return auth;
  };

  const dial = fromCallback<SocketCommand, DialInput, SocketEvent>(({ input, sendBack, receive }) => {
    const gen = input.gen;
    const auth = needAuth(input.auth);
    const wsUrl = `${config.wsUrl.replace(/\/+$/, '')}/${encodeURIComponent(auth.agentId)}`;
    const sock = new WttSocket({ url: wsUrl, token: auth.token?.reveal(), timeoutMs: tuning.socketTimeoutMs });
    let authed = false;
    let ended = false;
    const end = (ev: SocketEvent) => {
      if (ended) return;
      ended = true;
      sendBack(ev);
    };
    sock.on('open', () => sendBack({ type: 'SOCKET.OPENED', gen }));
    sock.on('frame', (frame) => sendBack({ type: 'SOCKET.FRAME', gen, frame }));
    sock.on('pong', () => sendBack({ type: 'SOCKET.ACTIVITY', gen }));
    sock.on('unknown', () => sendBack({ type: 'SOCKET.ACTIVITY', gen }));
    sock.on('invalid', (reason) => {
      intake.invalid(reason, 'frame');
      sendBack({ type: 'SOCKET.ACTIVITY', gen });
    });
    // Before auth, open() reports the failure (with the better reason).
    sock.on('close', (info) => {
      if (authed) end({ type: 'SOCKET.CLOSED', gen, code: info.code, reason: info.reason, clean: info.clean });
    });
    const ac = new AbortController();
    sock.open(ac.signal).then(
      () => {
        authed = true;
        sendBack({ type: 'SOCKET.AUTHENTICATED', gen });
      },
      (e: unknown) =>
        end({ type: 'SOCKET.FAILED', gen, reason: e instanceof Error ? e.message : String(e), code: e instanceof WttError ? e.code : undefined }),
    );
    receive((cmd) => {
      if (cmd.type === 'PING') sock.ping();
      else if (cmd.type === 'SOCKET.GET') {
        cmd.replyTo.send({ type: 'SOCKET.CURRENT', requestId: cmd.requestId, socket: sock.isOpen ? sock : undefined } satisfies SocketCurrent<WttSocket>);
      }
    });
    return () => {
      ended = true;
      ac.abort();
      sock.terminate();
    };
  });

  const catchUpActor = fromPromise<CatchUpResult, DialInput>(async ({ input, signal }) => {
    const api = apiFor(needAuth(input.auth));
    if (!features) features = await serverFeatures(api, signal);
    const r = await catchUp({ api, intake, store, log, signal, features, pageLimit: tuning.pageLimit });
    return { delivered: r.delivered };
  });

  const pollOnce = fromPromise<PollOnceResult, DialInput>(async ({ input, signal }) => {
    const api = apiFor(needAuth(input.auth));
    // Polling before the first catch-up ever ran (hub down at first start): start from now here too.
    const fresh = !isInitialized(store);
    const delivered = await drainPoll({ api, intake, log, signal, pageLimit: tuning.pageLimit, skipAll: fresh });
    if (fresh) markInitialized(store);
    return { delivered };
  });

  const attach = (ref: ConnectionActorRef): (() => void) => {
    const subs = [
      ref.on('frame', ({ frame }) => {
        if (frame.type === 'new_message') intake.enqueueLive(frame.message);
        else if (frame.type !== 'action_result') {
          try {
            opts.onFrame?.(frame);
          } catch (e) {
            log?.error({ err: e instanceof Error ? e.message : String(e), frame_type: frame.type }, 'frame listener failed');
          }
        }
      }),
      ref.on('poll.failed', ({ reason }) => log?.warn({ reason: scrubSecrets(reason, secretsOf(lastAuth)) }, 'poll failed; retrying at the next interval')),
      ref.on('buffer.overflow', ({ limit }) => log?.warn({ limit }, 'live frames overflowed the catch-up buffer; catching up again')),
      ref.on('auth.rejected', ({ reason }) =>
        log?.error({ reason: scrubSecrets(reason, secretsOf(lastAuth)) }, 'the WTT server refused this agent token: fix WTT_AGENT_TOKEN (or run `wtt config auto`); not retrying in a loop'),
      ),
    ];
    return () => {
      for (const s of subs) s.unsubscribe();
    };
  };

  return { logic: connectionMachine.provide({ actors: { dial, catchUp: catchUpActor, pollOnce } }), attach, apiFor };
}

/**
 * The connection alone (no actor system): `wtt tail` and the connection tests. Publishes each
 * visible status change once, to `onStatus` listeners.
 */
export class Link {
  readonly store: StateStore;
  readonly api: WttApi;
  readonly intake: Intake;
  private readonly ownsStore: boolean;
  private readonly log: Logger | undefined;
  private readonly actor: Actor<typeof connectionMachine>;
  private readonly listeners = new Set<StatusListener>();
  private current: ConnectionStatus | undefined;
  private started = false;
  private readonly secrets: ReadonlyArray<string | undefined>;
  private socketRequests = 0;

  constructor(opts: LinkOptions) {
    const { config } = opts;
    if (!config.agentId) throw new WttError('WTT_ERR_NO_AGENT', { message: 'no agent id: set WTT_AGENT_ID (and WTT_AGENT_TOKEN) or run `wtt config auto`' });
    const auth: ConnectionAuth = { agentId: config.agentId, token: Secret.of(config.agentToken) };
    this.log = opts.log;
    this.ownsStore = !opts.store;
    this.store = opts.store ?? StateStore.open({ stateDir: config.stateDir, log: opts.log });
    this.secrets = [config.agentToken, config.bearerToken];
    this.intake = new Intake({
      store: this.store,
      planner: opts.planner,
      onMessage: opts.onMessage,
      handOn: opts.handOn,
      log: opts.log,
      secrets: this.secrets,
      onHeldBack: () => this.actor.send({ type: 'RESYNC' }),
    });
    if (config.livenessMs <= config.heartbeatMs) {
      this.log?.warn(
        { heartbeatMs: config.heartbeatMs, livenessMs: config.livenessMs },
        'WTT_LIVENESS_S is not longer than WTT_HEARTBEAT_S: the link will be declared dead before a pong can arrive',
      );
    }
    const wiring = connectionWiring({ config, store: this.store, intake: this.intake, onFrame: opts.onFrame, log: opts.log, tuning: opts.tuning });
    this.api = opts.api ?? wiring.apiFor(auth);
    this.actor = createActor(wiring.logic, {
      input: connectionInput(config, opts.tuning ?? {}, opts.random ?? Math.random, auth),
      systemId: 'connection',
    });
    wiring.attach(this.actor);
    this.actor.subscribe({
      next: (snap) => this.publish(connectionStatus(snap)),
      error: (e) => this.log?.error({ err: e instanceof Error ? e.message : String(e) }, 'connection actor failed'),
      complete: () => this.publish({ state: 'stopped' }),
    });
  }

  private publish(status: ConnectionStatus): void {
    // Reasons come from servers (close reasons, error details): never let a credential through.
    const s = 'reason' in status && status.reason ? { ...status, reason: scrubSecrets(status.reason, this.secrets) } : status;
    if (sameStatus(this.current, s)) return;
    this.current = s;
    for (const l of [...this.listeners]) {
      try {
        l(s);
      } catch (e) {
        this.log?.error({ err: e instanceof Error ? e.message : String(e) }, 'status listener failed');
      }
    }
  }

  /** The authenticated socket, asked of the connection actor by event (undefined when not live). */
  socket(timeoutMs = 1_000): Promise<WttSocket | undefined> {
    const requestId = `link-${++this.socketRequests}`;
    return new Promise((resolve) => {
      const replyTo = createActor(
        fromCallback<SocketCurrent<WttSocket>>(({ receive }) => {
          receive((e) => finish(e.socket));
        }),
      ).start();
      const t = setTimeout(() => finish(undefined), timeoutMs);
      const finish = (s: WttSocket | undefined) => {
        clearTimeout(t);
        replyTo.stop();
        resolve(s);
      };
      this.actor.send({ type: 'SOCKET.GET', requestId, replyTo });
    });
  }

  get status(): ConnectionStatus | undefined {
    return this.current;
  }

  get counts(): Readonly<IntakeCounts> {
    return this.intake.counts;
  }

  /** Listen to status changes; returns the unsubscribe function. */
  onStatus(l: StatusListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Resolves when `status` satisfies `pred` (now or later); rejects after `timeoutMs`. */
  waitForStatus(pred: (s: ConnectionStatus) => boolean, timeoutMs: number): Promise<ConnectionStatus> {
    if (this.current && pred(this.current)) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        off();
        reject(new Error(`connection status not reached within ${timeoutMs} ms (now ${JSON.stringify(this.current)})`));
      }, timeoutMs);
      const off = this.onStatus((s) => {
        if (!pred(s)) return;
        clearTimeout(t);
        off();
        resolve(s);
      });
    });
  }

  start(): this {
    if (this.started) return this;
    this.started = true;
    this.actor.start();
    return this;
  }

  /** Stop the machine, close the socket and (if it opened it) the store. */
  async stop(): Promise<void> {
    if (this.actor.getSnapshot().status === 'active') {
      this.actor.send({ type: 'STOP' });
      this.actor.stop();
    }
    this.intake.close();
    this.publish({ state: 'stopped' });
    if (this.ownsStore) this.store.close();
  }
}
