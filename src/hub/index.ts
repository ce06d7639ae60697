/**
 * `buildHub(opts)`: the local WTT hub (REST + WebSocket on SQLite), unstarted. `listen()` starts it,
 * `close()` closes sockets, the server and the database.
 */
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { Agents } from './agents.js';
import { DEFAULT_AREAS } from './areas.js';
import { Auth } from './auth.js';
import { makeClock } from './clock.js';
import { Connections } from './connections.js';
import type { HubContext } from './context.js';
import { HubError, type AuthMode, type HubArea, type HubCore } from './core.js';
import { openHubDb } from './db.js';
import { installErrorHandling, installJsonParser } from './http.js';
import { installZodSchemas } from './zod-schemas.js';
import { capConnectionsPerAddress } from './address-cap.js';
import { resolveLimits, type HubLimits } from './limits.js';
import { GroupCommit } from './group-commit.js';
import { Messages } from './messages.js';
import { publish } from './ops.js';
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { agentBindingRoutes } from './routes/agent-bindings.js';
import { agentRoutes } from './routes/agents.js';
import { claimedFrom } from './routes/claimed.js';
import { healthRoutes } from './routes/health.js';
import { messageRoutes } from './routes/messages.js';
import { topicRoutes } from './routes/topics.js';
import { loadOrCreateSecret } from './secrets.js';
import { Topics } from './topics.js';
import { WS_CLOSE, wsRoutes, type WsState } from './ws.js';
import { WsActions } from './ws-actions.js';
import { registerCoreWsActions } from './ws-core-actions.js';

export { HubError, type AuthMode, type HubArea, type HubCore } from './core.js';
export { DEFAULT_AREAS } from './areas.js';
export { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit.js';
export { DEFAULT_LIMITS, LIMIT_FLAGS, type HubLimits } from './limits.js';
export { HUB_ERRORS, type HubErrorCode } from './errors.js';
export { PagedAnswer, type WsActionDef } from './ws-actions.js';

export const DEFAULT_HOST = '127.0.0.1';
/** A socket that has not sent a valid `auth` frame within this time is closed (4401) in `required` mode. */
export const DEFAULT_WS_AUTH_TIMEOUT_MS = 10_000;

export interface HubOptions {
  /** Where `hub.sqlite` and `hub.secret` live (created if missing). */
  dataDir: string;
  /** `required` (default): agent calls need a token. `legacy`: unauthenticated calls naming `agent_id`/`sender_id` are trusted. */
  authMode?: AuthMode;
  /** Per agent (or per IP when anonymous); default 6000 per 60 s; `false` turns it off. */
  rateLimit?: RateLimitOptions | false;
  /** A pino logger; default silent. */
  logger?: Logger | false;
  /** Feature areas; default `DEFAULT_AREAS`. */
  areas?: HubArea[];
  /** The hub's clock in epoch ms (tests move it to expire claim codes); default `Date.now`. */
  now?: () => number;
  /** Default 10 000 ms (same as `limits.wsAuthTimeoutMs`). */
  wsAuthTimeoutMs?: number;
  /** Any of the limits of src/hub/limits.ts; the rest keep their defaults. */
  limits?: Partial<HubLimits>;
}

export interface Hub {
  readonly core: HubCore;
  listen(o?: { host?: string; port?: number }): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  /** Closes every open socket of the agent with a normal close frame; returns how many. */
  disconnectAgent(agentId: string, code?: number, reason?: string): number;
  /** Open sockets of one agent, or of all. */
  connections(agentId?: string): number;
  /** Every route the hub serves (core and areas), `HEAD` left out. */
  readonly routes: readonly HubRoute[];
}

export interface HubRoute {
  readonly method: string;
  readonly url: string;
  /** The statuses its `schema.response` declares (`2xx`, `426`, …; src/hub/responses.ts). */
  readonly responses: readonly string[];
}

export async function buildHub(opts: HubOptions): Promise<Hub> {
  if (typeof opts.dataDir !== 'string' || opts.dataDir.trim() === '') throw new TypeError('buildHub: dataDir must be a non-empty path');
  const authMode = opts.authMode ?? 'required';
  if (authMode !== 'required' && authMode !== 'legacy') throw new TypeError(`buildHub: authMode must be 'required' or 'legacy', got '${String(authMode)}'`);
  const limits = resolveLimits({ ...(opts.wsAuthTimeoutMs !== undefined ? { wsAuthTimeoutMs: opts.wsAuthTimeoutMs } : {}), ...opts.limits });
  const log = opts.logger ? opts.logger.child({ systemId: 'hub' }) : pino({ level: 'silent' });
  const clock = makeClock(opts.now);
  const limiter = opts.rateLimit === false ? undefined : new RateLimiter(opts.rateLimit ?? DEFAULT_RATE_LIMIT, clock.nowMs);

  const db = openHubDb(opts.dataDir);
  try {
    const secret = loadOrCreateSecret(opts.dataDir);
    const app = Fastify({
      // A pino Logger is a FastifyBaseLogger; typing it so keeps `app` a plain FastifyInstance.
      loggerInstance: log as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: limits.maxBodyBytes,
      routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
      // Timeouts for a server that faces strangers (src/hub/limits.ts).
      connectionTimeout: limits.idleTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      http: { headersTimeout: limits.headersTimeoutMs, requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs) },
    });
    capConnectionsPerAddress(app.server, limits.maxConnectionsPerAddress, log, limits.connectionCapExempt);
    const routes: HubRoute[] = [];
    app.addHook('onRoute', (r) => {
      const responses = Object.keys((r.schema?.response ?? {}) as Record<string, unknown>);
      for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url, responses });
    });
    // allowSynchronousEvents: false makes ws hand over one frame per turn of the event loop, so one
    // socket's burst does not hold up the others.
    await app.register(websocket, { options: { maxPayload: limits.maxBodyBytes, allowSynchronousEvents: false } });
    installErrorHandling(app, log);
    installJsonParser(app, limits.maxJsonDepth);
    installZodSchemas(app);

    const conns = new Connections(limits, log);
    const agents = new Agents(db, clock, secret);
    const topics = new Topics(db, clock);
    const messages = new Messages(db, clock, topics, (ids, frame) => conns.send(ids, frame), limits.maxResponseBytes);
    const auth = new Auth(authMode, agents, secret, clock);
    const publishes = new GroupCommit(db, messages);

    const wsActions = new WsActions();
    const core: HubCore = {
      db,
      app,
      log,
      dataDir: opts.dataDir,
      authMode,
      limits,
      now: clock.iso,
      auth: {
        callerAgent: (req, claimed) => auth.callerAgent(req, claimed),
        optionalCallerAgent: (req, claimed) => auth.optionalCallerAgent(req, claimed),
        agentExists: (id) => agents.exists(id),
      },
      topics: {
        get: (id) => topics.get(id),
        create: (t) => topics.create(t),
        remove: (id) => topics.remove(id),
        addMember: (topicId, agentId, role) => topics.addMember(topicId, agentId, role),
        removeMember: (topicId, agentId) => topics.removeMember(topicId, agentId),
        members: (id) => topics.members(id),
        isMember: (topicId, agentId) => topics.isMember(topicId, agentId),
        p2pTopic: (a, b) => topics.p2pTopic(a, b),
        listPublic: (limit) => topics.listPublic(limit),
        join: (topicId, agentId) => topics.join(topicId, agentId),
      },
      messages: {
        post: (m) => messages.post(m),
        publish: (agentId, input) => publish({ topics, messages }, agentId, input),
        history: (topicId, limit) => messages.history(topicId, { limit, offset: 0 }),
        historyPage: (topicId, limit, maxBytes, before) => messages.historyPage(topicId, { limit, offset: 0, before }, undefined, maxBytes),
      },
      push: { toAgents: (ids, frame) => void conns.send(ids, frame) },
      ws: { action: (name, def) => wsActions.register(name, def) },
    };
    const ctx: HubContext = { core, agents, topics, messages, publishes, auth, conns, limiter, clock, limits, wsActions };
    const wsState: WsState = { closing: false };

    // The one place a request's credential is resolved: handlers and areas read it through `core.auth`.
    app.decorateRequest('principal', undefined);
    app.addHook('onRequest', async (req) => {
      req.principal = auth.identify(req);
    });
    if (limiter) {
      // Before validation, so that a caller over its budget is told so whatever it sends.
      app.addHook('preValidation', async (req) => {
        if (req.ws || req.routeOptions.url === '/health') return;
        const wait = limiter.hit(auth.rateKey(req, claimedFrom(req, 'agent_id', 'sender_id')));
        if (wait > 0) {
          throw new HubError(429, `rate limit exceeded (${limiter.describe()}); retry after ${wait} s`, { 'Retry-After': String(wait) });
        }
      });
    }
    // One line per request at debug level only; at other levels the hook is not installed at all
    // (an async hook per request costs a promise and a timer read on the publish path).
    if (log.isLevelEnabled('debug')) {
      app.addHook('onResponse', async (req, reply) => {
        log.debug({ method: req.method, route: req.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
      });
    }

    // The core: decorates the root with itself (`app.hub`), then serves its own routes from one
    // encapsulated plugin, like every area after it. Each area's hooks, parsers and decorations stay
    // its own; all inherit the root's error handling, JSON parser, credential hook and rate limit.
    app.decorate('hub', core);
    await app.register(async (scope) => {
      healthRoutes(scope);
      agentRoutes(scope, ctx);
      agentBindingRoutes(scope, ctx);
      topicRoutes(scope, ctx);
      messageRoutes(scope, ctx);
      wsRoutes(scope, ctx, wsState);
      registerCoreWsActions(ctx);
    });
    for (const area of opts.areas ?? DEFAULT_AREAS) {
      await app.register(async (scope) => {
        await area({ ...core, app: scope });
      });
    }
    await app.ready();
    conns.startHeartbeat();

    let closed: Promise<void> | undefined;
    return {
      core,
      async listen(o = {}) {
        const host = o.host ?? DEFAULT_HOST;
        await app.listen({ host, port: o.port ?? 0 });
        const port = (app.server.address() as AddressInfo).port;
        const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
        log.info({ url }, 'hub listening');
        return { url, port };
      },
      close() {
        closed ??= (async () => {
          wsState.closing = true;
          conns.stopHeartbeat();
          conns.closeAll(WS_CLOSE.goingAway, 'hub shutting down');
          try {
            await app.close();
          } finally {
            // Publishes queued for a commit that has not run yet are committed (and answered) first.
            publishes.flush();
            db.close();
          }
        })();
        return closed;
      },
      disconnectAgent: (agentId, code = WS_CLOSE.normal, reason = 'closed by hub') => conns.closeAgent(agentId, code, reason),
      connections: (agentId) => conns.count(agentId),
      routes,
    };
  } catch (e) {
    db.close();
    throw e;
  }
}
