/**
 * WebSocket `/ws/{agent_id}` (wtt-protocol.md §4): text ping → pong, the `auth` frame, every action
 * answered with an `action_result` echoing `request_id`, pushes to authenticated sockets only.
 * A bad frame gets `ok:false` with a reason; it never closes the socket or crashes the hub.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { AgentId, parseClientFrame, PONG, TopicCreateBody, type ClientAction } from '../protocol/index.js';
import { WS_CLOSE, type Connection } from './connections.js';
import type { HubContext } from './context.js';
import { HubError } from './core.js';
import type { HubErrorCode } from './errors.js';
import { describeIssues } from './http.js';
import { depthMessage, jsonDepth, requestIdOf } from './json-guard.js';
import { DEFAULT_POLL_LIMIT, history, MAX_POLL_LIMIT, p2p, publish } from './ops.js';
import { TokenBucket } from './rate-limit.js';

export { WS_CLOSE } from './connections.js';

export const AUTH_REQUIRED = 'authentication required: send {"action":"auth","token":"<agent_token>"} first';

export interface WsState {
  closing: boolean;
}

export const NOT_A_WEBSOCKET = 'this is the WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)';

export function wsRoutes(app: FastifyInstance, ctx: HubContext, state: WsState): void {
  app.route({
    method: 'GET',
    url: '/ws/:agent_id',
    // A plain HTTP GET (no upgrade) gets a readable answer instead of an empty 404.
    handler: async () => {
      throw new HubError(426, NOT_A_WEBSOCKET, { Upgrade: 'websocket', Connection: 'Upgrade' });
    },
    wsHandler: (socket, req) => onSocket(ctx, state, socket, req),
  });
}

function onSocket(ctx: HubContext, state: WsState, socket: WebSocket, req: FastifyRequest): void {
  const raw = (req.params as { agent_id?: unknown }).agent_id;
  const id = AgentId.safeParse(raw);
  if (!id.success) {
    socket.close(WS_CLOSE.invalidPath, 'invalid agent id in path');
    return;
  }
  giveTooBigAReason(socket, ctx.limits.maxBodyBytes);
  const legacy = ctx.auth.mode === 'legacy';
  if (legacy && !ctx.conns.hasRoom(id.data)) {
    socket.close(WS_CLOSE.tooManySockets, tooManySockets(id.data, ctx.limits.maxSocketsPerAgent));
    return;
  }
  if (legacy) ctx.agents.ensureLegacy(id.data);
  const conn: Connection = { agentId: id.data, socket, authed: legacy, alive: true };
  ctx.conns.add(conn);
  const log = ctx.core.log.child({ systemId: 'hub-ws', agent_id: conn.agentId });
  const frames = new TokenBucket(ctx.limits.wsFrameRate, ctx.limits.wsFrameBurst, ctx.clock.nowMs);

  let authTimer: NodeJS.Timeout | undefined;
  if (!legacy) {
    authTimer = setTimeout(() => {
      if (conn.authed || socket.readyState !== socket.OPEN) return;
      reply(ctx, socket, { ok: false, error: `${AUTH_REQUIRED} (timed out)`, code: 'unauthenticated' });
      socket.close(WS_CLOSE.unauthenticated, 'authentication timeout');
    }, ctx.limits.wsAuthTimeoutMs);
    authTimer.unref();
  }

  socket.on('message', (data, isBinary) => {
    conn.alive = true;
    if (state.closing || socket.readyState !== socket.OPEN) return;
    if (isBinary) {
      reply(ctx, socket, { ok: false, error: 'binary frames are not supported; send JSON text', code: 'bad_request' });
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const seen: { request_id?: string | undefined } = {};
    try {
      if (!frames.take()) {
        reply(ctx, socket, {
          request_id: requestIdOf(text),
          ok: false,
          error: `frame rate limit exceeded (${ctx.limits.wsFrameRate} frames per s per connection, burst ${ctx.limits.wsFrameBurst}; limit wsFrameRate)`,
          status: 429,
          code: 'frame_rate',
          retry_after: 1,
        });
        return;
      }
      onText(ctx, conn, text, seen, () => clearTimeout(authTimer));
    } catch (err) {
      log.error({ err }, 'websocket frame handling failed');
      reply(ctx, socket, { request_id: seen.request_id ?? requestIdOf(text), ok: false, error: 'internal error', status: 500, code: 'internal' });
    }
  });
  socket.on('close', () => {
    clearTimeout(authTimer);
    ctx.conns.remove(conn);
  });
  socket.on('error', (err) => log.debug({ err: { message: err.message } }, 'websocket error'));
}

const tooManySockets = (agentId: string, max: number): string =>
  `too many sockets for agent ${agentId} (limit ${max}, maxSocketsPerAgent)`.slice(0, 120);

function onText(ctx: HubContext, conn: Connection, text: string, seen: { request_id?: string | undefined }, authenticated: () => void): void {
  if (text !== 'ping' && text !== 'pong' && jsonDepth(text, ctx.limits.maxJsonDepth) > ctx.limits.maxJsonDepth) {
    reply(ctx, conn.socket, { request_id: requestIdOf(text), ok: false, error: depthMessage('frame', ctx.limits.maxJsonDepth), status: 400, code: 'json_too_deep' });
    return;
  }
  const area = areaAction(ctx, conn.agentId, text);
  if (area) {
    seen.request_id = area.request_id;
    perform(ctx, conn, area.request_id, area.frame, area.run);
    return;
  }
  const parsed = parseClientFrame(text);
  if (parsed.kind === 'ping') {
    ctx.conns.sendText(conn.socket, PONG);
    return;
  }
  if (parsed.kind === 'pong') return;
  if (parsed.kind === 'invalid') {
    reply(ctx, conn.socket, { request_id: parsed.request_id, ok: false, error: parsed.reason, code: 'validation_failed' });
    return;
  }
  const action = parsed.action;
  const request_id = action.request_id;
  seen.request_id = request_id;
  if (action.action === 'auth') {
    onAuth(ctx, conn, action.token, request_id, authenticated);
    return;
  }
  perform(ctx, conn, request_id, action as Record<string, unknown>, () => runAction(ctx, conn.agentId, action));
}

/** An area's action (src/hub/ws-actions.ts) named by this frame, with the frame, if it is one. */
function areaAction(ctx: HubContext, agentId: string, text: string): { frame: Record<string, unknown>; request_id: string | undefined; run: () => unknown } | undefined {
  if (ctx.wsActions.names.length === 0 || !text.startsWith('{')) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const frame = raw as Record<string, unknown>;
  const runner = ctx.wsActions.get(frame.action);
  if (!runner) return undefined;
  return { frame, request_id: typeof frame.request_id === 'string' ? frame.request_id : undefined, run: () => runner(agentId, frame) };
}

/** Runs an action of an authenticated socket (core or area): act-as check, rate limit, one `action_result`. */
function perform(ctx: HubContext, conn: Connection, request_id: string | undefined, frame: Record<string, unknown>, run: () => unknown): void {
  if (!conn.authed) {
    reply(ctx, conn.socket, { request_id, ok: false, error: AUTH_REQUIRED, code: 'unauthenticated' });
    return;
  }
  if (ctx.limiter) {
    const wait = ctx.limiter.hit(`agent:${conn.agentId}`);
    if (wait > 0) {
      reply(ctx, conn.socket, { request_id, ok: false, error: `rate limit exceeded (${ctx.limiter.describe()}); retry after ${wait} s`, retry_after: wait, code: 'rate_limited' });
      return;
    }
  }
  try {
    for (const key of ['agent_id', 'sender_id'] as const) {
      const named = frame[key];
      if (typeof named === 'string' && named !== '' && named !== conn.agentId) {
        throw new HubError(403, `this connection is agent ${conn.agentId}; it cannot act as agent ${named}`);
      }
    }
    const data = run();
    if (data instanceof Paged) reply(ctx, conn.socket, { request_id, ok: true, data: data.items, truncated: true, omitted: data.omitted });
    else reply(ctx, conn.socket, { request_id, ok: true, data });
  } catch (err) {
    if (err instanceof HubError) {
      reply(ctx, conn.socket, { request_id, ok: false, error: err.message, status: err.status, code: err.code });
      return;
    }
    throw err;
  }
}

function onAuth(ctx: HubContext, conn: Connection, token: string, request_id: string | undefined, authenticated: () => void): void {
  const p = ctx.auth.resolveToken(token);
  if (!p) {
    reply(ctx, conn.socket, { request_id, ok: false, error: 'invalid or expired token', code: 'unauthenticated' });
    conn.socket.close(WS_CLOSE.unauthenticated, 'invalid token');
    return;
  }
  const agentId = p.kind === 'agent' ? p.agentId : ctx.agents.agentOfUser(p.userId, conn.agentId);
  if (agentId !== conn.agentId) {
    reply(ctx, conn.socket, { request_id, ok: false, error: `this token does not belong to agent ${conn.agentId}`, code: 'forbidden' });
    conn.socket.close(WS_CLOSE.forbidden, 'token belongs to another agent');
    return;
  }
  if (!conn.authed && !ctx.conns.hasRoom(conn.agentId, conn)) {
    const why = tooManySockets(conn.agentId, ctx.limits.maxSocketsPerAgent);
    reply(ctx, conn.socket, { request_id, ok: false, error: why, status: 429, code: 'too_many_sockets' });
    conn.socket.close(WS_CLOSE.tooManySockets, why);
    return;
  }
  conn.authed = true;
  authenticated();
  const profile = ctx.agents.get(conn.agentId);
  reply(ctx, conn.socket, {
    request_id,
    ok: true,
    data: { authenticated: true, agent_id: conn.agentId, agent_display_name: profile?.display_name ?? conn.agentId },
  });
}

function runAction(ctx: HubContext, agentId: string, a: Exclude<ClientAction, { action: 'auth' }>): unknown {
  switch (a.action) {
    case 'list':
      return ctx.topics.listPublic(a.limit ?? 100, agentId);
    case 'find':
      return ctx.topics.search(a.query.trim(), 100, agentId);
    case 'join':
      return ctx.topics.join(a.topic_id, agentId);
    case 'leave':
      return ctx.topics.leave(a.topic_id, agentId);
    case 'subscribed':
      return ctx.topics.subscribed(agentId, 1000);
    case 'detail':
      return ctx.topics.visible(a.topic_id, agentId);
    case 'publish': {
      const metadata = (a as Record<string, unknown>).metadata;
      return publish(ctx, agentId, {
        topic_id: a.topic_id,
        content: a.content,
        content_type: a.content_type,
        semantic_type: a.semantic_type,
        reply_to: a.reply_to,
        encrypted: a.encrypted,
        metadata: typeof metadata === 'string' || (typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)) ? (metadata as Record<string, unknown> | string) : null,
      });
    }
    case 'poll': {
      const limit = a.limit ?? DEFAULT_POLL_LIMIT;
      if (limit > MAX_POLL_LIMIT) throw new HubError(422, `limit must be a whole number from 1 to ${MAX_POLL_LIMIT}, got ${limit}`);
      return ctx.messages.poll(agentId, limit);
    }
    case 'p2p': {
      const target = a.target_agent_id ?? a.target_id;
      if (!target) throw new HubError(422, 'p2p: target_agent_id (or target_id) is required');
      return p2p(ctx, agentId, { target, content: a.content, encrypted: a.encrypted });
    }
    case 'history': {
      const page = history(ctx, agentId, a.topic_id, { limit: a.limit ?? 100, offset: 0, before: a.before_id, after: a.after_id });
      return page.omitted > 0 ? new Paged(page.messages, page.omitted) : page.messages;
    }
    case 'typing': {
      const topic = ctx.topics.get(a.topic_id);
      if (!topic) throw new HubError(404, `topic ${a.topic_id} not found`);
      if (!ctx.topics.isMember(a.topic_id, agentId)) throw new HubError(403, `agent ${agentId} is not a member of topic ${a.topic_id}`);
      const others = ctx.topics.members(a.topic_id).filter((m) => m !== agentId);
      ctx.conns.send(others, {
        type: 'typing',
        topic_id: a.topic_id,
        agent_id: agentId,
        agent_display_name: ctx.agents.get(agentId)?.display_name ?? null,
        state: a.state,
        ttl_ms: a.ttl_ms ?? 6000,
        ts: ctx.clock.iso(),
      });
      return { ok: true, topic_id: a.topic_id, state: a.state };
    }
    case 'create': {
      const body = TopicCreateBody.safeParse(a);
      if (!body.success) throw new HubError(422, describeIssues(body.error, 'create'));
      return ctx.topics.createByAgent(agentId, body.data);
    }
  }
}

/** An action's list answer cut at `maxResponseBytes`: the result frame carries `truncated` and `omitted` beside `data`. */
class Paged {
  constructor(
    readonly items: unknown[],
    readonly omitted: number,
  ) {}
}

function reply(
  ctx: HubContext,
  socket: WebSocket,
  r: { request_id?: string | undefined; ok: boolean; data?: unknown; error?: string; code?: HubErrorCode; [k: string]: unknown },
): void {
  if (socket.readyState !== socket.OPEN) return;
  ctx.conns.sendText(socket, JSON.stringify({ type: 'action_result', ...r, request_id: r.request_id ?? null }));
}

/**
 * `ws` closes a socket whose frame exceeds `maxPayload` with code 1009 and no reason; give the
 * client a readable one.
 */
function giveTooBigAReason(socket: WebSocket, maxBytes: number): void {
  const close = socket.close.bind(socket);
  socket.close = (code?: number, reason?: string | Buffer) =>
    close(code, code === WS_CLOSE.tooBig && (reason === undefined || reason.length === 0) ? `frame larger than ${maxBytes} bytes` : reason);
}
