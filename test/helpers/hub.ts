/**
 * Test helpers for a REAL hub on 127.0.0.1 (port 0) with its SQLite files in a temp dir.
 *
 *   const h = await startHub();                       // { url, wsUrl, port, dataDir, hub, close }
 *   const a = await registerAgent(h.url, 'alice');    // { agent_id, agent_token }
 *   const ws = await openWs(h.wsUrl, a.agent_id, a.agent_token);  // authenticated when a token is given
 *   const r = await ws.request({ action: 'subscribed' });          // the action_result frame
 *   await ws.waitFor((f) => f.type === 'new_message', 5_000);      // any frame received so far or later
 *   await ws.close(); await h.close();
 *
 * `close()` stops the server only; the data dir stays, so a test can restart on it with
 * `startHub({ dataDir: h.dataDir })`.
 *
 * In a describe block, `useHub(['alice', 'bob'])` does the usual setup for every test: a fresh hub,
 * those agents registered in order, sockets opened with `fx.ws(agent)` closed afterwards, and the
 * hub closed (also after `fx.restart()`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import WebSocket from 'ws';
import { buildHub, type Hub, type HubOptions } from '../../src/hub/index.js';

export interface StartHubOptions {
  authMode?: HubOptions['authMode'];
  rateLimit?: HubOptions['rateLimit'];
  dataDir?: string;
  now?: HubOptions['now'];
  wsAuthTimeoutMs?: number;
  areas?: HubOptions['areas'];
  limits?: HubOptions['limits'];
  /** Default 0 (any free port); a restart passes the previous one. */
  port?: number;
}

export interface StartedHub {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `ws://127.0.0.1:<port>/ws` (append `/<agent_id>`) */
  wsUrl: string;
  port: number;
  dataDir: string;
  hub: Hub;
  close(): Promise<void>;
}

export function tempDir(prefix = 'wtt-hub-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startHub(opts: StartHubOptions = {}): Promise<StartedHub> {
  const dataDir = opts.dataDir ?? tempDir();
  const hubOpts: HubOptions = { dataDir, logger: false };
  if (opts.authMode !== undefined) hubOpts.authMode = opts.authMode;
  if (opts.rateLimit !== undefined) hubOpts.rateLimit = opts.rateLimit;
  if (opts.now !== undefined) hubOpts.now = opts.now;
  if (opts.wsAuthTimeoutMs !== undefined) hubOpts.wsAuthTimeoutMs = opts.wsAuthTimeoutMs;
  if (opts.areas !== undefined) hubOpts.areas = opts.areas;
  if (opts.limits !== undefined) hubOpts.limits = opts.limits;
  const hub = await buildHub(hubOpts);
  const { url, port } = await hub.listen({ host: '127.0.0.1', port: opts.port ?? 0 });
  return { url, wsUrl: `ws://127.0.0.1:${port}/ws`, port, dataDir, hub, close: () => hub.close() };
}

export interface RegisteredAgent {
  agent_id: string;
  agent_token: string;
}

export async function registerAgent(url: string, displayName?: string): Promise<RegisteredAgent> {
  const res = await fetch(`${url}/agents/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ platform: 'openclaw', ...(displayName ? { display_name: displayName } : {}) }),
  });
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as RegisteredAgent;
  return { agent_id: body.agent_id, agent_token: body.agent_token };
}

/** A JSON frame from the hub (text `pong` is recorded as `{ type: 'pong' }`). */
export type Frame = Record<string, unknown> & { type?: string };

export interface TestSocket {
  readonly ws: WebSocket;
  /** Every frame received so far, in order. */
  readonly frames: Frame[];
  /** Resolves with the first frame (already received or future) matching `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Sends an action with a fresh `request_id` and resolves with its `action_result`. */
  request(action: Record<string, unknown>, timeoutMs?: number): Promise<Frame>;
  /** Sends raw text. */
  send(text: string): void;
  /** Resolves with the close code and reason once the socket closes. */
  closed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

let requestCounter = 0;

/**
 * Opens `<wsUrl>/<agentId>`. With a token it sends the `auth` frame first and waits for its
 * successful `action_result` (throws if refused).
 */
export async function openWs(wsUrl: string, agentId: string, token?: string, timeoutMs = 5_000): Promise<TestSocket> {
  const ws = new WebSocket(`${wsUrl}/${encodeURIComponent(agentId)}`);
  const frames: Frame[] = [];
  const waiters = new Set<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }>();
  let closeInfo: { code: number; reason: string } | undefined;
  const closeWaiters = new Set<(c: { code: number; reason: string }) => void>();

  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString();
    let frame: Frame;
    if (text === 'pong' || text === 'ping') frame = { type: text };
    else {
      try {
        frame = JSON.parse(text) as Frame;
      } catch {
        frame = { type: 'unparseable', text };
      }
    }
    frames.push(frame);
    for (const w of [...waiters]) {
      if (w.pred(frame)) {
        waiters.delete(w);
        w.resolve(frame);
      }
    }
  });
  ws.on('close', (code, reason) => {
    closeInfo = { code, reason: reason.toString() };
    for (const w of closeWaiters) w(closeInfo);
    closeWaiters.clear();
  });
  ws.on('error', () => {
    /* surfaced through close */
  });

  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`websocket to ${agentId} did not open within ${timeoutMs} ms`)), timeoutMs);
    ws.once('open', () => {
      clearTimeout(t);
      resolve();
    });
    ws.once('close', (code) => {
      clearTimeout(t);
      reject(new Error(`websocket to ${agentId} closed before opening (${code})`));
    });
  });

  const waitFor = (pred: (f: Frame) => boolean, ms = 5_000): Promise<Frame> => {
    const seen = frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise<Frame>((resolve, reject) => {
      const w = {
        pred,
        resolve: (f: Frame) => {
          clearTimeout(t);
          resolve(f);
        },
      };
      const t = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(frames).slice(0, 2000)}`));
      }, ms);
      waiters.add(w);
    });
  };

  const sock: TestSocket = {
    ws,
    frames,
    waitFor,
    send: (text) => ws.send(text),
    async request(action, ms = 5_000) {
      const request_id = `t-${++requestCounter}`;
      ws.send(JSON.stringify({ ...action, request_id }));
      return waitFor((f) => f.type === 'action_result' && f.request_id === request_id, ms);
    },
    closed(ms = 5_000) {
      if (closeInfo) return Promise.resolve(closeInfo);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`socket did not close within ${ms} ms`)), ms);
        closeWaiters.add((c) => {
          clearTimeout(t);
          resolve(c);
        });
      });
    },
    async close() {
      if (closeInfo) return;
      const done = sock.closed();
      ws.close();
      await done;
    },
  };

  if (token !== undefined) {
    const r = await sock.request({ action: 'auth', token });
    if (r.ok !== true) {
      await sock.close().catch(() => undefined);
      throw new Error(`auth refused: ${String(r.error)}`);
    }
  }
  return sock;
}

/** `fetch` with JSON in and out; returns status, headers and parsed body. */
export async function api(
  url: string,
  path: string,
  init: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* keep text */
  }
  return { status: res.status, headers: res.headers, body };
}

export interface HubFixture<Names extends readonly string[] = readonly string[]> {
  /** The hub of the running test. */
  readonly h: StartedHub;
  /** The agents named in `useHub`, registered in that order (a tuple: `[alice, bob] = fx.agents`). */
  readonly agents: { readonly [K in keyof Names]: RegisteredAgent };
  /** A socket of `who` (authenticated unless `auth: false`), closed after the test. */
  ws(who: RegisteredAgent, o?: { auth?: boolean }): Promise<TestSocket>;
  /** Closes the hub and starts it again on the same data dir (same options unless overridden). */
  restart(o?: Omit<StartHubOptions, 'dataDir'>): Promise<StartedHub>;
}

/** Registers `beforeEach`/`afterEach` hooks that give every test a fresh hub with these agents. */
export function useHub<const Names extends readonly string[]>(agentNames: Names, opts: StartHubOptions = {}): HubFixture<Names> {
  let hub: StartedHub | undefined;
  let agents: RegisteredAgent[] = [];
  const sockets: TestSocket[] = [];
  const current = (): StartedHub => {
    if (!hub) throw new Error('useHub: no hub outside a test');
    return hub;
  };
  beforeEach(async () => {
    hub = await startHub(opts);
    agents = [];
    for (const name of agentNames) agents.push(await registerAgent(hub.url, name));
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) await s.close().catch(() => undefined);
    await hub?.close();
    hub = undefined;
  });
  return {
    get h() {
      return current();
    },
    get agents() {
      return agents as unknown as HubFixture<Names>['agents'];
    },
    async ws(who, o = {}) {
      const s = await openWs(current().wsUrl, who.agent_id, o.auth === false ? undefined : who.agent_token);
      sockets.push(s);
      return s;
    },
    async restart(o = {}) {
      const dataDir = current().dataDir;
      await current().close();
      hub = await startHub({ ...opts, ...o, dataDir });
      return hub;
    },
  };
}

/**
 * A topic created by `owner` (over REST with its token) and joined by each of `members`; returns its id.
 * Throws when the hub refuses, so a setup problem fails loudly.
 */
export async function createTopic(
  h: StartedHub,
  owner: RegisteredAgent,
  body: Record<string, unknown>,
  members: readonly RegisteredAgent[] = [],
): Promise<string> {
  const created = await api(h.url, '/topics/', { body, token: owner.agent_token });
  if (created.status !== 200) throw new Error(`create topic failed: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  for (const m of members) {
    const joined = await api(h.url, `/topics/${id}/join`, { method: 'POST', token: m.agent_token });
    if (joined.status !== 200) throw new Error(`join failed: ${joined.status} ${JSON.stringify(joined.body)}`);
  }
  return id;
}

/** A `task_status` push for this task and status. */
export const isTaskStatus = (taskId: string, status: string) => (f: Frame): boolean =>
  f.type === 'task_status' && f.task_id === taskId && f.status === status;

/** A `new_message` push of this task whose content starts with `tag` (e.g. `[TASK_RUN]`) and contains `needle`. */
export const isTaskMessage = (taskId: string, tag: string, needle = '') => (f: Frame): boolean => {
  if (f.type !== 'new_message') return false;
  const m = f.message as { task_id?: unknown; content?: unknown } | undefined;
  return m?.task_id === taskId && typeof m.content === 'string' && m.content.startsWith(tag) && m.content.includes(needle);
};
