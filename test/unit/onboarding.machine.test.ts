import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, waitFor, type Actor } from 'xstate';
import { onboardingMachine, type OnboardingEmitted, type OnboardingInput } from '../../machines/onboarding.machine.js';
import type { ClaimCodeInput, IssuedClaimCode } from '../../src/onboarding/claim-code.js';
import type { RegisterInput, RegisteredIdentity } from '../../src/onboarding/register.js';
import type { RouteDetectInput, RouteDetection } from '../../src/onboarding/route-detect.js';
import type { SaveEnvInput } from '../../src/onboarding/save-env.js';
import { Secret } from '../../src/onboarding/secret.js';
import type { UpsertResult } from '../../src/env-file.js';

const TOKEN = 'tok_0123456789abcdefSECRET';

const baseInput = (over: Partial<OnboardingInput> = {}): OnboardingInput => ({
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

interface Fakes {
  register?: () => Promise<RegisteredIdentity>;
  saveEnv?: (input: SaveEnvInput) => Promise<UpsertResult>;
  detectRoute?: () => Promise<RouteDetection>;
  requestClaimCode?: () => Promise<IssuedClaimCode>;
}

/** Test harness: fake actors that record their calls, a simulated clock, the emitted events. */
function harness(input: OnboardingInput, fakes: Fakes = {}) {
  const calls = { register: 0, saveEnv: [] as SaveEnvInput[], detectRoute: 0, requestClaimCode: 0 };
  const machine = onboardingMachine.provide({
    actors: {
      register: fromPromise<RegisteredIdentity, RegisterInput>(async () => {
        calls.register++;
        return (fakes.register ?? (async () => ({ agentId: 'agent-new', token: new Secret(TOKEN) })))();
      }),
      saveEnv: fromPromise<UpsertResult, SaveEnvInput>(async ({ input: i }) => {
        calls.saveEnv.push(i);
        return (fakes.saveEnv ?? (async (x: SaveEnvInput) => ({ path: x.envFile, replaced: [], appended: Object.keys(x.updates) })))(i);
      }),
      detectRoute: fromPromise<RouteDetection, RouteDetectInput>(async () => {
        calls.detectRoute++;
        return (fakes.detectRoute ?? (async () => ({ route: undefined, notes: ['nothing here'] })))();
      }),
      requestClaimCode: fromPromise<IssuedClaimCode, ClaimCodeInput>(async () => {
        calls.requestClaimCode++;
        return (fakes.requestClaimCode ?? (async () => ({ code: 'WTT-CLAIM-ABCD1234', expiresInMs: 900_000, expiresAt: '2026-09-01T10:15:00.000Z' })))();
      }),
    },
  });
  const clock = new SimulatedClock();
  const actor = createActor(machine, { input, clock });
  const emitted: OnboardingEmitted[] = [];
  actor.on('*', (e) => emitted.push(e));
  actor.start();
  return { actor, clock, calls, emitted };
}

type A = Actor<typeof onboardingMachine>;
const until = (actor: A, pred: (s: ReturnType<A['getSnapshot']>) => boolean) => waitFor(actor, pred, { timeout: 2000 });

describe('onboarding.machine', () => {
  describe('identity', () => {
    it('is registered at once and calls nobody when an agent id is configured', async () => {
      const { actor, calls, emitted } = harness(baseInput({ agentId: 'agent-1', agentToken: new Secret(TOKEN) }));
      expect(actor.getSnapshot().matches({ identity: 'registered' })).toBe(true);
      actor.send({ type: 'START' });
      await until(actor, (s) => s.matches({ route: 'manual' }));
      expect(calls.register).toBe(0);
      expect(emitted).toContainEqual({ type: 'registered', agentId: 'agent-1', source: 'existing' });
    });

    it('waits in unregistered when it has no agent id and was not started', () => {
      const { actor, calls } = harness(baseInput());
      expect(actor.getSnapshot().value).toEqual({ identity: 'unregistered', route: 'unknown', bind: 'idle' });
      expect(calls.register).toBe(0);
    });

    it('registers and saves the id and token to .env when started without an agent id', async () => {
      const { actor, calls, emitted } = harness(baseInput());
      actor.send({ type: 'START' });
      const s = await until(actor, (x) => x.matches({ identity: 'registered' }));
      expect(s.context.agentId).toBe('agent-new');
      expect(s.context.agentToken?.reveal()).toBe(TOKEN);
      expect(s.context.identitySource).toBe('registered');
      const idSave = calls.saveEnv.find((c) => 'WTT_AGENT_ID' in c.updates);
      expect(idSave?.envFile).toBe('/nonexistent/.env');
      expect(idSave?.updates.WTT_AGENT_ID).toBe('agent-new');
      expect((idSave?.updates.WTT_AGENT_TOKEN as Secret).reveal()).toBe(TOKEN);
      expect(emitted).toContainEqual({ type: 'saved', what: 'identity', path: '/nonexistent/.env', keys: ['WTT_AGENT_ID', 'WTT_AGENT_TOKEN'] });
      expect(emitted).toContainEqual({ type: 'registered', agentId: 'agent-new', source: 'registered' });
    });

    it('registers on REGISTER alone without touching the route', async () => {
      const { actor, calls } = harness(baseInput());
      actor.send({ type: 'REGISTER' });
      await until(actor, (x) => x.matches({ identity: 'registered' }));
      expect(actor.getSnapshot().matches({ route: 'unknown' })).toBe(true);
      expect(calls.detectRoute).toBe(0);
    });

    it('passes through registering.requesting and registering.saving when it registers', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const { actor } = harness(baseInput(), {
        saveEnv: async (i) => {
          await gate;
          return { path: i.envFile, replaced: [], appended: [] };
        },
      });
      actor.send({ type: 'REGISTER' });
      expect(actor.getSnapshot().matches({ identity: { registering: 'requesting' } })).toBe(true);
      await until(actor, (x) => x.matches({ identity: { registering: 'saving' } }));
      release();
      await until(actor, (x) => x.matches({ identity: 'registered' }));
    });

    it('enters fallback with a loud warning and retries on a growing delay when the server is unreachable', async () => {
      let fail = 3;
      const { actor, clock, calls, emitted } = harness(baseInput(), {
        register: async () => {
          if (fail-- > 0) throw new Error('POST /agents/register: connect ECONNREFUSED 127.0.0.1:1');
          return { agentId: 'agent-late', token: new Secret(TOKEN) };
        },
      });
      actor.send({ type: 'START' });
      await until(actor, (s) => s.matches({ identity: 'fallback' }));
      expect(actor.getSnapshot().context.agentId).toBeUndefined();
      expect(emitted).toContainEqual({ type: 'fallback', reason: 'POST /agents/register: connect ECONNREFUSED 127.0.0.1:1', attempt: 1, retryInMs: 30_000 });

      clock.increment(29_999);
      expect(actor.getSnapshot().matches({ identity: 'fallback' })).toBe(true);
      expect(calls.register).toBe(1);
      clock.increment(1);
      await until(actor, (s) => s.matches({ identity: 'fallback' }) && s.context.registerAttempts === 2);
      expect(actor.getSnapshot().context.retryInMs).toBe(60_000);

      clock.increment(59_999);
      expect(calls.register).toBe(2);
      clock.increment(1);
      await until(actor, (s) => s.context.registerAttempts === 3 && s.matches({ identity: 'fallback' }));
      // Capped at registerRetryMaxMs.
      expect(actor.getSnapshot().context.retryInMs).toBe(100_000);
      clock.increment(100_000);
      const s = await until(actor, (x) => x.matches({ identity: 'registered' }));
      expect(s.context.agentId).toBe('agent-late');
      expect(calls.register).toBe(4);
      expect(emitted.filter((e) => e.type === 'fallback')).toHaveLength(3);
    });

    it('retries at once on RETRY_REGISTER when it is in fallback', async () => {
      let fail = true;
      const { actor, calls } = harness(baseInput(), {
        register: async () => {
          if (fail) {
            fail = false;
            throw new Error('down');
          }
          return { agentId: 'agent-r', token: undefined };
        },
      });
      actor.send({ type: 'REGISTER' });
      await until(actor, (s) => s.matches({ identity: 'fallback' }));
      actor.send({ type: 'RETRY_REGISTER' });
      const s = await until(actor, (x) => x.matches({ identity: 'registered' }));
      expect(calls.register).toBe(2);
      expect(s.context.agentToken).toBeUndefined();
      expect(calls.saveEnv.at(-1)?.updates).toEqual({ WTT_AGENT_ID: 'agent-r' });
    });

    it('is registered but reports the failure when .env cannot be written', async () => {
      const { actor, emitted } = harness(baseInput(), {
        saveEnv: async () => {
          throw new Error('.env line 3: expected KEY=VALUE');
        },
      });
      actor.send({ type: 'REGISTER' });
      const s = await until(actor, (x) => x.matches({ identity: 'registered' }));
      expect(s.context.saveErrors).toEqual(['identity: .env line 3: expected KEY=VALUE']);
      expect(emitted).toContainEqual({ type: 'saveFailed', what: 'identity', reason: '.env line 3: expected KEY=VALUE' });
    });

    it('never puts the token into a persisted snapshot or emitted event when it holds one', async () => {
      const { actor, emitted } = harness(baseInput());
      actor.send({ type: 'START' });
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ identity: 'registered' }));
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ bind: 'codeIssued' }));
      const json = JSON.stringify(actor.getPersistedSnapshot()) + JSON.stringify(emitted) + JSON.stringify(actor.getSnapshot());
      expect(json).not.toContain(TOKEN);
      expect(json).toContain('[Redacted]');
    });
  });

  describe('route', () => {
    it('stays unknown until START or DETECT_ROUTE', async () => {
      const { actor, calls } = harness(baseInput({ agentId: 'a' }));
      expect(actor.getSnapshot().matches({ route: 'unknown' })).toBe(true);
      expect(calls.detectRoute).toBe(0);
      actor.send({ type: 'DETECT_ROUTE' });
      await until(actor, (s) => s.matches({ route: 'manual' }));
      expect(calls.detectRoute).toBe(1);
    });

    it('is configured without writing when the route comes from the configuration', async () => {
      const { actor, calls, emitted } = harness(baseInput({ agentId: 'a' }), {
        detectRoute: async () => ({ route: { channel: 'telegram', targets: ['1', '2'], source: 'env' }, notes: [] }),
      });
      actor.send({ type: 'START' });
      const s = await until(actor, (x) => x.matches({ route: 'configured' }));
      expect(s.context.route).toEqual({ channel: 'telegram', targets: ['1', '2'], source: 'env' });
      expect(calls.saveEnv).toHaveLength(0);
      expect(emitted).toContainEqual({ type: 'routeConfigured', route: { channel: 'telegram', targets: ['1', '2'], source: 'env' } });
    });

    it('saves a detected route to .env then is configured when OpenClaw has a direct chat', async () => {
      const route = { channel: 'telegram', targets: ['555001'], source: 'sqlite' as const, updatedAt: 1, from: '/x.sqlite' };
      const { actor, calls } = harness(baseInput({ agentId: 'a' }), { detectRoute: async () => ({ route, notes: [] }) });
      actor.send({ type: 'DETECT_ROUTE' });
      expect(actor.getSnapshot().matches({ route: { detecting: 'reading' } })).toBe(true);
      const s = await until(actor, (x) => x.matches({ route: 'configured' }));
      expect(s.context.route).toEqual(route);
      expect(calls.saveEnv).toEqual([{ envFile: '/nonexistent/.env', updates: { WTT_IM_CHANNEL: 'telegram', WTT_IM_TARGET: '555001' } }]);
      expect(s.context.savedKeys).toEqual(['WTT_IM_CHANNEL', 'WTT_IM_TARGET']);
    });

    it('goes to manual with the notes when no route is found', async () => {
      const { actor, emitted } = harness(baseInput({ agentId: 'a' }));
      actor.send({ type: 'DETECT_ROUTE' });
      await until(actor, (x) => x.matches({ route: 'manual' }));
      expect(emitted).toContainEqual({ type: 'routeManual', notes: ['nothing here'] });
    });

    it('goes to manual with the reason when detection throws', async () => {
      const { actor, emitted } = harness(baseInput({ agentId: 'a' }), {
        detectRoute: async () => {
          throw new Error('disk on fire');
        },
      });
      actor.send({ type: 'DETECT_ROUTE' });
      const s = await until(actor, (x) => x.matches({ route: 'manual' }));
      expect(s.context.routeError).toBe('disk on fire');
      expect(emitted).toContainEqual({ type: 'routeManual', notes: ['disk on fire'] });
    });

    it('detects again on DETECT_ROUTE from manual and from configured', async () => {
      let n = 0;
      const { actor } = harness(baseInput({ agentId: 'a' }), {
        detectRoute: async () => {
          n++;
          return n === 1 ? { route: undefined, notes: [] } : { route: { channel: 'telegram', targets: [String(n)], source: 'env' }, notes: [] };
        },
      });
      actor.send({ type: 'DETECT_ROUTE' });
      await until(actor, (x) => x.matches({ route: 'manual' }));
      actor.send({ type: 'DETECT_ROUTE' });
      await until(actor, (x) => x.matches({ route: 'configured' }) && x.context.route?.targets[0] === '2');
      actor.send({ type: 'DETECT_ROUTE' });
      await until(actor, (x) => x.matches({ route: 'configured' }) && x.context.route?.targets[0] === '3');
    });

    it('is configured but records the failure when the route cannot be saved', async () => {
      const { actor } = harness(baseInput({ agentId: 'a' }), {
        detectRoute: async () => ({ route: { channel: 'telegram', targets: ['9'], source: 'sessions.json' }, notes: [] }),
        saveEnv: async () => {
          throw new Error('read-only file system');
        },
      });
      actor.send({ type: 'DETECT_ROUTE' });
      const s = await until(actor, (x) => x.matches({ route: 'configured' }));
      expect(s.context.saveErrors).toEqual(['route: read-only file system']);
    });
  });

  describe('bind', () => {
    it('refuses BIND without an agent id and accepts it once registered', async () => {
      const { actor, calls, emitted } = harness(baseInput());
      actor.send({ type: 'BIND' });
      expect(actor.getSnapshot().matches({ bind: 'refused' })).toBe(true);
      expect(calls.requestClaimCode).toBe(0);
      expect(emitted).toContainEqual({ type: 'bindRefused', reason: 'no agent id yet: register first (wtt config auto)' });
      actor.send({ type: 'BIND' });
      expect(actor.getSnapshot().matches({ bind: 'refused' })).toBe(true);
      expect(emitted.filter((e) => e.type === 'bindRefused')).toHaveLength(2);
      actor.send({ type: 'REGISTER' });
      await until(actor, (x) => x.matches({ identity: 'registered' }));
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ bind: 'codeIssued' }));
    });

    it('issues a code that expires after its lifetime on the simulated clock', async () => {
      const { actor, clock, emitted } = harness(baseInput({ agentId: 'a', agentToken: new Secret(TOKEN) }));
      actor.send({ type: 'BIND' });
      expect(actor.getSnapshot().matches({ bind: 'requesting' })).toBe(true);
      const s = await until(actor, (x) => x.matches({ bind: 'codeIssued' }));
      expect(s.context.claimCode).toBe('WTT-CLAIM-ABCD1234');
      expect(s.context.codeExpiresInMs).toBe(900_000);
      expect(s.context.codeExpiresAt).toBe('2026-09-01T10:15:00.000Z');
      expect(emitted).toContainEqual({ type: 'codeIssued', expiresInMs: 900_000, expiresAt: '2026-09-01T10:15:00.000Z' });
      clock.increment(899_999);
      expect(actor.getSnapshot().matches({ bind: 'codeIssued' })).toBe(true);
      clock.increment(1);
      expect(actor.getSnapshot().matches({ bind: 'expired' })).toBe(true);
      expect(actor.getSnapshot().context.claimCode).toBeUndefined();
      expect(emitted).toContainEqual({ type: 'codeExpired' });
    });

    it('is claimed on CLAIMED and no longer expires', async () => {
      const { actor, clock, emitted } = harness(baseInput({ agentId: 'a' }));
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ bind: 'codeIssued' }));
      actor.send({ type: 'CLAIMED' });
      expect(actor.getSnapshot().matches({ bind: 'claimed' })).toBe(true);
      clock.increment(1_000_000);
      expect(actor.getSnapshot().matches({ bind: 'claimed' })).toBe(true);
      expect(emitted.some((e) => e.type === 'codeExpired')).toBe(false);
      expect(emitted).toContainEqual({ type: 'claimed' });
    });

    it('requests a fresh code with a fresh expiry when BIND comes while a code is active', async () => {
      let n = 0;
      const { actor, clock, calls } = harness(baseInput({ agentId: 'a' }), {
        requestClaimCode: async () => ({ code: `WTT-CLAIM-0000000${++n}`, expiresInMs: 600_000, expiresAt: 'x' }),
      });
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ bind: 'codeIssued' }));
      clock.increment(500_000);
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ bind: 'codeIssued' }) && x.context.claimCode === 'WTT-CLAIM-00000002');
      clock.increment(500_000);
      expect(actor.getSnapshot().matches({ bind: 'codeIssued' })).toBe(true);
      clock.increment(100_000);
      expect(actor.getSnapshot().matches({ bind: 'expired' })).toBe(true);
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ bind: 'codeIssued' }) && x.context.claimCode === 'WTT-CLAIM-00000003');
      expect(calls.requestClaimCode).toBe(3);
    });

    it('goes to failed with the reason when the server refuses, and retries on BIND', async () => {
      let fail = true;
      const { actor, emitted } = harness(baseInput({ agentId: 'a' }), {
        requestClaimCode: async () => {
          if (fail) {
            fail = false;
            throw new Error('POST /agents/claim-code → 401: invalid agent token');
          }
          return { code: 'WTT-CLAIM-ZZZZ9999', expiresInMs: 1000, expiresAt: 'x' };
        },
      });
      actor.send({ type: 'BIND' });
      const s = await until(actor, (x) => x.matches({ bind: 'failed' }));
      expect(s.context.bindError).toBe('POST /agents/claim-code → 401: invalid agent token');
      expect(emitted).toContainEqual({ type: 'bindFailed', reason: 'POST /agents/claim-code → 401: invalid agent token' });
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ bind: 'codeIssued' }));
      expect(actor.getSnapshot().context.bindError).toBeUndefined();
    });

    it('asks for a new code on BIND after a claim', async () => {
      const { actor, calls } = harness(baseInput({ agentId: 'a' }));
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ bind: 'codeIssued' }));
      actor.send({ type: 'CLAIMED' });
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ bind: 'codeIssued' }));
      expect(calls.requestClaimCode).toBe(2);
    });

    it('can be claimed after the code expired when the claim arrives late', async () => {
      const { actor, clock } = harness(baseInput({ agentId: 'a' }));
      actor.send({ type: 'BIND' });
      await until(actor, (x) => x.matches({ bind: 'codeIssued' }));
      clock.increment(900_000);
      expect(actor.getSnapshot().matches({ bind: 'expired' })).toBe(true);
      actor.send({ type: 'CLAIMED' });
      expect(actor.getSnapshot().matches({ bind: 'claimed' })).toBe(true);
    });
  });
});
