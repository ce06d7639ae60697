/**
 * WebSocket `/ws/{agent_id}` (wtt-protocol.md §4): text ping → pong, the `auth` frame, every action
 * answered with an `action_result` echoing `request_id`, pushes to authenticated sockets only.
 * A bad frame gets `ok:false` with a reason; it never closes the socket or crashes the hub.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { AgentId, PING, PONG } from '../protocol/index.js';
import { WS_CLOSE, type Connection } from './connections.js';
import type { HubContext } from './context.js';
import { HubError } from './core.js';
import type { HubErrorCode } from './errors.js';
import { depthMessage, jsonDepth, requestIdOf } from './json-guard.js';
import { areaRefusal, PagedAnswer, protocolReason } from './ws-actions.js';
import { frameSchema } from './ws-core-actions.js';
import { TokenBucket } from './rate-limit.js';
import { ErrorReply } from './responses.js';

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
    // The socket's frames are described in src/protocol/frames.ts; over plain HTTP it only refuses.
    schema: { response: { 426: ErrorReply } },
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
  if (text === PING) {
    ctx.conns.sendText(conn.socket, PONG);
    return;
  }
  if (text === PONG) return;
  if (jsonDepth(text, ctx.limits.maxJsonDepth) > ctx.limits.maxJsonDepth) {
    reply(ctx, conn.socket, { request_id: requestIdOf(text), ok: false, error: depthMessage('frame', ctx.limits.maxJsonDepth), status: 400, code: 'json_too_deep' });
    return;
  }
  const frame = frameObject(text);
  if (typeof frame === 'string') {
    reply(ctx, conn.socket, { ok: false, error: frame, code: 'validation_failed' });
    return;
  }
  const request_id = typeof frame.request_id === 'string' ? frame.request_id : undefined;
  const invalid = (reason: string): void => reply(ctx, conn.socket, { request_id, ok: false, error: reason, code: 'validation_failed' });
  // Android's stale doc says {"type":"auth"}; accept it as the auth action.
  if (frame.action === undefined && frame.type === 'auth') frame.action = 'auth';
  if (typeof frame.action !== 'string') return invalid('frame has no action');
  if (frame.action === 'auth') {
    const auth = AUTH_FRAME.safeParse(frame);
    if (!auth.success) return invalid(protocolReason('auth', auth.error));
    seen.request_id = auth.data.request_id;
    onAuth(ctx, conn, auth.data.token, auth.data.request_id, authenticated);
    return;
  }
  const action = ctx.wsActions.get(frame.action);
  if (!action) return invalid(`unknown action '${frame.action}'`);
  if (action.kind === 'protocol') {
    // The core's frames are checked on arrival, as the original hub does (§4.4).
    const r = action.schema.safeParse(frame);
    if (!r.success) return invalid(protocolReason(action.name, r.error));
    seen.request_id = request_id;
    perform(ctx, conn, request_id, frame, () => action.run(conn.agentId, r.data));
    return;
  }
  seen.request_id = request_id;
  perform(ctx, conn, request_id, frame, () => {
    const r = action.schema.safeParse(frame);
    if (!r.success) throw areaRefusal(action.name, r.error);
    return action.run(conn.agentId, r.data);
  });
}

const AUTH_FRAME = frameSchema('auth');

/** The frame as a JSON object, or why it is not one. */
function frameObject(text: string): Record<string, unknown> | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'frame is not JSON';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'frame is not a JSON object';
  return raw as Record<string, unknown>;
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
    // An action may answer later (a publish waits for its group commit); it is answered just the same.
    if (data instanceof Promise) {
      data.then(
        (later: unknown) => answer(ctx, conn, request_id, later),
        (err: unknown) => {
          if (err instanceof HubError) refuse(ctx, conn, request_id, err);
          else {
            ctx.core.log.error({ err, systemId: 'hub-ws', agent_id: conn.agentId }, 'websocket action failed');
            reply(ctx, conn.socket, { request_id, ok: false, error: 'internal error', status: 500, code: 'internal' });
          }
        },
      );
      return;
    }
    answer(ctx, conn, request_id, data);
  } catch (err) {
    if (err instanceof HubError) {
      refuse(ctx, conn, request_id, err);
      return;
    }
    throw err;
  }
}

function answer(ctx: HubContext, conn: Connection, request_id: string | undefined, data: unknown): void {
  if (data instanceof PagedAnswer) reply(ctx, conn.socket, { request_id, ok: true, data: data.items, truncated: true, omitted: data.omitted });
  else reply(ctx, conn.socket, { request_id, ok: true, data });
}

function refuse(ctx: HubContext, conn: Connection, request_id: string | undefined, err: HubError): void {
  reply(ctx, conn.socket, { request_id, ok: false, error: err.message, status: err.status, code: err.code });
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
