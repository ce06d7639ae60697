import type { FastifyRequest } from 'fastify';
import type { HubContext } from '../context.js';

/** The agent id a (legacy) client names in the query or body under one of these keys. */
export function claimedFrom(req: FastifyRequest, ...keys: string[]): string | undefined {
  for (const source of [req.query, req.body]) {
    if (typeof source !== 'object' || source === null) continue;
    for (const k of keys) {
      const v = (source as Record<string, unknown>)[k];
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
    }
  }
  return undefined;
}

/** The caller of a read: required in `required` mode, optional (anonymous allowed) in `legacy` mode. */
export function reader(ctx: HubContext, req: FastifyRequest, claimed: string | undefined): string | undefined {
  return ctx.auth.mode === 'required' ? ctx.auth.callerAgent(req, claimed) : ctx.auth.optionalCallerAgent(req, claimed);
}
