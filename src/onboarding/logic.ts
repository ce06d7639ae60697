/**
 * The onboarding machine with its real actors: registration and claim codes over HTTP, the `.env`
 * upsert, chat-route detection from the OpenClaw store. The machine itself
 * (machines/onboarding.machine.ts) stays pure; the daemon's system and the CLI's one-shot actor
 * both run this logic.
 */
import { fromPromise } from 'xstate';
import { onboardingMachine } from '../../machines/onboarding.machine.js';
import type { UpsertResult } from '../env-file.js';
import { requestClaimCode, type ClaimCodeInput, type IssuedClaimCode } from './claim-code.js';
import { registerAgent, type RegisterInput, type RegisteredIdentity } from './register.js';
import { detectRoute, type RouteDetectInput, type RouteDetection } from './route-detect.js';
import { saveEnv, type SaveEnvInput } from './save-env.js';

export const onboardingLogic = onboardingMachine.provide({
  actors: {
    register: fromPromise<RegisteredIdentity, RegisterInput>(({ input, signal }) => registerAgent(input, signal)),
    saveEnv: fromPromise<UpsertResult, SaveEnvInput>(({ input }) => saveEnv(input)),
    detectRoute: fromPromise<RouteDetection, RouteDetectInput>(async ({ input }) => detectRoute(input)),
    requestClaimCode: fromPromise<IssuedClaimCode, ClaimCodeInput>(({ input, signal }) => requestClaimCode(input, signal)),
  },
});
