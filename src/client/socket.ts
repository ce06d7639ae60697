/**
 * `WttSocket`: one WebSocket to `<wsUrl>/<agent_id>` (wtt-protocol.md §4). The auth frame goes
 * first; `open()` resolves only when the server says the token is good. Actions are matched to
 * their `action_result` by `request_id`, time out after 15 s, and are all rejected when the socket
 * closes. Every parsed server frame, every invalid frame and the close are events.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { ACTION_TIMEOUT_MS, LIMITS, PING, parseServerFrame, type ServerFrame } from '../protocol/index.js';
import { WttError } from '../errors.js';
import { scrubSecrets } from '../log.js';

export interface WttSocketOptions {
  /** `wsUrl + '/' + agentId`. */
  url: string;
  token?: string | undefined;
  /** Action timeout and the limit for open + auth; default 15 s. */
  timeoutMs?: number | undefined;
}

export interface SocketCloseInfo {
  code: number;
  reason: string;
  /** A close frame was exchanged (false when the TCP link just died or we terminated). */
  clean: boolean;
}

export interface AuthResult {
  authenticated: boolean;
  agent_display_name?: string | undefined;
}

export interface WttSocketEvents {
  /** TCP + WebSocket handshake done; the auth frame is on its way. */
  open: [];
  /** Every parsed JSON server frame that is not the answer to one of our requests. */
  frame: [ServerFrame];
  /** A JSON frame of a type we do not know (ignored by the protocol, §4.3). */
  unknown: [string];
  /** A frame that does not parse; the socket stays up. */
  invalid: [string];
  /** Text `pong` (or `ping`) from the server. */
  pong: [];
  /** Anything at all arrived (for liveness). */
  activity: [];
  close: [SocketCloseInfo];
}

type Pending = { resolve: (v: unknown) => void; reject: (e: WttError) => void; timer: NodeJS.Timeout; action: string };

let counter = 0;

export class WttSocket extends EventEmitter<WttSocketEvents> {
  readonly url: string;
  private readonly token: string | undefined;
  /** Action timeout and the limit for open + auth (ms). */
  readonly timeoutMs: number;
  private ws: WebSocket | undefined;
  private readonly pending = new Map<string, Pending>();
  private authed = false;
  private closedInfo: SocketCloseInfo | undefined;

  constructor(opts: WttSocketOptions) {
    super();
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new WttError('WTT_ERR_CONFIG', { message: `WebSocket url must be a ws(s) URL, got '${scrubSecrets(String(opts.url))}'` });
    }
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
      throw new WttError('WTT_ERR_CONFIG', { message: `WebSocket url must use ws or wss, got '${u.protocol}'` });
    }
    this.url = opts.url;
    this.token = opts.token || undefined;
    this.timeoutMs = opts.timeoutMs ?? ACTION_TIMEOUT_MS;
  }

  /** True between a successful `open()` and the close. */
  get isOpen(): boolean {
    return this.authed && this.ws?.readyState === WebSocket.OPEN;
  }

  private scrub(s: string): string {
    return scrubSecrets(s, [this.token]);
  }

  /**
   * Connect, send `{"action":"auth","token"}` first (when a token is set) and resolve when the
   * server accepts it. Rejects with a WttError on refusal, close, timeout or abort.
   */
  open(signal?: AbortSignal): Promise<AuthResult> {
    if (this.ws) return Promise.reject(new WttError('WTT_ERR_USAGE', { message: 'WttSocket.open() may be called once' }));
    return new Promise<AuthResult>((resolve, reject) => {
      let settled = false;
      const fail = (e: WttError) => {
        if (settled) return;
        settled = true;
        cleanup();
        this.terminate();
        reject(e);
      };
      const succeed = (r: AuthResult) => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(r);
      };
      const timer = setTimeout(() => fail(new WttError('WTT_ERR_TIMEOUT', { message: `WebSocket open/auth timed out after ${this.timeoutMs} ms` })), this.timeoutMs);
      const onAbort = () => fail(new WttError('WTT_ERR_SOCKET_CLOSED', { message: 'WebSocket open aborted' }));
      const onClose = (info: SocketCloseInfo) =>
        fail(
          info.code === 4401 || info.code === 4403 || info.code === 1008
            ? new WttError('WTT_ERR_AUTH_REJECTED', { message: this.scrub(`the server closed the socket during auth (${info.code} ${info.reason})`) })
            : new WttError('WTT_ERR_SOCKET_CLOSED', { message: this.scrub(`the socket closed before auth (${info.code}${info.reason ? ` ${info.reason}` : ''})`) }),
        );
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.off('close', onClose);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.on('close', onClose);

      let ws: WebSocket;
      try {
        ws = new WebSocket(this.url, { maxPayload: LIMITS.maxFrameBytes, handshakeTimeout: this.timeoutMs });
      } catch (e) {
        return fail(new WttError('WTT_ERR_NETWORK', { message: this.scrub(`WebSocket: ${e instanceof Error ? e.message : String(e)}`) }));
      }
      this.ws = ws;
      let lastError: string | undefined;
      ws.on('error', (e: Error) => {
        lastError = e.message;
        if (!settled && ws.readyState !== WebSocket.OPEN) {
          fail(new WttError('WTT_ERR_NETWORK', { message: this.scrub(`WebSocket ${this.url}: ${e.message}`) }));
        }
      });
      ws.on('close', (code: number, reasonBuf: Buffer) => {
        const reason = reasonBuf.toString('utf8') || lastError || '';
        this.handleClose({ code, reason: this.scrub(reason), clean: code !== 1006 });
      });
      ws.on('message', (data: WebSocket.RawData) => this.handleData(data));
      ws.on('pong', () => this.emit('activity'));
      ws.on('open', () => {
        this.emit('open');
        if (!this.token) {
          this.authed = true;
          succeed({ authenticated: false });
          return;
        }
        this.sendAction('auth', { token: this.token }, true).then(
          (data) => {
            const d = (data ?? {}) as Record<string, unknown>;
            if (d.authenticated === false) {
              fail(new WttError('WTT_ERR_AUTH_REJECTED', { message: 'the server refused the agent token' }));
              return;
            }
            this.authed = true;
            succeed({
              authenticated: true,
              agent_display_name: typeof d.agent_display_name === 'string' ? d.agent_display_name : undefined,
            });
          },
          (e: WttError) =>
            fail(e.code === 'WTT_ERR_ACTION_FAILED' ? new WttError('WTT_ERR_AUTH_REJECTED', { message: this.scrub(`auth refused: ${e.detail ?? e.message}`) }) : e),
        );
      });
    });
  }

  /** Send an action and wait for its `action_result`; resolves with `data`. */
  request(action: string, payload: Record<string, unknown> = {}): Promise<unknown> {
    if (!this.isOpen) return Promise.reject(new WttError('WTT_ERR_NOT_CONNECTED'));
    return this.sendAction(action, payload, false);
  }

  private sendAction(action: string, payload: Record<string, unknown>, duringAuth: boolean): Promise<unknown> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || (!duringAuth && !this.authed)) return Promise.reject(new WttError('WTT_ERR_NOT_CONNECTED'));
    const request_id = `${action}-${++counter}-${Date.now().toString(36)}`;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(request_id);
        reject(new WttError('WTT_ERR_TIMEOUT', { message: `WebSocket action '${action}' got no answer within ${this.timeoutMs} ms` }));
      }, this.timeoutMs);
      this.pending.set(request_id, { resolve, reject, timer, action });
      ws.send(JSON.stringify({ ...payload, action, request_id }), (err) => {
        if (!err) return;
        const p = this.pending.get(request_id);
        if (!p) return;
        clearTimeout(p.timer);
        this.pending.delete(request_id);
        p.reject(new WttError('WTT_ERR_SOCKET_CLOSED', { message: this.scrub(`sending '${action}' failed: ${err.message}`) }));
      });
    });
  }

  /** Text `ping` (the application heartbeat, §4.3). Returns false when the socket is not open. */
  ping(): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(PING);
    return true;
  }

  /** Close with a close frame (we are leaving). */
  close(code = 1000, reason = 'client closing'): void {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
    if (ws.readyState === WebSocket.CONNECTING) return this.terminate();
    ws.close(code, reason);
    // A frozen peer never answers the close frame: do not wait for it forever.
    setTimeout(() => {
      if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
    }, 2_000).unref();
  }

  /** Drop the connection now, no close handshake (dead-link handling). */
  terminate(): void {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    try {
      ws.terminate();
    } catch {
      // terminate on a socket that never connected can throw in old ws versions; it is closed either way
    }
  }

  private handleData(data: WebSocket.RawData): void {
    this.emit('activity');
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const parsed = parseServerFrame(text);
    switch (parsed.kind) {
      case 'pong':
      case 'ping':
        this.emit('pong');
        return;
      case 'unknown':
        this.emit('unknown', parsed.type);
        return;
      case 'invalid':
        this.emit('invalid', parsed.reason);
        return;
      case 'frame': {
        const f = parsed.frame;
        if (f.type === 'action_result' && f.request_id) {
          const p = this.pending.get(f.request_id);
          if (p) {
            clearTimeout(p.timer);
            this.pending.delete(f.request_id);
            if (f.ok) p.resolve(f.data);
            else {
              const detail = this.scrub(f.error ?? 'Action failed');
              p.reject(new WttError('WTT_ERR_ACTION_FAILED', { detail, message: `WebSocket action '${p.action}' failed: ${detail}` }));
            }
            return;
          }
        }
        this.emit('frame', f);
      }
    }
  }

  private handleClose(info: SocketCloseInfo): void {
    if (this.closedInfo) return;
    this.closedInfo = info;
    this.authed = false;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new WttError('WTT_ERR_SOCKET_CLOSED', { message: `the WebSocket closed before '${p.action}' was answered (${info.code})` }));
      this.pending.delete(id);
    }
    this.emit('close', info);
  }
}
