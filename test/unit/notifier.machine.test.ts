import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromPromise } from 'xstate';
import { SEND_BATCH_MAX, notifierMachine, type DeliverInput, type DeliverOutcome, type HubReport, type NotifierTuning } from '../../machines/notifier.machine.js';

/** A route actor whose deliveries answer from a script; every call is recorded with the clock's time. */
function harness(script: DeliverOutcome[], tuning: NotifierTuning = {}, random = () => 0.5) {
  const clock = new SimulatedClock();
  const calls: Array<DeliverInput & { at: number }> = [];
  const reports: HubReport[] = [];
  const machine = notifierMachine.provide({
    actors: {
      deliverNext: fromPromise<DeliverOutcome, DeliverInput>(async ({ input }) => {
        calls.push({ ...input, at: clock.now() });
        return script.shift() ?? { kind: 'empty' };
      }),
    },
    actions: { tellHub: (_, r: HubReport) => void reports.push(r) },
  });
  const actor = createActor(machine, { input: { route: 'telegram:1', random, ...tuning }, clock }).start();
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  const advance = async (ms: number) => {
    await settle();
    clock.increment(ms);
    await settle();
  };
  return { actor, calls, reports, clock, settle, advance };
}

const state = (a: { getSnapshot(): { value: unknown } }) => a.getSnapshot().value;

describe('notifier route machine (simulated clock)', () => {
  it('at DRAIN finishes the delivery in flight, then sends nothing more, even when woken', async () => {
    const clock = new SimulatedClock();
    let calls = 0;
    let finish: ((o: DeliverOutcome) => void) | undefined;
    const machine = notifierMachine.provide({
      actors: {
        deliverNext: fromPromise<DeliverOutcome, DeliverInput>(() => {
          calls++;
          return new Promise<DeliverOutcome>((resolve) => (finish = resolve));
        }),
      },
    });
    const actor = createActor(machine, { input: { route: 'telegram:1' }, clock }).start();
    await Promise.resolve();
    expect(calls).toBe(1);
    actor.send({ type: 'DRAIN' });
    expect(state(actor)).toBe('sending');
    finish?.({ kind: 'sent' });
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(state(actor)).toBe('drained');
    actor.send({ type: 'WAKE' });
    clock.increment(600_000);
    await Promise.resolve();
    expect(calls).toBe(1);
  });

  it('with ratePerMin 0 never paces and keeps no token timers', async () => {
    const h = harness(Array.from({ length: 300 }, () => ({ kind: 'sent' as const })), { ratePerMin: 0 });
    await h.settle();
    for (let i = 0; i < 40 && h.calls.length < 301; i++) await h.settle();
    expect(h.calls.length).toBe(301);
    expect(state(h.actor)).toBe('idle');
    expect(Object.keys((h.actor.system as unknown as { _snapshot: { _scheduledEvents: object } })._snapshot._scheduledEvents)).toHaveLength(0);
  });

  it('at DRAIN while waiting (retrying, paced, idle) stops at once', async () => {
    const h = harness([{ kind: 'retry', error: 'gateway unreachable' }], { retryBaseMs: 1_000, circuitAfter: 10 });
    await h.settle();
    expect(state(h.actor)).toBe('retrying');
    h.actor.send({ type: 'DRAIN' });
    expect(state(h.actor)).toBe('drained');
    await h.advance(120_000);
    expect(h.calls).toHaveLength(1);
    expect(h.reports).toContainEqual({ type: 'ROUTE.STATUS', status: expect.objectContaining({ state: 'drained' }) });
  });

  it('drains at start, then sleeps until woken', async () => {
    const h = harness([{ kind: 'sent' }, { kind: 'sent' }, { kind: 'empty' }]);
    await h.settle();
    expect(h.calls).toHaveLength(3);
    expect(state(h.actor)).toBe('idle');
    h.actor.send({ type: 'WAKE' });
    await h.settle();
    expect(h.calls).toHaveLength(4);
  });

  it('retries a transient failure on a growing equal-jitter schedule, honouring retry_after when given', async () => {
    const h = harness(
      [
        { kind: 'retry', error: '500 tool execution failed' },
        { kind: 'retry', error: '500 tool execution failed' },
        { kind: 'retry', error: '429', retryAfterMs: 7_000 },
        { kind: 'sent' },
      ],
      { retryBaseMs: 1_000, retryCapMs: 60_000, circuitAfter: 10 },
      () => 0,
    );
    await h.settle();
    expect(state(h.actor)).toBe('retrying');
    // Equal jitter with random()=0: half the ceiling. Attempt 1 → 500 ms, attempt 2 → 1000 ms.
    await h.advance(499);
    expect(h.calls).toHaveLength(1);
    await h.advance(1);
    expect(h.calls).toHaveLength(2);
    await h.advance(1_000);
    expect(h.calls).toHaveLength(3);
    // The far side said 7 s: not a moment earlier.
    await h.advance(6_999);
    expect(h.calls).toHaveLength(3);
    await h.advance(1);
    expect(h.calls.map((c) => c.attempt)).toEqual([0, 1, 2, 3, 0]);
    expect(h.calls.map((c) => c.at)).toEqual([0, 500, 1500, 8500, 8500]);
  });

  it('opens the circuit after failures in a row, probes once half-open, and closes on success', async () => {
    const fail: DeliverOutcome = { kind: 'retry', error: 'gateway unreachable' };
    const h = harness([fail, fail, fail, fail, { kind: 'sent' }, { kind: 'empty' }], { retryBaseMs: 100, retryCapMs: 100, circuitAfter: 3, circuitBaseMs: 10_000 }, () => 1);
    await h.settle();
    await h.advance(100);
    await h.advance(100);
    expect(state(h.actor)).toBe('circuitOpen');
    expect(h.reports.some((r) => r.type === 'ROUTE.STATUS' && r.status.state === 'circuitOpen')).toBe(true);
    await h.advance(9_999);
    expect(h.calls).toHaveLength(3);
    await h.advance(1);
    // Half-open: exactly one probe; it fails, so the circuit opens for twice as long.
    expect(h.calls).toHaveLength(4);
    expect(h.calls[3]?.probe).toBe(true);
    expect(state(h.actor)).toBe('circuitOpen');
    await h.advance(19_999);
    expect(h.calls).toHaveLength(4);
    await h.advance(1);
    expect(h.calls[4]?.probe).toBe(true);
    await h.settle();
    expect(state(h.actor)).toBe('idle');
    expect(h.actor.getSnapshot().context.failuresInRow).toBe(0);
  });

  it('moves on to the next row after a permanent failure and tells the hub which routes to wake', async () => {
    const h = harness([{ kind: 'failed', error: 'chat not found', wake: ['slack:h#1'] }, { kind: 'sent' }, { kind: 'empty' }]);
    await h.settle();
    expect(h.calls.map((c) => c.attempt)).toEqual([0, 0, 0]);
    expect(h.reports).toContainEqual({ type: 'ROUTE.WAKE_OTHERS', routeKeys: ['slack:h#1'] });
    expect(state(h.actor)).toBe('idle');
  });

  it('passes maxAttempts so the deliverer can fail a row for good, and never retries forever', async () => {
    // The deliverer's rule: fail for good once attempt + 1 reaches maxAttempts.
    const outcomes: DeliverOutcome[] = [{ kind: 'retry', error: 'e' }, { kind: 'retry', error: 'e' }, { kind: 'failed', error: 'e (gave up after 3 attempts)' }];
    const h = harness(outcomes, { retryBaseMs: 10, retryCapMs: 10, maxAttempts: 3, circuitAfter: 100 });
    await h.settle();
    await h.advance(10);
    await h.advance(10);
    await h.settle();
    expect(h.calls.slice(0, 3).map((c) => [c.attempt, c.maxAttempts])).toEqual([[0, 3], [1, 3], [2, 3]]);
    expect(state(h.actor)).toBe('idle');
    expect(h.actor.getSnapshot().context.lastError).toContain('gave up');
  });

  it('stops on a misconfigured route (a gateway 401) with no retry loop, until woken', async () => {
    const h = harness([{ kind: 'misconfigured', error: 'gateway refused the token (401)' }, { kind: 'sent' }, { kind: 'empty' }], { recheckMs: 300_000 });
    await h.settle();
    expect(state(h.actor)).toBe('misconfigured');
    await h.advance(299_000);
    expect(h.calls).toHaveLength(1);
    h.actor.send({ type: 'WAKE' });
    await h.settle();
    expect(h.calls).toHaveLength(3);
    expect(state(h.actor)).toBe('idle');
  });

  it('paces a chat to ratePerMin sends in any 60 s window', async () => {
    const many: DeliverOutcome[] = Array.from({ length: 5 }, () => ({ kind: 'sent' as const }));
    const h = harness([...many, { kind: 'empty' }], { ratePerMin: 2 });
    await h.settle();
    expect(h.calls).toHaveLength(2);
    expect(state(h.actor)).toBe('paced');
    await h.advance(59_999);
    expect(h.calls).toHaveLength(2);
    await h.advance(1);
    expect(h.calls.map((c) => c.at)).toEqual([0, 0, 60_000, 60_000]);
    await h.advance(60_000);
    expect(h.calls.map((c) => c.at)).toEqual([0, 0, 60_000, 60_000, 120_000, 120_000]);
  });

  it('a delivery that sent several rows and left the route empty goes idle without asking again', async () => {
    const h = harness([{ kind: 'sent', count: 3, drained: true }], { ratePerMin: 0 });
    await h.settle();
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]?.maxSends).toBe(SEND_BATCH_MAX);
    expect(state(h.actor)).toBe('idle');
    h.actor.send({ type: 'WAKE' });
    await h.settle();
    expect(h.calls).toHaveLength(2);
  });

  it('offers a delivery only the tokens left, and spends one per row sent', async () => {
    const h = harness([{ kind: 'sent', count: 3 }, { kind: 'sent', count: 2, drained: true }, { kind: 'sent', drained: true }], { ratePerMin: 5 });
    await h.settle();
    expect(h.calls.map((c) => c.maxSends)).toEqual([5, 2]);
    expect(state(h.actor)).toBe('paced');
    await h.advance(60_000);
    await h.settle();
    // The tokens come back one event at a time: the first starts a delivery of one row.
    expect(h.calls.map((c) => [c.at, c.maxSends])).toEqual([[0, 5], [0, 2], [60_000, 1]]);
    expect(state(h.actor)).toBe('idle');
  });

  it('after rows sent before a failure, the failed row starts at attempt 1 and a new run of failures', async () => {
    const h = harness(
      [{ kind: 'retry', error: 'e' }, { kind: 'retry', error: 'e' }, { kind: 'retry', error: 'e', sent: 2 }, { kind: 'sent', drained: true }],
      { retryBaseMs: 100, retryCapMs: 100, circuitAfter: 3 },
      () => 1,
    );
    await h.settle();
    await h.advance(100);
    await h.advance(100);
    // Two failures in a row, then a delivery that sent 2 rows before failing: no circuit, attempt 1.
    expect(state(h.actor)).toBe('retrying');
    expect(h.actor.getSnapshot().context).toMatchObject({ attempt: 1, failuresInRow: 1 });
    await h.advance(100);
    expect(h.calls.map((c) => c.attempt)).toEqual([0, 1, 2, 1]);
    expect(state(h.actor)).toBe('idle');
  });

  it('a probe sends one row only', async () => {
    const fail: DeliverOutcome = { kind: 'retry', error: 'gateway unreachable' };
    const h = harness([fail, fail, { kind: 'sent' }, { kind: 'sent', drained: true }], { retryBaseMs: 100, retryCapMs: 100, circuitAfter: 2, circuitBaseMs: 1_000, ratePerMin: 0 }, () => 1);
    await h.settle();
    await h.advance(100);
    expect(state(h.actor)).toBe('circuitOpen');
    await h.advance(1_000);
    expect(h.calls.map((c) => [c.probe, c.maxSends])).toEqual([[false, SEND_BATCH_MAX], [false, SEND_BATCH_MAX], [true, 1], [false, SEND_BATCH_MAX]]);
    expect(state(h.actor)).toBe('idle');
  });

  it('wakes by itself when a held row (a digest) comes due', async () => {
    const h = harness([{ kind: 'empty', wakeInMs: 10_000 }, { kind: 'sent' }, { kind: 'empty' }]);
    await h.settle();
    await h.advance(9_999);
    expect(h.calls).toHaveLength(1);
    await h.advance(1);
    expect(h.calls).toHaveLength(3);
  });

  it('backs off when the deliverer itself throws, instead of failing the actor', async () => {
    const h = harness([], { retryBaseMs: 1_000, circuitAfter: 10 });
    const machine = notifierMachine.provide({
      actors: {
        deliverNext: fromPromise<DeliverOutcome, DeliverInput>(async () => {
          throw new Error('store is closed');
        }),
      },
    });
    const a = createActor(machine, { input: { route: 'x:1' }, clock: h.clock }).start();
    await h.settle();
    expect(a.getSnapshot().status).toBe('active');
    expect(state(a)).toBe('retrying');
    expect(a.getSnapshot().context.lastError).toContain('store is closed');
    a.stop();
  });
});
