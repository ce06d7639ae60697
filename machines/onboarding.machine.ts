/**
 * Onboarding: three parallel regions (issue 5).
 *
 *   identity  unregistered → registering (requesting → saving) → registered
 *                                 ↘ fallback (loud warning; retries registration on a growing delay)
 *   route     unknown → detecting (reading → saving) → configured | manual
 *   bind      idle → requesting → codeIssued (expires at) → expired | claimed
 *             (refused without an agent id; failed when the server says no)
 *
 * Pure: every side effect is a named actor in `setup()` (register, saveEnv, detectRoute,
 * requestClaimCode) and every delay reads context (registerRetry, codeExpiry). Tokens travel as
 * `Secret`s, which serialise as `[Redacted]`, so snapshots and inspector events never carry them.
 * Notable moments are `emit`ted for the caller to log or print.
 */
import { assign, emit, enqueueActions, fromPromise, setup } from 'xstate';
import type { ClaimCodeInput, IssuedClaimCode } from '../src/onboarding/claim-code.js';
import type { RegisterInput, RegisteredIdentity } from '../src/onboarding/register.js';
import type { DetectedRoute, RouteDetectInput, RouteDetection } from '../src/onboarding/route-detect.js';
import type { SaveEnvInput } from '../src/onboarding/save-env.js';
import type { Secret } from '../src/onboarding/secret.js';
import type { UpsertResult } from '../src/env-file.js';
import { isWttError, type WttErrorCode } from '../src/errors.js';

/** The route fields (`imChannel`, `imTargets`) are the route as configured now (`.env` and environment). */
export interface OnboardingInput extends RouteDetectInput {
  apiUrl: string;
  envFile: string;
  httpTimeoutMs: number;
  displayName: string | undefined;
  agentId: string | undefined;
  agentToken: Secret | undefined;
  /** First registration retry delay; doubles after each failure up to `registerRetryMaxMs`. */
  registerRetryMs: number;
  registerRetryMaxMs: number;
}

export interface OnboardingMachineContext {
  settings: Omit<OnboardingInput, 'agentId' | 'agentToken'>;
  agentId: string | undefined;
  agentToken: Secret | undefined;
  /** `registered` because it was configured (`existing`) or because this machine registered it. */
  identitySource: 'existing' | 'registered' | undefined;
  registerAttempts: number;
  registerError: string | undefined;
  /** Delay before the next registration attempt while in `fallback`. */
  retryInMs: number;
  route: DetectedRoute | undefined;
  routeNotes: string[];
  routeError: string | undefined;
  claimCode: string | undefined;
  codeExpiresInMs: number;
  codeExpiresAt: string | undefined;
  bindError: string | undefined;
  /** The WttError code behind `bindError`, when there was one. */
  bindErrorCode: WttErrorCode | undefined;
  /** Keys written to `.env` by this machine, and failures to write. */
  savedKeys: string[];
  saveErrors: string[];
}

export type OnboardingEvent =
  /** Start identity and route work. */
  | { type: 'START' }
  | { type: 'REGISTER' }
  /** Retry registration now (from `fallback`). */
  | { type: 'RETRY_REGISTER' }
  | { type: 'DETECT_ROUTE' }
  /** Ask for a claim code. */
  | { type: 'BIND' }
  /** The agent was bound to a user (whoever learns it tells the machine). */
  | { type: 'CLAIMED' };

export type OnboardingEmitted =
  | { type: 'registered'; agentId: string; source: 'existing' | 'registered' }
  | { type: 'fallback'; reason: string; attempt: number; retryInMs: number }
  | { type: 'saved'; what: 'identity' | 'route'; path: string; keys: string[] }
  | { type: 'saveFailed'; what: 'identity' | 'route'; reason: string }
  | { type: 'routeConfigured'; route: DetectedRoute }
  | { type: 'routeManual'; notes: string[] }
  | { type: 'codeIssued'; expiresInMs: number; expiresAt: string }
  | { type: 'codeExpired' }
  | { type: 'bindRefused'; reason: string }
  | { type: 'bindFailed'; reason: string }
  | { type: 'claimed' };

/** A short, token-free description of why an actor failed. */
export function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The output of the `detectRoute` actor carried by its done event (guards see the event union). */
const detectionOf = (event: unknown): RouteDetection => (event as { output: RouteDetection }).output;

const identityUpdates = (c: OnboardingMachineContext): Record<string, string | Secret> => ({
  WTT_AGENT_ID: c.agentId as string,
  ...(c.agentToken ? { WTT_AGENT_TOKEN: c.agentToken } : {}),
});

/** What a finished `.env` write tells the machine (same for the identity and the route). */
interface SavedParams {
  what: 'identity' | 'route';
  path: string;
  keys: string[];
}
interface SaveFailedParams {
  what: 'identity' | 'route';
  reason: string;
}

const NO_AGENT_REASON = 'no agent id yet: register first (wtt config auto)';

const routeUpdates = (r: DetectedRoute): Record<string, string> =>
  r.targets.length > 1 ? { WTT_IM_CHANNEL: r.channel, WTT_IM_TARGETS: r.targets.join(',') } : { WTT_IM_CHANNEL: r.channel, WTT_IM_TARGET: r.targets[0] ?? '' };

function notProvided(name: string): never {
  throw new Error(`onboarding actor '${name}' was not provided (use onboardingLogic from src/onboarding/logic.ts)`);
}

export const onboardingMachine = setup({
  types: {
    input: {} as OnboardingInput,
    context: {} as OnboardingMachineContext,
    events: {} as OnboardingEvent,
    emitted: {} as OnboardingEmitted,
  },
  // The machine does no I/O: the real actors (HTTP, the .env file, the OpenClaw store) are given
  // by src/onboarding/logic.ts (`onboardingLogic`), fakes by the tests. Unprovided, each one fails.
  actors: {
    register: fromPromise<RegisteredIdentity, RegisterInput>(async () => notProvided('register')),
    saveEnv: fromPromise<UpsertResult, SaveEnvInput>(async () => notProvided('saveEnv')),
    detectRoute: fromPromise<RouteDetection, RouteDetectInput>(async () => notProvided('detectRoute')),
    requestClaimCode: fromPromise<IssuedClaimCode, ClaimCodeInput>(async () => notProvided('requestClaimCode')),
  },
  actions: {
    /** What detection found (a route, or none: then `manual`) and its notes. */
    recordDetection: assign((_, d: RouteDetection) => ({ route: d.route, routeNotes: d.notes, routeError: undefined })),
    recordSaved: enqueueActions(({ context, enqueue }, p: SavedParams) => {
      enqueue.assign({ savedKeys: [...context.savedKeys, ...p.keys] });
      enqueue.emit({ type: 'saved', what: p.what, path: p.path, keys: p.keys });
    }),
    recordSaveFailed: enqueueActions(({ context, enqueue }, p: SaveFailedParams) => {
      enqueue.assign({ saveErrors: [...context.saveErrors, `${p.what}: ${p.reason}`] });
      enqueue.emit({ type: 'saveFailed', what: p.what, reason: p.reason });
    }),
  },
  guards: {
    hasAgentId: ({ context }) => Boolean(context.agentId),
    routeFromStore: ({ event }) => {
      const route = detectionOf(event).route;
      return route !== undefined && route.source !== 'env';
    },
    routeFromConfig: ({ event }) => detectionOf(event).route?.source === 'env',
  },
  delays: {
    registerRetry: ({ context }) => context.retryInMs,
    codeExpiry: ({ context }) => context.codeExpiresInMs,
  },
}).createMachine({
  id: 'onboarding',
  type: 'parallel',
  context: ({ input }) => {
    const { agentId, agentToken, ...settings } = input;
    return {
      settings,
      agentId,
      agentToken,
      identitySource: agentId ? 'existing' : undefined,
      registerAttempts: 0,
      registerError: undefined,
      retryInMs: input.registerRetryMs,
      route: undefined,
      routeNotes: [],
      routeError: undefined,
      claimCode: undefined,
      codeExpiresInMs: 0,
      codeExpiresAt: undefined,
      bindError: undefined,
      bindErrorCode: undefined,
      savedKeys: [],
      saveErrors: [],
    };
  },
  states: {
    identity: {
      initial: 'unregistered',
      states: {
        unregistered: {
          description: 'No agent id yet; START or REGISTER registers one.',
          always: { guard: 'hasAgentId', target: 'registered' },
          on: { START: 'registering', REGISTER: 'registering' },
        },
        registering: {
          description: 'POST /agents/register, then write the id and token to .env.',
          initial: 'requesting',
          states: {
            requesting: {
              entry: assign({ registerAttempts: ({ context }) => context.registerAttempts + 1 }),
              invoke: {
                src: 'register',
                input: ({ context }) => ({ apiUrl: context.settings.apiUrl, displayName: context.settings.displayName, timeoutMs: context.settings.httpTimeoutMs }),
                onDone: {
                  target: 'saving',
                  actions: assign({
                    agentId: ({ event }) => event.output.agentId,
                    agentToken: ({ event }) => event.output.token,
                    identitySource: 'registered',
                    registerError: undefined,
                  }),
                },
                onError: {
                  target: '#onboarding.identity.fallback',
                  actions: assign({ registerError: ({ event }) => reasonOf(event.error) }),
                },
              },
            },
            saving: {
              invoke: {
                src: 'saveEnv',
                input: ({ context }) => ({ envFile: context.settings.envFile, updates: identityUpdates(context) }),
                onDone: {
                  target: '#onboarding.identity.registered',
                  actions: {
                    type: 'recordSaved',
                    params: ({ context, event }) => ({ what: 'identity', path: event.output.path, keys: Object.keys(identityUpdates(context)) }),
                  },
                },
                onError: {
                  target: '#onboarding.identity.registered',
                  actions: { type: 'recordSaveFailed', params: ({ event }) => ({ what: 'identity', reason: reasonOf(event.error) }) },
                },
              },
            },
          },
        },
        fallback: {
          description: 'The server did not register us: warn loudly, retry in the background. No invented id.',
          entry: emit(({ context }) => ({
            type: 'fallback' as const,
            reason: context.registerError ?? 'unknown error',
            attempt: context.registerAttempts,
            retryInMs: context.retryInMs,
          })),
          after: {
            registerRetry: {
              target: 'registering',
              actions: assign({ retryInMs: ({ context }) => Math.min(context.retryInMs * 2, context.settings.registerRetryMaxMs) }),
            },
          },
          on: { RETRY_REGISTER: 'registering' },
        },
        registered: {
          description: 'An agent id the server issued (now or before).',
          entry: emit(({ context }) => ({ type: 'registered' as const, agentId: context.agentId as string, source: context.identitySource ?? 'existing' })),
        },
      },
    },

    route: {
      initial: 'unknown',
      states: {
        unknown: {
          description: 'Route not looked at yet; START or DETECT_ROUTE looks.',
          on: { START: 'detecting', DETECT_ROUTE: 'detecting' },
        },
        detecting: {
          description: '.env values, then the OpenClaw SQLite store, then the legacy sessions.json; newest wins.',
          initial: 'reading',
          states: {
            reading: {
              invoke: {
                src: 'detectRoute',
                input: ({ context }) => ({
                  imChannel: context.settings.imChannel,
                  imTargets: context.settings.imTargets,
                  openclawHome: context.settings.openclawHome,
                  openclawConfigPath: context.settings.openclawConfigPath,
                  openclawAgentId: context.settings.openclawAgentId,
                }),
                onDone: [
                  { guard: 'routeFromStore', target: 'saving', actions: { type: 'recordDetection', params: ({ event }) => event.output } },
                  { guard: 'routeFromConfig', target: '#onboarding.route.configured', actions: { type: 'recordDetection', params: ({ event }) => event.output } },
                  { target: '#onboarding.route.manual', actions: { type: 'recordDetection', params: ({ event }) => event.output } },
                ],
                onError: {
                  target: '#onboarding.route.manual',
                  actions: assign({ route: undefined, routeError: ({ event }) => reasonOf(event.error) }),
                },
              },
            },
            saving: {
              invoke: {
                src: 'saveEnv',
                input: ({ context }) => ({ envFile: context.settings.envFile, updates: routeUpdates(context.route as DetectedRoute) }),
                onDone: {
                  target: '#onboarding.route.configured',
                  actions: {
                    type: 'recordSaved',
                    params: ({ context, event }) => ({ what: 'route', path: event.output.path, keys: Object.keys(routeUpdates(context.route as DetectedRoute)) }),
                  },
                },
                onError: {
                  target: '#onboarding.route.configured',
                  actions: { type: 'recordSaveFailed', params: ({ event }) => ({ what: 'route', reason: reasonOf(event.error) }) },
                },
              },
            },
          },
        },
        configured: {
          description: 'A route to push to; DETECT_ROUTE looks again.',
          entry: emit(({ context }) => ({ type: 'routeConfigured' as const, route: context.route as DetectedRoute })),
          on: { DETECT_ROUTE: 'detecting' },
        },
        manual: {
          description: 'Nothing found: the user sets WTT_IM_CHANNEL / WTT_IM_TARGET. No push meanwhile.',
          entry: emit(({ context }) => ({ type: 'routeManual' as const, notes: context.routeError ? [context.routeError, ...context.routeNotes] : context.routeNotes })),
          on: { DETECT_ROUTE: 'detecting' },
        },
      },
    },

    bind: {
      initial: 'idle',
      states: {
        idle: {
          on: {
            BIND: [{ guard: 'hasAgentId', target: 'requesting' }, { target: 'refused' }],
          },
        },
        refused: {
          description: 'BIND without an agent id: run config auto first.',
          entry: [assign({ bindError: NO_AGENT_REASON, bindErrorCode: 'WTT_ERR_NO_AGENT' }), emit({ type: 'bindRefused' as const, reason: NO_AGENT_REASON })],
          on: { BIND: [{ guard: 'hasAgentId', target: 'requesting' }, { target: 'refused', reenter: true }] },
        },
        requesting: {
          description: 'POST /agents/claim-code with the agent token.',
          entry: assign({ bindError: undefined, bindErrorCode: undefined }),
          invoke: {
            src: 'requestClaimCode',
            input: ({ context }) => ({
              apiUrl: context.settings.apiUrl,
              agentId: context.agentId as string,
              token: context.agentToken,
              timeoutMs: context.settings.httpTimeoutMs,
            }),
            onDone: {
              target: 'codeIssued',
              actions: assign({
                claimCode: ({ event }) => event.output.code,
                codeExpiresInMs: ({ event }) => event.output.expiresInMs,
                codeExpiresAt: ({ event }) => event.output.expiresAt,
              }),
            },
            onError: {
              target: 'failed',
              actions: assign({ bindError: ({ event }) => reasonOf(event.error), bindErrorCode: ({ event }) => (isWttError(event.error) ? event.error.code : undefined) }),
            },
          },
        },
        codeIssued: {
          description: 'A code a WTT user can claim once until it expires.',
          entry: emit(({ context }) => ({ type: 'codeIssued' as const, expiresInMs: context.codeExpiresInMs, expiresAt: context.codeExpiresAt as string })),
          after: { codeExpiry: 'expired' },
          on: { CLAIMED: 'claimed', BIND: 'requesting' },
        },
        expired: {
          entry: [assign({ claimCode: undefined }), emit({ type: 'codeExpired' as const })],
          on: { BIND: 'requesting', CLAIMED: 'claimed' },
        },
        failed: {
          entry: emit(({ context }) => ({ type: 'bindFailed' as const, reason: context.bindError ?? 'unknown error' })),
          on: { BIND: [{ guard: 'hasAgentId', target: 'requesting' }, { target: 'refused' }] },
        },
        claimed: {
          entry: [assign({ claimCode: undefined }), emit({ type: 'claimed' as const })],
          on: { BIND: 'requesting' },
        },
      },
    },
  },
});
