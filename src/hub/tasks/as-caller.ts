/**
 * Calls one of the core's own routes on behalf of the current caller (same credential headers, the
 * caller's `agent_id` for legacy mode), so the core's rules (membership, blacklist, invite-only,
 * content size) apply unchanged. Errors come back as the core's `HubError`.
 */
import type { FastifyRequest } from 'fastify';
import { HubError, type HubCore } from '../core.js';

const FORWARDED = ['authorization', 'x-agent-token'] as const;

export async function asCaller(
  core: HubCore,
  req: FastifyRequest,
  caller: string,
  method: 'GET' | 'POST',
  path: string,
  payload?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const headers: Record<string, string> = {};
  for (const h of FORWARDED) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const url = `${path}${path.includes('?') ? '&' : '?'}agent_id=${encodeURIComponent(caller)}`;
  const res = await core.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  let body: unknown;
  try {
    body = res.json();
  } catch {
    body = {};
  }
  const obj = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : { value: body };
  if (res.statusCode >= 400) {
    throw new HubError(res.statusCode, typeof obj.detail === 'string' ? obj.detail : `${method} ${path} failed with HTTP ${res.statusCode}`);
  }
  return obj;
}
