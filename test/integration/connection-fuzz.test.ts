/**
 * (e) 10,000 random frames (fast-check) through the real WttSocket → link → intake path.
 * The peer here is a scripted WTT server on 127.0.0.1 (the hub never sends garbage, an outside
 * server might): it accepts the auth frame, answers the catch-up REST calls with empty lists, then
 * streams the frames. Also: catch-up over history and poll answers that mix valid and invalid items.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { WttApi } from '../../src/client/api.js';
import { catchUp, markInitialized } from '../../src/runtime/catchup.js';
import { Intake } from '../../src/runtime/intake.js';
import { Link } from '../../src/runtime/link.js';
import { StateStore } from '../../src/runtime/store.js';
import type { Message, ServerFrame } from '../../src/protocol/index.js';
import { acceptAuth, scriptedServer, tempStateDir, useCleanups } from '../helpers/client.js';

const onCleanup = useCleanups();

/** Accepts the auth frame, answers the catch-up REST calls with empty lists, then `onSocket`. */
const emptyServer = (onSocket: (ws: WebSocket) => void) =>
  scriptedServer(onCleanup, {
    rest(path, res) {
      if (path === '/health') return res.end(JSON.stringify({ status: 'ok', features: [] }));
      if (path === '/topics/subscribed') return res.end('[]');
      if (path.startsWith('/messages/poll/')) return res.end(JSON.stringify({ messages: [], topics: [] }));
      res.statusCode = 404;
      res.end(JSON.stringify({ detail: 'not here' }));
    },
    onAuth(ws, requestId) {
      acceptAuth(ws, requestId);
      onSocket(ws);
    },
  });

type Kind = 'valid' | 'invalid' | 'other';
const validMessage = fc.record({
  id: fc.uuid(),
  topic_id: fc.constantFrom('t1', 't2', 't3'),
  sender_id: fc.string({ minLength: 1, maxLength: 20 }),
  content: fc.string({ maxLength: 200 }),
  semantic_type: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
});
const frameArb: fc.Arbitrary<{ kind: Kind; text: string }> = fc.oneof(
  validMessage.map((m) => ({ kind: 'valid' as const, text: JSON.stringify({ type: 'new_message', message: m }) })),
  // Not JSON at all.
  fc.string({ maxLength: 100 }).map((s) => ({ kind: 'invalid' as const, text: `#${s}` })),
  // A new_message whose message is not a message.
  fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).map((v) => ({ kind: 'invalid' as const, text: JSON.stringify({ type: 'new_message', message: v }) })),
  fc.record({ topic_id: fc.string() }).map((m) => ({ kind: 'invalid' as const, text: JSON.stringify({ type: 'new_message', message: m }) })),
  // JSON that is not an object, or has no type.
  fc.oneof(fc.integer(), fc.array(fc.integer(), { maxLength: 3 }), fc.constant(null)).map((v) => ({ kind: 'invalid' as const, text: JSON.stringify(v) })),
  fc.dictionary(fc.string({ maxLength: 5 }).filter((k) => k !== 'type'), fc.jsonValue({ maxDepth: 1 })).map((d) => ({ kind: 'invalid' as const, text: JSON.stringify(d) })),
  // Frames of unknown types and other known frames: ignored or passed on, never a crash.
  fc.string({ minLength: 1, maxLength: 10 }).filter((t) => !['action_result', 'new_message', 'task_status', 'typing', 'e2e_key_request'].includes(t)).map((t) => ({ kind: 'other' as const, text: JSON.stringify({ type: t, x: 1 }) })),
  fc.record({ task_id: fc.uuid(), status: fc.constantFrom('todo', 'doing', 'review') }).map((t) => ({ kind: 'other' as const, text: JSON.stringify({ type: 'task_status', ...t }) })),
  fc.jsonValue({ maxDepth: 2 }).map((v) => ({ kind: 'other' as const, text: JSON.stringify({ type: 'action_result', ok: true, request_id: 'nobody', data: v }) })),
  fc.constant({ kind: 'other' as const, text: 'pong' }),
);

describe('Link with random frames', () => {
  it('survives 10,000 random frames without a crash or an unhandled rejection and counts the invalid ones', async () => {
    const frames = fc.sample(frameArb, { numRuns: 10_000, seed: 4242 });
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on('unhandledRejection', onRejection);
    onCleanup(() => void process.off('unhandledRejection', onRejection));

    const srv = await emptyServer((ws) => {
      for (const f of frames) ws.send(f.text);
      ws.send(JSON.stringify({ type: 'new_message', message: { id: 'the-end', topic_id: 'tz', sender_id: 's', content: 'end' } }));
    });
    const got: Message[] = [];
    const others: ServerFrame[] = [];
    const link = new Link({
      config: {
        agentId: 'agent-fuzz',
        agentToken: 'fuzz-token',
        apiUrl: srv.url,
        wsUrl: srv.wsUrl,
        stateDir: tempStateDir('wtt-fuzz-'),
        heartbeatMs: 5_000,
        livenessMs: 20_000,
        pollIntervalMs: 5_000,
        httpTimeoutMs: 5_000,
      },
      onMessage: (m) => got.push(m),
      onFrame: (f) => others.push(f),
    });
    onCleanup(() => link.stop());
    link.start();
    const end = Date.now() + 60_000;
    while (!got.some((m) => m.id === 'the-end')) {
      if (Date.now() > end) throw new Error(`the stream did not finish (got ${got.length}, counts ${JSON.stringify(link.counts)})`);
      await new Promise((r) => setTimeout(r, 25));
    }

    const valid = frames.filter((f) => f.kind === 'valid').map((f) => (JSON.parse(f.text) as { message: { id: string } }).message.id);
    const invalid = frames.filter((f) => f.kind === 'invalid').length;
    expect(got.map((m) => m.id)).toEqual([...new Set(valid), 'the-end']);
    expect(link.counts.invalid).toBe(invalid);
    expect(invalid).toBeGreaterThan(1_000);
    expect(others.every((f) => f.type === 'task_status')).toBe(true);
    expect(link.status?.state).toBe('live');
    expect(rejections).toEqual([]);
  });

  it('hands on the valid messages and counts the invalid ones when history and poll answers mix them', async () => {
    const msg = (id: string, topic_id: string, seq: number) => ({ id, topic_id, sender_id: 's', content: id, seq });
    const srv = await scriptedServer(onCleanup, {
      rest(path, res) {
        if (path === '/topics/subscribed') return res.end(JSON.stringify([{ id: 't1', name: 'one' }]));
        if (path === '/topics/t1/messages') return res.end(JSON.stringify([msg('h2', 't1', 2), { id: 7, topic_id: 't1' }, msg('h3', 't1', 3)]));
        if (path.startsWith('/messages/poll/')) return res.end(JSON.stringify({ messages: ['not a message', msg('p1', 'p2p', 1)], topics: [] }));
        res.statusCode = 404;
        res.end(JSON.stringify({ detail: 'not here' }));
      },
      onAuth: acceptAuth,
    });
    const store = StateStore.open({ stateDir: tempStateDir('wtt-fuzz-') });
    onCleanup(() => store.close());
    markInitialized(store);
    store.markHandled(msg('h1', 't1', 1));
    const got: string[] = [];
    const intake = new Intake({ store, onMessage: (m) => got.push(m.id) });
    const api = new WttApi({ apiUrl: srv.url, agentId: 'agent-x', agentToken: 'tok', retries: 0 });
    const r = await catchUp({ api, intake, store, features: [] });
    expect(got).toEqual(['h2', 'h3', 'p1']);
    expect(r.delivered).toBe(3);
    expect(intake.counts).toMatchObject({ delivered: 3, invalid: 2 });
  });
});
