/**
 * The reconnect policy (issue 13) on a simulated clock: the backoff grows only across consecutive
 * failed dials, a separate flap guard slows links that die soon after opening, and a hub that comes
 * back is noticed within the current backoff step (at most half the time already waited).
 */
import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromCallback, fromPromise } from 'xstate';
import {
  connectionMachine,
  connectionStatus,
  type CatchUpResult,
  type ConnectionInput,
  type PollOnceResult,
  type SocketCommand,
  type SocketEvent,
  type DialInput,
} from '../../machines/connection.machine.js';
import { BACKOFF_DEFAULTS, flapFloorMs, reconnectCeilingMs, reconnectDelayMs } from '../../machines/backoff.js';

const BASE = BACKOFF_DEFAULTS.baseMs;
const CAP = BACKOFF_DEFAULTS.capMs;

/** A deterministic uniform [0, 1) stream (LCG), so that "random" runs are repeatable. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1_664_525) + 1_013_904_223) >>> 0;
    return x / 2 ** 32;
  };
}

interface Dial {
  gen: number;
  send: (e: SocketEvent) => void;
  at: number;
}

/**
 * The machine against a scripted hub on a simulated clock. `hubUp(t)` says whether a dial at time t
 * gets through; a dial that gets through is authenticated and caught up at once.
 */
function world(input: Partial<ConnectionInput> = {}) {
  const clock = new SimulatedClock();
  let now = 0;
  const dials: Dial[] = [];
  const pending: Dial[] = [];
  const machine = connectionMachine.provide({
    actors: {
      dial: fromCallback<SocketCommand, DialInput, SocketEvent>(({ input: i, sendBack }) => {
        const d = { gen: i.gen, send: sendBack, at: now };
        dials.push(d);
        pending.push(d);
        return () => undefined;
      }),
      catchUp: fromPromise<CatchUpResult, DialInput>(async () => ({ delivered: 0 })),
      pollOnce: fromPromise<PollOnceResult, DialInput>(() => new Promise<PollOnceResult>(() => undefined)),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: { heartbeatMs: 15_000, livenessMs: 10 * 60_000, pollIntervalMs: 30_000, ...input },
  });
  actor.start();
  const status = () => connectionStatus(actor.getSnapshot());
  const flush = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {
    dials,
    status,
    get now() {
      return now;
    },
    async advance(ms: number) {
      clock.increment(ms);
      now += ms;
      await flush();
    },
    /** Answer the dials made so far: through (auth + catch-up) when `up`, refused otherwise. */
    async answer(up: boolean) {
      while (pending.length) {
        const d = pending.shift() as Dial;
        if (up) {
          d.send({ type: 'SOCKET.OPENED', gen: d.gen });
          d.send({ type: 'SOCKET.AUTHENTICATED', gen: d.gen });
        } else {
          d.send({ type: 'SOCKET.FAILED', gen: d.gen, reason: 'connect ECONNREFUSED 127.0.0.1:8787' });
        }
      }
      await flush();
    },
    /** The server closes the current link. */
    async drop() {
      const d = dials.at(-1) as Dial;
      d.send({ type: 'SOCKET.CLOSED', gen: d.gen, code: 1006, reason: '', clean: false });
      await flush();
    },
    /** Run with the hub down until `upAt`, stepping `stepMs`; returns the time the link is live again. */
    async outageUntil(upAt: number, stepMs = 1) {
      for (let guard = 0; guard < 10_000_000; guard++) {
        await this.answer(now >= upAt);
        if (status().state === 'live') return now;
        await this.advance(stepMs);
      }
      throw new Error('never live again');
    },
  };
}

describe('reconnect policy (pure)', () => {
  it('redials within one base step after a stable link is lost', () => {
    expect(reconnectCeilingMs({ attempt: 1, downMs: 0, flaps: 0 }, { baseMs: BASE, capMs: CAP })).toBe(BASE);
  });

  it('doubles with each failed dial in a row, but never beyond half the time already waited', () => {
    const policy = { baseMs: BASE, capMs: CAP };
    expect(reconnectCeilingMs({ attempt: 4, downMs: 100_000, flaps: 0 }, policy)).toBe(2_000);
    expect(reconnectCeilingMs({ attempt: 4, downMs: 1_000, flaps: 0 }, policy)).toBe(500);
    expect(reconnectCeilingMs({ attempt: 4, downMs: 100, flaps: 0 }, policy)).toBe(BASE);
    expect(reconnectCeilingMs({ attempt: 40, downMs: 10 * 60_000, flaps: 0 }, policy)).toBe(CAP);
  });

  it('raises the ceiling for links that kept dying soon after opening, up to the cap', () => {
    expect([0, 1, 2, 3, 10].map((n) => flapFloorMs(n, BASE, CAP))).toEqual([0, 500, 1_000, 2_000, CAP]);
    expect(reconnectCeilingMs({ attempt: 1, downMs: 0, flaps: 3 }, { baseMs: BASE, capMs: CAP })).toBe(2_000);
    expect(reconnectCeilingMs({ attempt: 5, downMs: 100, flaps: 3 }, { baseMs: BASE, capMs: CAP })).toBe(2_000);
  });

  it('draws every delay below its ceiling', () => {
    const r = lcg(7);
    for (let i = 0; i < 1_000; i++) {
      const plan = { attempt: 1 + (i % 12), downMs: i * 97, flaps: i % 4 };
      const d = reconnectDelayMs(plan, { baseMs: BASE, capMs: CAP }, r);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(reconnectCeilingMs(plan, { baseMs: BASE, capMs: CAP }));
    }
  });
});

describe('reconnect policy (machine, simulated clock)', () => {
  it('notices a hub that comes back within half of the outage (or one base step), whatever the outage', async () => {
    for (const outage of [300, 1_000, 2_500, 7_000, 25_000]) {
      for (const random of [() => 0.999999, lcg(outage)]) {
        const w = world({ random, pollAfterMs: 10 * 60 * 60_000 });
        await w.answer(true);
        expect(w.status().state).toBe('live');
        await w.advance(5_000);
        await w.drop();
        const downAt = w.now;
        const liveAt = await w.outageUntil(downAt + outage);
        expect(liveAt - (downAt + outage)).toBeLessThanOrEqual(Math.max(BASE, outage / 2));
      }
    }
  });

  it('recovers within one short step after every one of ten hub restarts 7 s apart (the delay does not grow across links)', async () => {
    const w = world({ random: () => 0.999999 });
    await w.answer(true);
    const lags: number[] = [];
    for (let kill = 0; kill < 10; kill++) {
      await w.advance(6_000);
      await w.drop();
      const backAt = w.now + 1_000;
      lags.push((await w.outageUntil(backAt)) - backAt);
    }
    // The same lag every time: 1 s down is four 250 ms steps, the next one lands just after the hub is back.
    expect(new Set(lags).size).toBe(1);
    expect(Math.max(...lags)).toBeLessThanOrEqual(500);
  });

  it('keeps the dial rate low during a long outage: no hot loop, the delay reaches the cap', async () => {
    const w = world({ random: lcg(42) });
    await w.answer(true);
    await w.advance(5_000);
    await w.drop();
    const downAt = w.now;
    const before = w.dials.length;
    await w.outageUntil(downAt + 10 * 60_000, 10);
    const dials = w.dials.length - before;
    // 10 minutes down: a few dozen dials (≈ 20 to reach the cap, then one per ≈ 15 s), never thousands.
    expect(dials).toBeLessThan(80);
    expect(dials).toBeGreaterThan(20);
  });

  it('slows down a server that accepts and closes at once, and forgets it once a link is stable', async () => {
    const w = world({ random: () => 0.999999 });
    await w.answer(true);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      await w.drop();
      const st = w.status();
      if (st.state !== 'backoff') throw new Error(`expected backoff, got ${st.state}`);
      expect(st.attempt).toBe(1);
      delays.push(st.delayMs);
      await w.advance(st.delayMs);
      await w.answer(true);
      expect(w.status().state).toBe('live');
    }
    expect(delays).toEqual([499, 999, 1_999, 3_999, 7_999, 15_999, 29_999, 29_999]);
    // A link that stays live for stableMs ends the flap streak: the next loss redials within one base step.
    await w.advance(BACKOFF_DEFAULTS.stableMs);
    await w.drop();
    expect(w.status()).toMatchObject({ state: 'backoff', attempt: 1, flaps: 0, delayMs: BASE - 1 });
  });

  it('keeps the flap guard while dials fail after a flapping link', async () => {
    const w = world({ random: () => 0.999999 });
    await w.answer(true);
    for (let i = 0; i < 3; i++) {
      await w.drop();
      const st = w.status();
      await w.advance(st.state === 'backoff' ? st.delayMs : 0);
      await w.answer(true);
    }
    await w.drop();
    const st = w.status();
    expect(st).toMatchObject({ state: 'backoff', flaps: 4, delayMs: 3_999 });
    await w.advance(3_999);
    await w.answer(false);
    // A failed dial after four flaps: its ceiling is still at least the flap floor (4 s).
    const next = w.status();
    expect(next).toMatchObject({ attempt: 2, flaps: 4 });
    expect(next.state === 'backoff' && next.delayMs).toBe(3_999);
  });

  it('treats a link that dies before it was live for stableMs as a flap, and one that lived longer as healthy', async () => {
    const w = world({ random: () => 0.999999 });
    await w.answer(true);
    await w.advance(BACKOFF_DEFAULTS.stableMs - 1);
    await w.drop();
    expect(w.status()).toMatchObject({ state: 'backoff', flaps: 1 });
    await w.advance(499);
    await w.answer(true);
    await w.advance(BACKOFF_DEFAULTS.stableMs);
    await w.drop();
    expect(w.status()).toMatchObject({ state: 'backoff', flaps: 0, delayMs: BASE - 1 });
  });
});
