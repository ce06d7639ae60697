/**
 * WttSocket's policies against a scripted WebSocket server on 127.0.0.1 (one that stays silent,
 * closes mid-request or sends garbage — the hub does not, an outside server may).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { WttSocket } from '../../src/client/socket.js';
import { WttError } from '../../src/errors.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Handler = (ws: WebSocket, frame: Record<string, unknown> | string) => void;

async function scripted(handler: Handler): Promise<{ url: string; first: Promise<string> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let resolveFirst!: (s: string) => void;
  const first = new Promise<string>((r) => (resolveFirst = r));
  wss.on('connection', (ws) => {
    let isFirst = true;
    ws.on('message', (d) => {
      const text = d.toString();
      if (isFirst) resolveFirst(text);
      isFirst = false;
      let f: Record<string, unknown> | string = text;
      try {
        f = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // text frame (ping)
      }
      handler(ws, f);
    });
  });
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  );
  return { url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/ws/agent-x`, first };
}

const okAuth: Handler = (ws, f) => {
  if (typeof f === 'object' && f.action === 'auth') ws.send(JSON.stringify({ type: 'action_result', request_id: f.request_id, ok: true, data: { authenticated: true, agent_display_name: 'X' } }));
};

async function caught(p: Promise<unknown>): Promise<WttError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WttError) return e;
    throw e;
  }
  throw new Error('expected a WttError');
}

function sock(url: string, timeoutMs = 300): WttSocket {
  const s = new WttSocket({ url, token: 'tok-123456789', timeoutMs });
  cleanups.push(() => s.terminate());
  return s;
}

describe('WttSocket', () => {
  it('sends the auth frame first and resolves with the display name when the server accepts it', async () => {
    const srv = await scripted(okAuth);
    const s = sock(srv.url);
    expect(await s.open()).toEqual({ authenticated: true, agent_display_name: 'X' });
    const first = JSON.parse(await srv.first) as Record<string, unknown>;
    expect(first).toMatchObject({ action: 'auth', token: 'tok-123456789' });
    expect(typeof first.request_id).toBe('string');
  });

  it('rejects a request with a timeout error when no action_result comes back', async () => {
    const srv = await scripted(okAuth);
    const s = sock(srv.url, 200);
    await s.open();
    const e = await caught(s.request('list'));
    expect(e.code).toBe('WTT_ERR_TIMEOUT');
    expect(s.isOpen).toBe(true);
  });

  it('rejects every pending request with WTT_ERR_SOCKET_CLOSED when the socket closes', async () => {
    let socketRef: WebSocket | undefined;
    const srv = await scripted((ws, f) => {
      okAuth(ws, f);
      socketRef = ws;
    });
    const s = sock(srv.url, 5_000);
    await s.open();
    const pending = [s.request('list'), s.request('subscribed'), s.request('poll', { limit: 3 })].map(caught);
    const closed = new Promise((r) => s.once('close', r));
    await new Promise((r) => setTimeout(r, 50));
    socketRef?.close(1001, 'going away');
    expect((await Promise.all(pending)).map((e) => e.code)).toEqual(['WTT_ERR_SOCKET_CLOSED', 'WTT_ERR_SOCKET_CLOSED', 'WTT_ERR_SOCKET_CLOSED']);
    expect(await closed).toEqual({ code: 1001, reason: 'going away', clean: true });
  });

  it('rejects open with a timeout when the server never answers the auth frame', async () => {
    const srv = await scripted(() => undefined);
    const e = await caught(sock(srv.url, 200).open());
    expect(e.code).toBe('WTT_ERR_TIMEOUT');
  });

  it('rejects open with an auth error when the server answers ok:false', async () => {
    const srv = await scripted((ws, f) => {
      if (typeof f === 'object') ws.send(JSON.stringify({ type: 'action_result', request_id: f.request_id, ok: false, error: 'invalid token tok-123456789' }));
    });
    const e = await caught(sock(srv.url).open());
    expect(e.code).toBe('WTT_ERR_AUTH_REJECTED');
    expect(e.message).not.toContain('tok-123456789');
  });

  it('reports invalid and unknown frames and keeps the socket up when the server sends garbage', async () => {
    const srv = await scripted((ws, f) => {
      okAuth(ws, f);
      if (typeof f === 'object' && f.action === 'auth') {
        ws.send('{not json');
        ws.send(JSON.stringify({ type: 'new_message', message: { topic_id: 't' } }));
        ws.send(JSON.stringify({ type: 'weather', sunny: true }));
        ws.send(JSON.stringify({ type: 'new_message', message: { id: 'm1', topic_id: 't', sender_id: 's', content: 'ok' } }));
      }
    });
    const s = sock(srv.url);
    const invalid: string[] = [];
    const unknown: string[] = [];
    s.on('invalid', (r) => invalid.push(r));
    s.on('unknown', (t) => unknown.push(t));
    const frame = new Promise((r) => s.once('frame', r));
    await s.open();
    expect(await frame).toMatchObject({ type: 'new_message', message: { id: 'm1' } });
    expect(invalid).toHaveLength(2);
    expect(invalid[0]).toBe('not JSON');
    expect(unknown).toEqual(['weather']);
    expect(s.isOpen).toBe(true);
  });

  it('refuses a request before open and a ws url of another scheme', async () => {
    expect((await caught(new WttSocket({ url: 'ws://127.0.0.1:9/ws/a' }).request('list'))).code).toBe('WTT_ERR_NOT_CONNECTED');
    expect(() => new WttSocket({ url: 'http://127.0.0.1/ws/a' })).toThrow(/ws or wss/);
  });
});
