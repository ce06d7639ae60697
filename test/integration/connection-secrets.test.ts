/**
 * No credential in any log line, status line or error of the client, even when the server echoes
 * the tokens back in every place it can: error details, action errors, close reasons, invalid frames.
 * The peer is a scripted hostile WTT server on 127.0.0.1 (the hub never does this; an outside one might).
 */
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { ConnectionStatus } from '../../machines/connection.machine.js';
import { createLogger } from '../../src/log.js';
import { Link } from '../../src/runtime/link.js';
import { statusLine } from '../../src/runtime/tail.js';
import { acceptAuth, scriptedServer, tempStateDir, until, useCleanups } from '../helpers/client.js';

const onCleanup = useCleanups();

const TOKEN = 'agent-secret-0123456789abcdef';
const BEARER = 'wtt_sk_user0123456789abcdef';
const ECHO = `${TOKEN} ${BEARER}`;

/** The n-th WebSocket connection answers its auth frame as scripted below. */
function hostileServer() {
  let subscribedCalls = 0;
  let pollCalls = 0;
  let first: WebSocket | undefined;
  return scriptedServer(onCleanup, {
    rest(path, res) {
      if (path === '/health') return res.end(JSON.stringify({ status: 'ok', features: [] }));
      // The first catch-up succeeds (the link goes live); every later REST call fails with the echo.
      if (path === '/topics/subscribed' && ++subscribedCalls === 1) return res.end('[]');
      if (path.startsWith('/messages/poll/') && ++pollCalls === 1) {
        // The first catch-up ends with this poll; only then does the first socket close (echoing the token).
        setTimeout(() => first?.close(4000, `bye ${TOKEN}`), 100);
        return res.end(JSON.stringify({ messages: [], topics: [] }));
      }
      res.statusCode = path.startsWith('/messages/poll/') ? 503 : 500;
      res.end(JSON.stringify({ detail: `server echo: ${ECHO}` }));
    },
    onAuth(ws, requestId, k) {
      if (k === 1) {
        acceptAuth(ws, requestId);
        // Frames that fail validation with the tokens in keys and values, then a close that echoes them.
        ws.send(`{not json ${ECHO}`);
        ws.send(JSON.stringify({ type: 'new_message', message: { id: 7, topic_id: TOKEN, [TOKEN]: BEARER } }));
        ws.send(JSON.stringify({ type: 'task_status', [BEARER]: TOKEN }));
        ws.send(JSON.stringify({ type: TOKEN }));
        first = ws;
      } else if (k >= 3 && k <= 5) {
        // Three dials that fail before auth (not a refusal): the link falls back to polling.
        ws.close(4000, `flaky ${TOKEN}`);
      } else if (k === 6) {
        // A refused token while polling: a configuration error (unauthorized), not a retry loop.
        ws.close(4401, `refused ${TOKEN}`);
      } else if (k === 2) {
        // Auth accepted; the catch-up that follows gets HTTP 500 with the tokens in the detail.
        acceptAuth(ws, requestId);
      } else {
        ws.send(JSON.stringify({ type: 'action_result', request_id: requestId, ok: false, error: `invalid token ${ECHO}` }));
      }
    },
  });
}

describe('Link secrets', () => {
  it('writes no token to any log line, status or error when a hostile server echoes the tokens everywhere', async () => {
    const srv = await hostileServer();
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ level: 'trace', destination: destination as unknown as DestinationStream });
    const statuses: ConnectionStatus[] = [];
    const link = new Link({
      config: {
        agentId: 'agent-x',
        agentToken: TOKEN,
        bearerToken: BEARER,
        apiUrl: srv.url,
        wsUrl: srv.wsUrl,
        stateDir: tempStateDir('wtt-secrets-'),
        heartbeatMs: 5_000,
        livenessMs: 20_000,
        pollIntervalMs: 1_000,
        httpTimeoutMs: 2_000,
      },
      log,
      tuning: { backoffBaseMs: 20, backoffCapMs: 100, socketTimeoutMs: 2_000 },
      onMessage: () => undefined,
    });
    link.onStatus((s) => statuses.push(s));
    onCleanup(() => link.stop());
    link.start();

    await until(
      () => statuses.some((s) => s.state === 'polling') && lines.some((l) => l.includes('poll failed')) && statuses.some((s) => s.state === 'unauthorized'),
      15_000,
      () => `polling, a failed poll and unauthorized (statuses ${JSON.stringify(statuses.map((s) => s.state))})`,
    );
    await link.stop();

    const reasons = statuses.flatMap((s) => ('reason' in s && s.reason ? [s.reason] : []));
    // Every hostile path was taken …
    expect(link.counts.invalid).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => l.includes('invalid inbound message dropped'))).toBe(true);
    expect(reasons.some((r) => r.startsWith('closed 4000 bye'))).toBe(true);
    expect(reasons.some((r) => r.startsWith('catch-up failed: GET /topics/subscribed → 500'))).toBe(true);
    expect(reasons.some((r) => /refused|4401/.test(r))).toBe(true);
    expect(reasons.some((r) => r.startsWith('the socket closed before auth (4000 flaky'))).toBe(true);
    expect(lines.some((l) => l.includes('the WTT server refused this agent token'))).toBe(true);
    expect(srv.connections()).toBeGreaterThanOrEqual(6);
    // … and nothing carried a credential.
    const everything = [...lines, ...statuses.map(statusLine)].join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(BEARER);
    expect(everything).toContain('[Redacted]');
  });
});
