/**
 * Runs the onboarding machine for a given configuration: builds its input (the token wrapped in a
 * `Secret`), starts it, and turns what it emits into log lines. Used by the commands (one shot)
 * and by the daemon (long-lived: it keeps retrying registration in `fallback`).
 */
import { createActor, type Actor, type ActorOptions } from 'xstate';
import { onboardingLogic } from './logic.js';
import { onboardingMachine, type OnboardingEmitted, type OnboardingInput } from '../../machines/onboarding.machine.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { Secret } from './secret.js';

export type OnboardingActor = Actor<typeof onboardingMachine>;

export function onboardingInput(config: Readonly<Config>): OnboardingInput {
  return {
    apiUrl: config.apiUrl,
    envFile: config.envFile,
    httpTimeoutMs: config.httpTimeoutMs,
    displayName: config.displayName,
    agentId: config.agentId,
    agentToken: Secret.of(config.agentToken),
    imChannel: config.imChannel,
    imTargets: config.imTargets,
    openclawHome: config.openclawHome,
    openclawConfigPath: config.openclawConfigPath,
    openclawAgentId: config.openclawAgentId,
    registerRetryMs: config.registerRetryMs,
    registerRetryMaxMs: config.registerRetryMaxMs,
  };
}

type LogLine = readonly ['info' | 'warn' | 'error', Record<string, unknown>, string];

/** The log line of each emitted event; never a token, never the claim code. */
const LOG_LINES: { [K in OnboardingEmitted['type']]: (e: Extract<OnboardingEmitted, { type: K }>) => LogLine } = {
  registered: (e) => ['info', { agent_id: e.agentId, source: e.source }, e.source === 'registered' ? 'agent registered' : 'agent id configured'],
  fallback: (e) => [
    'warn',
    { attempt: e.attempt, retry_in_s: Math.round(e.retryInMs / 1000), reason: e.reason },
    `WTT SERVER UNREACHABLE: this agent is NOT registered (no local id is invented); retrying registration in ${Math.round(e.retryInMs / 1000)} s`,
  ],
  saved: (e) => ['info', { path: e.path, keys: e.keys, what: e.what }, '.env updated'],
  saveFailed: (e) => ['error', { what: e.what, reason: e.reason }, '.env could not be written'],
  routeConfigured: (e) => ['info', { channel: e.route.channel, targets: e.route.targets.length, source: e.route.source }, 'IM route configured'],
  routeManual: (e) => ['warn', { notes: e.notes }, 'IM route not found: set WTT_IM_CHANNEL / WTT_IM_TARGET; nothing is pushed to chat until then'],
  codeIssued: (e) => ['info', { expires_at: e.expiresAt }, 'claim code issued'],
  codeExpired: () => ['info', {}, 'claim code expired'],
  bindRefused: (e) => ['warn', { reason: e.reason }, 'bind refused'],
  bindFailed: (e) => ['warn', { reason: e.reason }, 'claim code request failed'],
  claimed: () => ['info', {}, 'agent claimed by a WTT user'],
};

/** One log line per emitted event. */
export function logOnboardingEvent(log: Logger, e: OnboardingEmitted): void {
  const [level, fields, msg] = (LOG_LINES[e.type] as (x: OnboardingEmitted) => LogLine)(e);
  log[level](fields, msg);
}

export interface StartOnboardingOptions {
  config: Readonly<Config>;
  log: Logger;
  /** XState clock (tests pass a SimulatedClock). */
  clock?: ActorOptions<typeof onboardingMachine>['clock'];
}

/** Creates, wires and starts the onboarding actor (`systemId: 'onboarding'`). Send START to begin. */
export function startOnboarding(opts: StartOnboardingOptions): OnboardingActor {
  const log = opts.log.child({ systemId: 'onboarding' });
  const actor = createActor(onboardingLogic, {
    input: onboardingInput(opts.config),
    systemId: 'onboarding',
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  actor.on('*', (e) => logOnboardingEvent(log, e));
  actor.subscribe({ error: (err) => log.error({ err: err instanceof Error ? err.message : String(err) }, 'onboarding stopped on an error') });
  actor.start();
  return actor;
}
