import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, fromCallback, fromPromise, waitFor, type AnyActorRef } from 'xstate';
import { connectionMachine, type CatchUpResult, type DialInput, type SocketCommand, type SocketEvent } from '../../machines/connection.machine.js';
import { onboardingMachine, type OnboardingInput } from '../../machines/onboarding.machine.js';
import { runtimeMachine, type ChildFailure, type RuntimeStatus } from '../../machines/runtime.machine.js';
import type { RegisterInput, RegisteredIdentity } from '../../src/onboarding/register.js';
import type { RouteDetectInput, RouteDetection } from '../../src/onboarding/route-detect.js';
import type { SaveEnvInput } from '../../src/onboarding/save-env.js';
import type { UpsertResult } from '../../src/env-file.js';
import { Secret } from '../../src/onboarding/secret.js';

const onboardingInput = (over: Partial<OnboardingInput> = {}): OnboardingInput => ({
  apiUrl: 'http://127.0.0.1:1',
  envFile: '/nonexistent/.env',
  httpTimeoutMs: 1000,
  displayName: undefined,
  agentId: undefined,
  agentToken: undefined,
  imChannel: undefined,
  imTargets: [],
  openclawHome: '/nonexistent/.openclaw',
  openclawConfigPath: '/nonexistent/.openclaw/openclaw.json',
  openclawAgentId: 'main',
  registerRetryMs: 30_000,
  registerRetryMaxMs: 100_000,
  ...over,
});

interface Options {
  /** Registration answers: an identity, or an error to throw. */
  registrations?: Array<RegisteredIdentity | Error>;
  /** How many times the router fails right at start before it runs. */
  routerFailures?: number;
  agentId?: string;
}

/** The root with the real onboarding and connection machines (fake I/O actors) and fake leaf children. */
function harness(opts: Options = {}) {
  const clock = new SimulatedClock();
  const registrations = [...(opts.registrations ?? [{ agentId: 'agent-new', token: new Secret('tok-1') }])];
  const dials: DialInput[] = [];
  const routerStarts: number[] = [];
  const logged: ChildFailure[] = [];
  const routerEvents: Array<{ type: string }> = [];
  let routerFailuresLeft = opts.routerFailures ?? 0;
  const machine = runtimeMachine.provide({
    actors: {
      onboarding: onboardingMachine.provide({
        actors: {
          register: fromPromise<RegisteredIdentity, RegisterInput>(async () => {
            const next = registrations.shift() ?? new Error('no more registrations scripted');
            if (next instanceof Error) throw next;
            return next;
          }),
          saveEnv: fromPromise<UpsertResult, SaveEnvInput>(async ({ input }) => ({ path: input.envFile, replaced: [], appended: Object.keys(input.updates) })),
          detectRoute: fromPromise<RouteDetection, RouteDetectInput>(async () => ({ route: undefined, notes: [] })),
        },
      }),
      connection: connectionMachine.provide({
        actors: {
          dial: fromCallback<SocketCommand, DialInput, SocketEvent>(({ input, sendBack }) => {
            dials.push(input);
            sendBack({ type: 'SOCKET.OPENED', gen: input.gen });
            sendBack({ type: 'SOCKET.AUTHENTICATED', gen: input.gen });
          }),
          catchUp: fromPromise<CatchUpResult, DialInput>(async () => ({ delivered: 0 })),
        },
      }),
      router: fromCallback<{ type: string }>(({ receive }) => {
        routerStarts.push(routerStarts.length + 1);
        if (routerFailuresLeft > 0) {
          routerFailuresLeft--;
          throw new Error('router exploded at start');
        }
        receive((e) => routerEvents.push(e));
      }),
    },
    actions: {
      logChildFailure: (_, f: ChildFailure | undefined) => {
        if (f) logged.push(f);
      },
    },
  });
  const actor = createActor(machine, {
    clock,
    systemId: 'runtime',
    input: {
      onboarding: onboardingInput(opts.agentId ? { agentId: opts.agentId, agentToken: new Secret('tok-existing') } : {}),
      connection: { heartbeatMs: 15_000, livenessMs: 35_000, pollIntervalMs: 30_000, random: () => 0.5 },
      restartBaseMs: 1_000,
      restartCapMs: 8_000,
      childStableMs: 60_000,
      random: () => 0,
    },
  });
  return { clock, actor, dials, routerStarts, logged, routerEvents };
}

describe('runtimeMachine', () => {
  it('registers every long-lived child in the one system by systemId', async () => {
    const h = harness({ agentId: 'agent-old' });
    h.actor.start();
    await waitFor(h.actor, (s) => s.context.connection.state === 'live', { timeout: 2_000 });
    for (const id of ['runtime', 'onboarding', 'connection', 'router', 'notifier', 'commands', 'control']) {
      expect(h.actor.system.get(id), id).toBeDefined();
    }
    h.actor.stop();
  });

  it('starts the connection only once onboarding has an identity, authenticated as it', async () => {
    const h = harness({ registrations: [new Error('ECONNREFUSED'), { agentId: 'agent-new', token: new Secret('tok-1') }] });
    h.actor.start();
    // The first registration fails: onboarding is in fallback, no connection yet.
    await waitFor(h.actor.system.get('onboarding') as AnyActorRef, (s) => s.matches({ identity: 'fallback' }), { timeout: 2_000 });
    expect(h.actor.getSnapshot().matches({ connection: 'waiting' })).toBe(true);
    expect(h.dials).toEqual([]);
    // Onboarding retries by itself after its delay: then the link starts as the new agent.
    h.clock.increment(30_000);
    await waitFor(h.actor, (s) => s.context.connection.state === 'live', { timeout: 2_000 });
    expect(h.dials.map((d) => d.auth?.agentId)).toEqual(['agent-new']);
    expect(h.actor.getSnapshot().context.identity?.agentId).toBe('agent-new');
    h.actor.stop();
  });

  it('restarts a failed child with a growing backoff, logs each failure and keeps the others running', async () => {
    const h = harness({ agentId: 'agent-old', routerFailures: 2 });
    h.actor.start();
    await waitFor(h.actor, (s) => s.context.connection.state === 'live', { timeout: 2_000 });
    expect(h.routerStarts).toEqual([1]);
    expect(h.logged).toMatchObject([{ child: 'router', failures: 1, restartInMs: 500, reason: 'router exploded at start' }]);
    expect(h.actor.getSnapshot().matches({ router: 'failed' })).toBe(true);
    // Equal jitter with random 0: half the ceiling. First restart after 500 ms (ceiling 1 s) …
    h.clock.increment(499);
    expect(h.routerStarts).toHaveLength(1);
    h.clock.increment(1);
    expect(h.routerStarts).toHaveLength(2);
    // … it fails again: the next wait is 1 s (ceiling 2 s).
    expect(h.logged.at(-1)).toMatchObject({ child: 'router', failures: 2, restartInMs: 1_000 });
    h.clock.increment(999);
    expect(h.routerStarts).toHaveLength(2);
    h.clock.increment(1);
    expect(h.routerStarts).toHaveLength(3);
    expect(h.actor.getSnapshot().matches({ router: 'running' })).toBe(true);
    // The process never stopped: the connection stayed live throughout.
    expect(h.actor.getSnapshot().status).toBe('active');
    expect(h.actor.getSnapshot().context.connection.state).toBe('live');
    // Healthy for childStableMs: the count resets.
    h.clock.increment(60_000);
    expect(h.actor.getSnapshot().context.failures.router).toBe(0);
    h.actor.stop();
  });

  it('answers STATUS.GET with the one published status and tells the router of status changes', async () => {
    const h = harness({ agentId: 'agent-old' });
    h.actor.start();
    await waitFor(h.actor, (s) => s.context.connection.state === 'live', { timeout: 2_000 });
    const answers: Array<{ type: string; status: RuntimeStatus }> = [];
    const asker = createActor(fromCallback<{ type: string; status: RuntimeStatus }>(({ receive }) => receive((e) => answers.push(e)))).start();
    h.actor.send({ type: 'STATUS.GET', replyTo: asker });
    expect(answers[0]?.status).toMatchObject({ agentId: 'agent-old', connection: { state: 'live' } });
    expect(h.routerEvents.map((e) => (e as unknown as { status: { state: string } }).status.state)).toEqual(['connecting', 'authenticating', 'catchingUp', 'live']);
    h.actor.stop();
  });

  it('never puts the agent token into its snapshot', async () => {
    const h = harness({ agentId: 'agent-old' });
    h.actor.start();
    await waitFor(h.actor, (s) => s.context.connection.state === 'live', { timeout: 2_000 });
    const json = JSON.stringify(h.actor.getPersistedSnapshot());
    expect(json).not.toContain('tok-existing');
    h.actor.stop();
  });
});
