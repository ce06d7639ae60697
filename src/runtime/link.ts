/**
 * The link: the connection machine wired to the real WttSocket, WttApi, state store and intake.
 * Used by `wtt tail` now and by the daemon later.
 *
 *   const link = new Link({ config, onMessage: (m) => … });
 *   link.onStatus((s) => …);   // or: for await (const s of link.status()) …
 *   link.start();  …  await link.stop();
 */
import { createActor, fromCallback, fromPromise, type Actor } from 'xstate';
import {
  connectionMachine,
  connectionStatus,
  sameStatus,
  type CatchUpResult,
  type ConnectionInput,
  type ConnectionStatus,
  type PollOnceResult,
  type SocketCommand,
  type SocketEvent,
} from '../../machines/connection.machine.js';
import type { ServerFrame } from '../protocol/index.js';
import { WttApi } from '../client/api.js';
import { WttSocket } from '../client/socket.js';
import { WttError } from '../errors.js';
import type { Config } from '../config.js';
import { scrubSecrets, type Logger } from '../log.js';
import { StateStore } from './store.js';
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
  /** Each message, exactly once (synchronous hand-on). */
  onMessage: MessageSink;
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
): ConnectionInput {
  return {
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

export class Link {
  readonly store: StateStore;
  readonly api: WttApi;
  readonly intake: Intake;
  private readonly ownsStore: boolean;
  private readonly log: Logger | undefined;
  private readonly actor: Actor<typeof connectionMachine>;
  private readonly listeners = new Set<StatusListener>();
  private current: ConnectionStatus | undefined;
  private liveSocket: WttSocket | undefined;
  private features: readonly string[] | undefined;
  private started = false;
  private readonly secrets: ReadonlyArray<string | undefined>;
  private readonly stoppedPromise: Promise<void>;
  private resolveStopped!: () => void;
  /** Every status published, in order (bounded; for tests and `wtt status`). */
  readonly history: ConnectionStatus[] = [];

  constructor(opts: LinkOptions) {
    const { config } = opts;
    if (!config.agentId) throw new WttError('WTT_ERR_NO_AGENT', { message: 'no agent id: set WTT_AGENT_ID (and WTT_AGENT_TOKEN) or run `wtt config auto`' });
    const agentId = config.agentId;
    this.log = opts.log;
    this.ownsStore = !opts.store;
    this.store = opts.store ?? StateStore.open({ stateDir: config.stateDir, log: opts.log });
    this.api =
      opts.api ??
      new WttApi({ apiUrl: config.apiUrl, agentId, agentToken: config.agentToken, bearerToken: config.bearerToken, timeoutMs: config.httpTimeoutMs });
    this.secrets = [config.agentToken, config.bearerToken];
    this.intake = new Intake({ store: this.store, onMessage: opts.onMessage, log: opts.log, secrets: this.secrets });
    if (config.livenessMs <= config.heartbeatMs) {
      this.log?.warn(
        { heartbeatMs: config.heartbeatMs, livenessMs: config.livenessMs },
        'WTT_LIVENESS_S is not longer than WTT_HEARTBEAT_S: the link will be declared dead before a pong can arrive',
      );
    }
    this.stoppedPromise = new Promise((r) => (this.resolveStopped = r));
    const tuning = opts.tuning ?? {};
    const wsUrl = `${config.wsUrl.replace(/\/+$/, '')}/${encodeURIComponent(agentId)}`;

    const dial = fromCallback<SocketCommand, { gen: number }, SocketEvent>(({ input, sendBack, receive }) => {
      const gen = input.gen;
      const sock = new WttSocket({ url: wsUrl, token: config.agentToken, timeoutMs: tuning.socketTimeoutMs });
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
        this.intake.invalid(reason, 'frame');
        sendBack({ type: 'SOCKET.ACTIVITY', gen });
      });
      // Before auth, open() reports the failure (with the better reason).
      sock.on('close', (info) => {
        if (this.liveSocket === sock) this.liveSocket = undefined;
        if (authed) end({ type: 'SOCKET.CLOSED', gen, code: info.code, reason: info.reason, clean: info.clean });
      });
      const ac = new AbortController();
      sock.open(ac.signal).then(
        () => {
          authed = true;
          this.liveSocket = sock;
          sendBack({ type: 'SOCKET.AUTHENTICATED', gen });
        },
        (e: unknown) => end({ type: 'SOCKET.FAILED', gen, reason: e instanceof Error ? e.message : String(e) }),
      );
      receive((cmd) => {
        if (cmd.type === 'PING') sock.ping();
      });
      return () => {
        ended = true;
        ac.abort();
        if (this.liveSocket === sock) this.liveSocket = undefined;
        sock.terminate();
      };
    });

    const catchUpActor = fromPromise<CatchUpResult, { gen: number }>(async ({ signal }) => {
      if (!this.features) this.features = await serverFeatures(this.api, signal);
      const r = await catchUp({ api: this.api, intake: this.intake, store: this.store, log: this.log, signal, features: this.features, pageLimit: tuning.pageLimit });
      return { delivered: r.delivered };
    });

    const pollOnce = fromPromise<PollOnceResult, void>(async ({ signal }) => {
      // Polling before the first catch-up ever ran (hub down at first start): start from now here too.
      const fresh = !isInitialized(this.store);
      const delivered = await drainPoll({ api: this.api, intake: this.intake, log: this.log, signal, pageLimit: tuning.pageLimit, skipAll: fresh });
      if (fresh) markInitialized(this.store);
      return { delivered };
    });

    const machine = connectionMachine.provide({ actors: { dial, catchUp: catchUpActor, pollOnce } });
    this.actor = createActor(machine, {
      input: connectionInput(config, tuning, opts.random ?? Math.random),
      systemId: 'connection',
    });
    this.actor.on('frame', ({ frame }) => {
      if (frame.type === 'new_message') this.intake.accept(frame.message, 'live');
      else if (frame.type !== 'action_result') {
        try {
          opts.onFrame?.(frame);
        } catch (e) {
          this.log?.error({ err: e instanceof Error ? e.message : String(e), frame_type: frame.type }, 'frame listener failed');
        }
      }
    });
    this.actor.on('poll.failed', ({ reason }) => this.log?.warn({ reason: scrubSecrets(reason, this.secrets) }, 'poll failed; retrying at the next interval'));
    this.actor.on('buffer.overflow', ({ limit }) => this.log?.warn({ limit }, 'live frames overflowed the catch-up buffer; catching up again'));
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
    this.history.push(s);
    if (this.history.length > 10_000) this.history.splice(0, this.history.length - 10_000);
    for (const l of [...this.listeners]) {
      try {
        l(s);
      } catch (e) {
        this.log?.error({ err: e instanceof Error ? e.message : String(e) }, 'status listener failed');
      }
    }
  }

  /** The socket while the link is authenticated (for WS-first commands), else undefined. */
  get socket(): WttSocket | undefined {
    return this.liveSocket?.isOpen ? this.liveSocket : undefined;
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

  /** Status changes as an async iterable (each caller gets its own queue; ends at stop). */
  statusStream(): AsyncIterable<ConnectionStatus> {
    const queue: ConnectionStatus[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const off = this.onStatus((s) => {
      queue.push(s);
      if (s.state === 'stopped') done = true;
      wake?.();
    });
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<ConnectionStatus>> => {
          while (queue.length === 0 && !done) await new Promise<void>((r) => (wake = r));
          const v = queue.shift();
          if (v === undefined) {
            off();
            return { value: undefined, done: true };
          }
          return { value: v, done: false };
        },
        return: async (): Promise<IteratorResult<ConnectionStatus>> => {
          off();
          return { value: undefined, done: true };
        },
      }),
    };
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
    this.publish({ state: 'stopped' });
    if (this.ownsStore) this.store.close();
    this.resolveStopped();
  }

  /** Resolves once `stop()` has finished. */
  closed(): Promise<void> {
    return this.stoppedPromise;
  }
}
