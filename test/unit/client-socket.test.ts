/**
 * WttSocket's policies against a scripted WebSocket server on 127.0.0.1 (one that stays silent,
 * closes mid-request or sends garbage — the hub does not, an outside server may).
 */
import { describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { WttSocket } from '../../src/client/socket.js';
import { caught, useCleanups } from '../helpers/client.js';

const onCleanup = useCleanups();

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
  onCleanup(
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

function sock(url: string, timeoutMs = 300): WttSocket {
  const s = new WttSocket({ url, token: 'tok-123456789', timeoutMs });
  onCleanup(() => s.terminate());
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

  it('sends text ping and reports the text pong as activity when the heartbeat runs', async () => {
    const texts: string[] = [];
    const srv = await scripted((ws, f) => {
      okAuth(ws, f);
      if (f === 'ping') {
        texts.push(f);
        ws.send('pong');
      }
    });
    const s = sock(srv.url);
    await s.open();
    const pong = new Promise<void>((r) => s.once('pong', () => r()));
    const activity = new Promise<void>((r) => s.once('activity', () => r()));
    expect(s.ping()).toBe(true);
    await Promise.all([pong, activity]);
    expect(texts).toEqual(['ping']);
  });

  it('returns false from ping when the socket is not open', () => {
    expect(new WttSocket({ url: 'ws://127.0.0.1:9/ws/a' }).ping()).toBe(false);
  });

  it('keeps the token out of every error and close reason when the server echoes it', async () => {
    const token = 'tok-123456789';
    const srv = await scripted((ws, f) => {
      if (typeof f !== 'object') return;
      if (f.action === 'auth') okAuth(ws, f);
      else if (f.action === 'list') ws.send(JSON.stringify({ type: 'action_result', request_id: f.request_id, ok: false, error: `bad token ${token}` }));
      else ws.close(4000, `kicked ${token}`);
    });
    const s = sock(srv.url, 5_000);
    await s.open();
    const refused = await caught(s.request('list'));
    const closed = new Promise<{ reason: string }>((r) => s.once('close', r));
    const late = await caught(s.request('subscribed'));
    expect([refused.code, late.code]).toEqual(['WTT_ERR_ACTION_FAILED', 'WTT_ERR_SOCKET_CLOSED']);
    const texts = [refused.message, refused.detail ?? '', late.message, (await closed).reason];
    for (const t of texts) expect(t).not.toContain(token);
    expect(refused.detail).toBe('bad token [Redacted]');
    expect((await closed).reason).toBe('kicked [Redacted]');

    const srv2 = await scripted((ws) => ws.close(4401, `no ${token}`));
    const rejected = await caught(sock(srv2.url).open());
    expect(rejected.code).toBe('WTT_ERR_AUTH_REJECTED');
    expect(rejected.message).not.toContain(token);
    expect(rejected.message).toContain('[Redacted]');
  });

  it('waits 15 s for an action_result when no timeout is given', () => {
    expect(new WttSocket({ url: 'ws://127.0.0.1:9/ws/a' }).timeoutMs).toBe(15_000);
    expect(new WttSocket({ url: 'ws://127.0.0.1:9/ws/a', timeoutMs: 500 }).timeoutMs).toBe(500);
  });

  it('refuses a request before open and a ws url of another scheme', async () => {
    expect((await caught(new WttSocket({ url: 'ws://127.0.0.1:9/ws/a' }).request('list'))).code).toBe('WTT_ERR_NOT_CONNECTED');
    expect(() => new WttSocket({ url: 'http://127.0.0.1/ws/a' })).toThrow(/ws or wss/);
  });
});
