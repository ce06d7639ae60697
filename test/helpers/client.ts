/**
 * Shared setup of the client/connection tests: cleanups run after each test (newest first), the
 * typed error of a rejected call, waiting on a real event with a bounded timeout, a started hub, a
 * `WttApi` for a registered agent, the `LinkConfig` that points a link at a hub, and a scripted WTT
 * peer for what the hub never does (garbage frames, echoed tokens).
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { WttApi } from '../../src/client/api.js';
import { WttError } from '../../src/errors.js';
import type { LinkConfig } from '../../src/runtime/link.js';
import type { StartedHub } from './hub.js';

export type Cleanup = () => Promise<void> | void;

/** Registers an afterEach that runs every cleanup added during the test, newest first. */
export function useCleanups(): (c: Cleanup) => void {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return (c) => void cleanups.push(c);
}

/** The WttError a promise rejects with; fails the test when it resolves or throws something else. */
export async function caught(p: Promise<unknown>): Promise<WttError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WttError) return e;
    throw e;
  }
  throw new Error('expected a WttError');
}

/** Resolves once `cond` holds; rejects naming `what` after `timeoutMs` (waiting, never asserting on time). */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The in-process hub on 127.0.0.1 (rate limit off), closed after the test. */
export async function hubFor(onCleanup: (c: Cleanup) => void): Promise<StartedHub> {
  // Loaded on use: the unit tests that share this file never load the hub.
  const { startHub } = await import('./hub.js');
  const h = await startHub({ rateLimit: false });
  onCleanup(() => h.close());
  return h;
}

export interface AgentCredentials {
  agent_id: string;
  agent_token: string;
}

/** A WttApi acting as `agent` against `url`. */
export function agentApi(url: string, agent: AgentCredentials, extra: { timeoutMs?: number; retries?: number } = {}): WttApi {
  return new WttApi({ apiUrl: url, agentId: agent.agent_id, agentToken: agent.agent_token, ...extra });
}

export const tempStateDir = (prefix = 'wtt-link-'): string => mkdtempSync(join(tmpdir(), prefix));

/** Link settings for `agent` against a hub (small heartbeat/liveness/poll numbers unless overridden). */
export function linkConfig(h: { url: string; wsUrl: string }, agent: AgentCredentials, over: Partial<LinkConfig> = {}): LinkConfig {
  return {
    agentId: agent.agent_id,
    agentToken: agent.agent_token,
    apiUrl: h.url,
    wsUrl: h.wsUrl,
    stateDir: tempStateDir(),
    heartbeatMs: 1_000,
    livenessMs: 3_000,
    pollIntervalMs: 1_000,
    httpTimeoutMs: 5_000,
    ...over,
  };
}

export interface ScriptedServer {
  url: string;
  wsUrl: string;
  /** WebSocket connections so far. */
  connections(): number;
}

export interface Script {
  /** Answers one REST request by path (the content type is already JSON). */
  rest(path: string, res: ServerResponse): void;
  /** The auth frame of the `k`-th WebSocket connection (1-based). `ping` is answered with `pong`. */
  onAuth(ws: WebSocket, requestId: string | undefined, k: number): void;
}

/** A scripted WTT server (HTTP + WS on one port) on 127.0.0.1, closed after the test. */
export async function scriptedServer(onCleanup: (c: Cleanup) => void, script: Script): Promise<ScriptedServer> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    script.rest((req.url ?? '').split('?')[0] ?? '', res);
  });
  let n = 0;
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    const k = ++n;
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === 'ping') return ws.send('pong');
      const f = JSON.parse(text) as { action?: string; request_id?: string };
      if (f.action === 'auth') script.onAuth(ws, f.request_id, k);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  onCleanup(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, connections: () => n };
}

/** The scripted server's answer to an accepted auth frame. */
export function acceptAuth(ws: WebSocket, requestId: string | undefined): void {
  ws.send(JSON.stringify({ type: 'action_result', request_id: requestId, ok: true, data: { authenticated: true } }));
}
