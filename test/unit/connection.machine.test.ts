import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromCallback, fromPromise, waitFor } from 'xstate';
import {
  connectionMachine,
  connectionStatus,
  sameStatus,
  type CatchUpResult,
  type ConnectionInput,
  type ConnectionStatus,
  type PollOnceResult,
  type DialInput,
  type SocketCommand,
  type SocketCurrent,
  type SocketEvent,
} from '../../machines/connection.machine.js';
import { WttError } from '../../src/errors.js';
import { backoffCeilingMs, backoffDelayMs } from '../../machines/backoff.js';
import { NewMessageFrame, type ServerFrame } from '../../src/protocol/index.js';
import { loadConfig } from '../../src/config.js';
import { connectionInput } from '../../src/runtime/link.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface FakeDial {
  gen: number;
  send: (e: SocketEvent) => void;
  pings: number;
  stopped: boolean;
}
interface Deferred<T> {
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

function frame(n: number, topic = 't1'): ServerFrame {
  return NewMessageFrame.parse({
    type: 'new_message',
    message: { id: `m${n}`, topic_id: topic, sender_id: 'agent-x', content: `hello ${n}`, seq: n },
  });
}

/** The machine with fake actors and a simulated clock; the test plays the socket and the REST side. */
function harness(input: Partial<ConnectionInput> = {}) {
  const clock = new SimulatedClock();
  const dials: FakeDial[] = [];
  const catchUps: Array<Deferred<CatchUpResult> & { gen: number }> = [];
  const polls: Array<Deferred<PollOnceResult>> = [];
  const machine = connectionMachine.provide({
    actors: {
      dial: fromCallback<SocketCommand, DialInput, SocketEvent>(({ input: i, sendBack, receive }) => {
        const d: FakeDial = { gen: i.gen, send: sendBack, pings: 0, stopped: false };
        dials.push(d);
        receive((c) => {
          if (c.type === 'PING') d.pings++;
          else c.replyTo.send({ type: 'SOCKET.CURRENT', requestId: c.requestId, socket: `socket-of-dial-${d.gen}` });
        });
        return () => {
          d.stopped = true;
        };
      }),
      catchUp: fromPromise<CatchUpResult, DialInput>(
        ({ input: i }) => new Promise((resolve, reject) => catchUps.push({ resolve, reject, gen: i.gen })),
      ),
      pollOnce: fromPromise<PollOnceResult, DialInput>(() => new Promise((resolve, reject) => polls.push({ resolve, reject }))),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: { heartbeatMs: 15_000, livenessMs: 35_000, pollIntervalMs: 30_000, random: () => 0.5, ...input },
  });
  const frames: ServerFrame[] = [];
  actor.on('frame', (e) => frames.push(e.frame));
  const pollFailures: string[] = [];
  actor.on('poll.failed', (e) => pollFailures.push(e.reason));
  const statuses: ConnectionStatus[] = [];
  actor.subscribe((s) => {
    const st = connectionStatus(s);
    if (!sameStatus(statuses.at(-1), st)) statuses.push(st);
  });
  actor.start();

  const dial = () => {
    const d = dials.at(-1);
    if (!d) throw new Error('no dial yet');
    return d;
  };
  const status = () => connectionStatus(actor.getSnapshot());
  const settle = (pred: (s: ConnectionStatus) => boolean) =>
    waitFor(actor, (s) => pred(connectionStatus(s)), { timeout: 2_000 });
  return {
    clock,
    actor,
    dials,
    catchUps,
    polls,
    frames,
    pollFailures,
    statuses,
    dial,
    status,
    /** OPENED + AUTHENTICATED on the newest dial. */
    authenticate() {
      const d = dial();
      d.send({ type: 'SOCKET.OPENED', gen: d.gen });
      d.send({ type: 'SOCKET.AUTHENTICATED', gen: d.gen });
    },
    fail(reason = 'ECONNREFUSED', code?: string) {
      const d = dial();
      d.send({ type: 'SOCKET.FAILED', gen: d.gen, reason, code });
    },
    close(code = 1000, reason = 'closed by hub', clean = true) {
      const d = dial();
      d.send({ type: 'SOCKET.CLOSED', gen: d.gen, code, reason, clean });
    },
    /** Three failed dials with random 0: polling. */
    enterPolling() {
      for (let i = 0; i < 3; i++) {
        this.fail();
        if (i < 2) clock.increment(this.status().state === 'backoff' ? (this.status() as { delayMs: number }).delayMs : 0);
      }
    },
    /** In state `from` until `ms` have passed, then (not a millisecond earlier) in `to`. */
    expectSwitchAfter(ms: number, from: ConnectionStatus['state'], to: ConnectionStatus['state']) {
      expect(this.status().state).toBe(from);
      clock.increment(ms - 1);
      expect(this.status().state).toBe(from);
      clock.increment(1);
      expect(this.status().state).toBe(to);
    },
    /** The running poll has ended (the machine waits for the next interval). */
    pollSettled: () => waitFor(actor, (s) => s.matches({ polling: { poll: 'waiting' } }), { timeout: 2_000 }),
    /** Authenticate and finish catch-up: the link is live. */
    async goLive() {
      this.authenticate();
      const cu = catchUps.at(-1);
      if (!cu) throw new Error('no catch-up invoked');
      cu.resolve({ delivered: 0 });
      await settle((s) => s.state === 'live');
    },
    settle,
  };
}

describe('backoff', () => {
  it('doubles from 0.5 s up to the 30 s cap when attempts grow', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8, 40].map((a) => backoffCeilingMs(a, 500, 30_000));
    expect(ceilings).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('draws the delay uniformly below the ceiling when jitter is full', () => {
    expect(backoffDelayMs(3, 500, 30_000, () => 0)).toBe(0);
    expect(backoffDelayMs(3, 500, 30_000, () => 0.5)).toBe(1_000);
    expect(backoffDelayMs(3, 500, 30_000, () => 0.999999)).toBeLessThan(2_000);
    expect(backoffDelayMs(3, 500, 30_000, () => Number.NaN)).toBe(0);
  });
});

describe('connectionMachine', () => {
  it('dials, authenticates, catches up and goes live when the server accepts the socket', async () => {
    const h = harness();
    expect(h.status()).toEqual({ state: 'connecting', attempt: 0 });
    h.dial().send({ type: 'SOCKET.OPENED', gen: h.dial().gen });
    expect(h.status().state).toBe('authenticating');
    h.dial().send({ type: 'SOCKET.AUTHENTICATED', gen: h.dial().gen });
    expect(h.status().state).toBe('catchingUp');
    expect(h.catchUps).toHaveLength(1);
    h.catchUps[0]?.resolve({ delivered: 3 });
    await h.settle((s) => s.state === 'live');
    expect(h.statuses.map((s) => s.state)).toEqual(['connecting', 'authenticating', 'catchingUp', 'live']);
  });

  it('waits a full-jitter delay that grows with each failed dial, bounded by half the time already waited', () => {
    const h = harness({ random: () => 0.999999, pollAfterFailures: 1_000, pollAfterMs: 10 * 60 * 60 * 1000 });
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const before = h.dials.length;
      h.fail();
      const st = h.status();
      expect(st.state).toBe('backoff');
      if (st.state !== 'backoff') return;
      expect(st.attempt).toBe(i + 1);
      delays.push(st.delayMs);
      // No dial before the delay has passed (no hot loop) …
      if (st.delayMs > 0) {
        h.clock.increment(st.delayMs - 1);
        expect(h.dials.length).toBe(before);
        expect(h.status().state).toBe('backoff');
      }
      // … and exactly one when it has.
      h.clock.increment(1);
      expect(h.dials.length).toBe(before + 1);
      expect(h.status().state).toBe('connecting');
    }
    // Ceilings: 250 ms, then min(250 · 2^(n−1), max(250, half the time waited so far)).
    expect(delays).toEqual([249, 249, 249, 372, 558, 837, 1_256, 1_884, 2_826]);
  });

  it('backs off after a clean close from the server instead of redialling at once', async () => {
    const h = harness();
    await h.goLive();
    const dialsBefore = h.dials.length;
    h.close(1000, 'closed by hub', true);
    const st = h.status();
    expect(st).toMatchObject({ state: 'backoff', attempt: 1, delayMs: 250 });
    expect(st.state === 'backoff' && st.reason).toContain('closed 1000');
    expect(h.dials.length).toBe(dialsBefore);
    h.clock.increment(249);
    expect(h.dials.length).toBe(dialsBefore);
    h.clock.increment(1);
    expect(h.dials.length).toBe(dialsBefore + 1);
  });

  it('keeps growing the delay when the server closes repeatedly before the link is stable', async () => {
    const h = harness({ random: () => 0.999999 });
    const seen: Array<[number, number, number]> = [];
    for (let i = 0; i < 6; i++) {
      await h.goLive();
      h.clock.increment(1_999);
      h.close();
      const st = h.status();
      if (st.state !== 'backoff') throw new Error(`expected backoff, got ${st.state}`);
      seen.push([st.attempt, st.flaps, st.delayMs]);
      h.clock.increment(st.delayMs);
    }
    // Each loss is the first redial (attempt 1); the flap guard raises the ceiling: 500, 1000, 2000 … ms.
    expect(seen).toEqual([
      [1, 1, 499],
      [1, 2, 999],
      [1, 3, 1_999],
      [1, 4, 3_999],
      [1, 5, 7_999],
      [1, 6, 15_999],
    ]);
  });

  it('resets the attempt counter at open and the flap count when the link stays live for the stable time', async () => {
    const h = harness({ random: () => 0.999999 });
    h.fail();
    h.clock.increment(249);
    h.fail();
    h.clock.increment(249);
    await h.goLive();
    expect(h.actor.getSnapshot().context.attempt).toBe(0);
    h.close();
    expect(h.status()).toMatchObject({ state: 'backoff', attempt: 1, flaps: 1, delayMs: 499 });
    h.clock.increment(499);
    await h.goLive();
    h.clock.increment(2_000);
    expect(h.actor.getSnapshot().context.flaps).toBe(0);
    h.close();
    expect(h.status()).toMatchObject({ state: 'backoff', attempt: 1, flaps: 0, delayMs: 249 });
  });

  it('sends a ping every heartbeat interval while open', async () => {
    const h = harness();
    await h.goLive();
    expect(h.dial().pings).toBe(0);
    h.clock.increment(14_999);
    expect(h.dial().pings).toBe(0);
    h.clock.increment(1);
    expect(h.dial().pings).toBe(1);
    h.dial().send({ type: 'SOCKET.ACTIVITY', gen: h.dial().gen });
    h.clock.increment(15_000);
    expect(h.dial().pings).toBe(2);
  });

  it('terminates the socket and backs off when nothing arrives within the liveness window', async () => {
    const h = harness();
    await h.goLive();
    const d = h.dial();
    h.clock.increment(34_999);
    expect(h.status().state).toBe('live');
    expect(d.stopped).toBe(false);
    h.clock.increment(1);
    expect(h.status()).toMatchObject({ state: 'backoff', attempt: 1, reason: 'no frame within the liveness window' });
    expect(d.stopped).toBe(true);
  });

  it('keeps the link up while frames or pongs keep arriving within the liveness window', async () => {
    const h = harness();
    await h.goLive();
    for (let i = 0; i < 10; i++) {
      h.clock.increment(30_000);
      if (i % 2 === 0) h.dial().send({ type: 'SOCKET.ACTIVITY', gen: h.dial().gen });
      else h.dial().send({ type: 'SOCKET.FRAME', gen: h.dial().gen, frame: frame(i) });
    }
    expect(h.status().state).toBe('live');
    h.clock.increment(35_000);
    expect(h.status().state).toBe('backoff');
  });

  it('enters polling after three failed dials and polls every interval while still dialling', async () => {
    const h = harness({ random: () => 0.999999 });
    h.fail();
    h.clock.increment(249);
    h.fail();
    h.clock.increment(249);
    expect(h.polls).toHaveLength(0);
    h.fail();
    expect(h.status()).toMatchObject({ state: 'polling', attempt: 3, delayMs: 249 });
    expect(h.polls).toHaveLength(1);
    h.polls[0]?.resolve({ delivered: 0 });
    await h.pollSettled();
    // The socket is retried after its backoff, independently of the poll timer.
    const dialsBefore = h.dials.length;
    h.clock.increment(249);
    expect(h.dials.length).toBe(dialsBefore + 1);
    h.fail();
    expect(h.status()).toMatchObject({ state: 'polling', attempt: 4 });
    h.clock.increment(30_000 - 249);
    expect(h.polls).toHaveLength(2);
  });

  it('leaves polling for open as soon as the socket authenticates again', async () => {
    const h = harness({ random: () => 0 });
    h.enterPolling();
    expect(h.status().state).toBe('polling');
    expect(h.polls).toHaveLength(1);
    h.clock.increment(0);
    expect(h.dials).toHaveLength(4);
    h.authenticate();
    expect(h.status().state).toBe('catchingUp');
    expect(h.actor.getSnapshot().context.failedDials).toBe(0);
    h.catchUps.at(-1)?.resolve({ delivered: 0 });
    await h.settle((s) => s.state === 'live');
    const pollsBefore = h.polls.length;
    h.clock.increment(120_000);
    expect(h.polls.length).toBe(pollsBefore);
  });

  it('enters polling on the next failure when 30 s pass without open', () => {
    const h = harness({ pollAfterFailures: 1_000 });
    h.clock.increment(30_000);
    expect(h.status().state).toBe('connecting');
    h.fail();
    expect(h.status().state).toBe('polling');
  });

  it('enters polling from backoff when 30 s pass without open', () => {
    const h = harness({ random: () => 0.999999, backoffBaseMs: 60_000, backoffCapMs: 60_000, pollAfterFailures: 1_000 });
    h.fail();
    h.expectSwitchAfter(30_000, 'backoff', 'polling');
  });

  it('buffers live frames during catch-up and hands them on after the history, in order', async () => {
    const h = harness();
    h.authenticate();
    const d = h.dial();
    d.send({ type: 'SOCKET.FRAME', gen: d.gen, frame: frame(1) });
    d.send({ type: 'SOCKET.FRAME', gen: d.gen, frame: frame(2) });
    expect(h.frames).toHaveLength(0);
    h.catchUps[0]?.resolve({ delivered: 5 });
    await h.settle((s) => s.state === 'live');
    expect(h.frames.map((f) => (f.type === 'new_message' ? f.message.id : f.type))).toEqual(['m1', 'm2']);
    d.send({ type: 'SOCKET.FRAME', gen: d.gen, frame: frame(3) });
    expect(h.frames.map((f) => (f.type === 'new_message' ? f.message.id : f.type))).toEqual(['m1', 'm2', 'm3']);
  });

  it('catches up again instead of buffering without bound when the buffer overflows', async () => {
    const h = harness({ maxBuffer: 2 });
    h.authenticate();
    const d = h.dial();
    for (let i = 1; i <= 3; i++) d.send({ type: 'SOCKET.FRAME', gen: d.gen, frame: frame(i) });
    h.catchUps[0]?.resolve({ delivered: 0 });
    await waitFor(h.actor, () => h.catchUps.length === 2, { timeout: 2_000 });
    expect(h.status().state).toBe('catchingUp');
    expect(h.frames).toHaveLength(0);
    h.catchUps[1]?.resolve({ delivered: 3 });
    await h.settle((s) => s.state === 'live');
    expect(h.frames).toHaveLength(0);
  });

  it('drops the socket and backs off when catch-up fails', async () => {
    const h = harness();
    h.authenticate();
    const d = h.dial();
    h.catchUps[0]?.reject(new Error('HTTP 503'));
    await h.settle((s) => s.state === 'backoff');
    expect(h.status()).toMatchObject({ state: 'backoff', attempt: 1 });
    expect((h.status() as { reason?: string }).reason).toContain('catch-up failed: HTTP 503');
    expect(d.stopped).toBe(true);
  });

  it('ignores events from an older dial when a newer one is in progress', () => {
    const h = harness({ random: () => 0 });
    const first = h.dial();
    h.fail();
    h.clock.increment(0);
    expect(h.dials).toHaveLength(2);
    first.send({ type: 'SOCKET.CLOSED', gen: first.gen, code: 1006, reason: '', clean: false });
    first.send({ type: 'SOCKET.OPENED', gen: first.gen });
    expect(h.status()).toEqual({ state: 'connecting', attempt: 1 });
  });

  it('backs off when the server refuses the auth frame', () => {
    const h = harness();
    const d = h.dial();
    d.send({ type: 'SOCKET.OPENED', gen: d.gen });
    expect(h.status().state).toBe('authenticating');
    d.send({ type: 'SOCKET.FAILED', gen: d.gen, reason: 'the server refused the agent token' });
    expect(h.status()).toMatchObject({ state: 'backoff', attempt: 1, reason: 'the server refused the agent token' });
    expect(d.stopped).toBe(true);
    expect(h.actor.getSnapshot().context.failedDials).toBe(1);
  });

  it('backs off when the socket closes while it is still dialling', () => {
    const h = harness();
    h.close(1006, '', false);
    expect(h.status()).toMatchObject({ state: 'backoff', attempt: 1, reason: 'closed 1006 (unclean)' });
    expect(h.actor.getSnapshot().context.failedDials).toBe(1);
  });

  it('abandons catch-up and backs off when the socket closes during catch-up', async () => {
    const h = harness();
    h.authenticate();
    const d = h.dial();
    d.send({ type: 'SOCKET.FRAME', gen: d.gen, frame: frame(1) });
    h.close(1001, 'going away', true);
    expect(h.status()).toMatchObject({ state: 'backoff', attempt: 1, reason: 'closed 1001 going away' });
    expect(d.stopped).toBe(true);
    // The late result of the abandoned catch-up changes nothing and hands nothing on.
    h.catchUps[0]?.resolve({ delivered: 0 });
    await new Promise((r) => setTimeout(r, 0));
    expect(h.status().state).toBe('backoff');
    expect(h.frames).toEqual([]);
  });

  it('backs off when the socket fails after it was open', async () => {
    const h = harness();
    await h.goLive();
    h.fail('write EPIPE');
    expect(h.status()).toMatchObject({ state: 'backoff', attempt: 1, reason: 'write EPIPE' });
    expect(h.actor.getSnapshot().context.failedDials).toBe(0);
  });

  it('declares the link dead when nothing arrives within the liveness window during catch-up', () => {
    const h = harness();
    h.authenticate();
    const d = h.dial();
    h.clock.increment(15_000);
    expect(d.pings).toBe(1);
    h.clock.increment(20_000);
    expect(h.status()).toMatchObject({ state: 'backoff', reason: 'no frame within the liveness window' });
    expect(d.stopped).toBe(true);
  });

  it('enters polling when 30 s pass after the link dropped without open again', async () => {
    const h = harness({ random: () => 0.999999, backoffBaseMs: 40_000, backoffCapMs: 40_000, pollAfterFailures: 1_000 });
    await h.goLive();
    h.clock.increment(60_000);
    h.close();
    h.expectSwitchAfter(30_000, 'backoff', 'polling');
  });

  it('reports a failed poll and polls again at the next interval when polling', async () => {
    const h = harness({ random: () => 0 });
    h.enterPolling();
    expect(h.status().state).toBe('polling');
    h.polls[0]?.reject(new Error('HTTP 503'));
    await h.pollSettled();
    expect(h.pollFailures).toEqual(['HTTP 503']);
    h.clock.increment(29_999);
    expect(h.polls).toHaveLength(1);
    h.clock.increment(1);
    expect(h.polls).toHaveLength(2);
    expect(h.status().state).toBe('polling');
  });

  it('keeps polling and redials after a backoff when the socket closes while polling', () => {
    const h = harness({ random: () => 0.999999 });
    h.enterPolling();
    expect(h.status()).toMatchObject({ state: 'polling', attempt: 3 });
    h.clock.increment(249);
    const d = h.dial();
    d.send({ type: 'SOCKET.OPENED', gen: d.gen });
    d.send({ type: 'SOCKET.CLOSED', gen: d.gen, code: 1000, reason: 'bye', clean: true });
    expect(h.status()).toMatchObject({ state: 'polling', attempt: 4, delayMs: 372, reason: 'closed 1000 bye' });
    const before = h.dials.length;
    h.clock.increment(371);
    expect(h.dials.length).toBe(before);
    h.clock.increment(1);
    expect(h.dials.length).toBe(before + 1);
  });

  it('stops without dialling again when told to stop during backoff or polling', () => {
    for (const where of ['backoff', 'polling'] as const) {
      const h = harness({ random: () => 0.5 });
      if (where === 'backoff') h.fail();
      else h.enterPolling();
      expect(h.status().state).toBe(where);
      const dials = h.dials.length;
      const polls = h.polls.length;
      h.actor.send({ type: 'STOP' });
      h.clock.increment(10 * 60_000);
      expect(h.status()).toEqual({ state: 'stopped' });
      expect([h.dials.length, h.polls.length]).toEqual([dials, polls]);
    }
  });

  it('takes heartbeat, liveness and poll interval from WTT_HEARTBEAT_S, WTT_LIVENESS_S and WTT_POLL_INTERVAL when they are set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-conncfg-'));
    const config = loadConfig({
      env: { HOME: dir, WTT_SKILL_DIR: dir, WTT_HEARTBEAT_S: '4', WTT_LIVENESS_S: '9', WTT_POLL_INTERVAL: '2' },
      ignoreEnvFile: true,
    });
    const h = harness(connectionInput(config, {}, () => 0));
    await h.goLive();
    h.clock.increment(3_999);
    expect(h.dial().pings).toBe(0);
    h.clock.increment(1);
    expect(h.dial().pings).toBe(1);
    h.clock.increment(4_999);
    expect(h.status().state).toBe('live');
    h.clock.increment(1);
    // Jitter 0: the backoff after the dead link is 0 ms, so the machine is already dialling again.
    expect(h.statuses.at(-2)).toMatchObject({ state: 'backoff', reason: 'no frame within the liveness window' });
    expect(h.status().state).toBe('connecting');
    h.enterPolling();
    expect(h.status().state).toBe('polling');
    h.polls[0]?.resolve({ delivered: 0 });
    await h.pollSettled();
    h.clock.increment(1_999);
    expect(h.polls).toHaveLength(1);
    h.clock.increment(1);
    expect(h.polls).toHaveLength(2);
  });

  it('uses 15 s heartbeat, 35 s liveness, 30 s poll and the backoff policy when nothing is configured', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-conncfg-'));
    const config = loadConfig({ env: { HOME: dir, WTT_SKILL_DIR: dir }, ignoreEnvFile: true });
    const h = harness(connectionInput(config));
    expect(h.actor.getSnapshot().context.cfg).toEqual({
      heartbeatMs: 15_000,
      livenessMs: 35_000,
      pollIntervalMs: 30_000,
      backoffBaseMs: 250,
      backoffCapMs: 30_000,
      stableMs: 2_000,
      pollAfterFailures: 3,
      pollAfterMs: 30_000,
      maxBuffer: 10_000,
      authRecheckMs: 300_000,
    });
  });

  it('closes the socket and stops when told to stop', async () => {
    const h = harness();
    await h.goLive();
    const d = h.dial();
    h.actor.send({ type: 'STOP' });
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.status()).toEqual({ state: 'stopped' });
    expect(d.stopped).toBe(true);
  });

  describe('refused token', () => {
    const refused = () => new WttError('WTT_ERR_AUTH_REJECTED', { status: 401, message: 'GET /messages/poll → 401' });

    it('stops polling and says unauthorized when a poll answers 401', async () => {
      const h = harness({ authRecheckMs: 60_000 });
      h.enterPolling();
      expect(h.status().state).toBe('polling');
      h.polls.at(-1)?.reject(refused());
      await h.settle((s) => s.state === 'unauthorized');
      expect(h.status()).toMatchObject({ state: 'unauthorized', reason: expect.stringContaining('refused') });
      const polls = h.polls.length;
      const dials = h.dials.length;
      // Nothing is retried in a loop: no poll and no dial for the whole re-check window.
      h.clock.increment(59_999);
      expect(h.polls.length).toBe(polls);
      expect(h.dials.length).toBe(dials);
      expect(h.pollFailures).toEqual([]);
      h.clock.increment(1);
      expect(h.status().state).toBe('connecting');
    });

    it('goes to unauthorized, not backoff, when the socket auth is refused, and leaves it on RETRY', () => {
      const h = harness();
      h.fail('auth refused', 'WTT_ERR_AUTH_REJECTED');
      expect(h.status().state).toBe('unauthorized');
      h.actor.send({ type: 'RETRY' });
      expect(h.status().state).toBe('connecting');
    });

    it('goes to unauthorized when the catch-up is refused with 403', async () => {
      const h = harness();
      h.authenticate();
      h.catchUps.at(-1)?.reject(new WttError('WTT_ERR_AUTH_REJECTED', { status: 403 }));
      await h.settle((s) => s.state === 'unauthorized');
      expect(h.dial().stopped).toBe(true);
    });
  });

  describe('SOCKET.GET', () => {
    const asker = () => {
      const got: SocketCurrent[] = [];
      const ref = createActor(fromCallback<SocketCurrent>(({ receive }) => receive((e) => got.push(e)))).start();
      return { got, ref };
    };

    it('answers with the socket of the current dial when open, and with none otherwise', async () => {
      const h = harness();
      const a = asker();
      h.actor.send({ type: 'SOCKET.GET', requestId: 'r1', replyTo: a.ref });
      expect(a.got).toEqual([{ type: 'SOCKET.CURRENT', requestId: 'r1', socket: undefined }]);
      await h.goLive();
      h.actor.send({ type: 'SOCKET.GET', requestId: 'r2', replyTo: a.ref });
      expect(a.got[1]).toEqual({ type: 'SOCKET.CURRENT', requestId: 'r2', socket: `socket-of-dial-${h.dial().gen}` });
      h.close();
      h.actor.send({ type: 'SOCKET.GET', requestId: 'r3', replyTo: a.ref });
      expect(a.got[2]).toEqual({ type: 'SOCKET.CURRENT', requestId: 'r3', socket: undefined });
    });
  });

  it('passes the identity to the socket, catch-up and poll actors', async () => {
    const seen: DialInput[] = [];
    const auth = { agentId: 'agent-1', token: undefined };
    const machine = connectionMachine.provide({
      actors: {
        dial: fromCallback<SocketCommand, DialInput, SocketEvent>(({ input, sendBack }) => {
          seen.push(input);
          sendBack({ type: 'SOCKET.OPENED', gen: input.gen });
          sendBack({ type: 'SOCKET.AUTHENTICATED', gen: input.gen });
        }),
        catchUp: fromPromise<CatchUpResult, DialInput>(async ({ input }) => {
          seen.push(input);
          return { delivered: 0 };
        }),
      },
    });
    const actor = createActor(machine, { clock: new SimulatedClock(), input: { heartbeatMs: 1000, livenessMs: 3000, pollIntervalMs: 1000, auth } }).start();
    await waitFor(actor, (s) => s.matches({ open: 'live' }), { timeout: 2_000 });
    expect(seen.map((i) => i.auth?.agentId)).toEqual(['agent-1', 'agent-1']);
    actor.stop();
  });
});
