/**
 * Who is calling, for areas whose calls may be anonymous in `legacy` mode (the Python skill sends no
 * identity on task, memory, export and preview calls).
 */
import type { FastifyRequest } from 'fastify';
import type { HubCore } from './core.js';

/**
 * The calling agent. `required` mode: from the token (and `claimed` must match it). `legacy` mode:
 * the token's agent, else the claimed id, else undefined (an anonymous legacy call).
 */
export function whoIs(core: HubCore, req: FastifyRequest, claimed?: string | null): string | undefined {
  if (core.authMode === 'required') return core.auth.callerAgent(req, claimed || null);
  return core.auth.optionalCallerAgent(req, claimed || null);
}

/**
 * `whoIs` for an agent id a body names in a field that often holds no agent at all (the web sends
 * `trigger_agent_id: "task-runner"`, `reviewer: "reviewer"`, the skill `""`): only a registered
 * agent counts as a claim; anything else is ignored rather than refused.
 */
export function whoIsNamed(core: HubCore, req: FastifyRequest, named: string | null | undefined): string | undefined {
  return whoIs(core, req, named && core.auth.agentExists(named) ? named : null);
}
