/**
 * Who is calling. Credentials: `X-Agent-Token: <agent_token>`, or `Authorization: Bearer` with an
 * agent token, a binding api key (`wtt_sk_…`) or a user token (JWT). In `required` mode an agent
 * call needs one of them and may act only as its own agent; in `legacy` mode a call without any
 * credential is trusted to be the agent it names (`agent_id`/`sender_id`), as the Python skill expects.
 */
import type { FastifyRequest } from 'fastify';
import { AgentId } from '../protocol/index.js';
import { HubError, type AuthMode } from './core.js';
import type { Agents } from './agents.js';
import type { Clock } from './clock.js';
import { looksLikeUserToken, verifyUserToken } from './secrets.js';

export type Principal =
  | { kind: 'agent'; agentId: string; via: 'agent_token' | 'api_key' }
  | { kind: 'user'; userId: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once per request by the hub's `onRequest` hook (`Auth.identify`). */
    principal?: Principal | null | 'invalid';
  }
}

export const TOKEN_REQUIRED = 'agent token required: send Authorization: Bearer <agent_token> or X-Agent-Token';

export class Auth {
  constructor(
    readonly mode: AuthMode,
    private readonly agents: Agents,
    private readonly secret: Buffer,
    private readonly clock: Clock,
  ) {}

  /** The principal a token stands for, or undefined when the token is not valid. */
  resolveToken(token: string): Principal | undefined {
    if (token.startsWith('wtt_sk_')) {
      const agentId = this.agents.byApiKey(token);
      return agentId ? { kind: 'agent', agentId, via: 'api_key' } : undefined;
    }
    if (looksLikeUserToken(token)) {
      const userId = verifyUserToken(this.secret, token, this.clock.nowMs());
      return userId && this.agents.userExists(userId) ? { kind: 'user', userId } : undefined;
    }
    const agentId = this.agents.byToken(token);
    return agentId ? { kind: 'agent', agentId, via: 'agent_token' } : undefined;
  }

  /**
   * Who the request's credential stands for: null without one, `'invalid'` for one that is not
   * valid. The hub's one `onRequest` hook stores it on the request as `req.principal`.
   */
  identify(req: FastifyRequest): Principal | null | 'invalid' {
    const token = credential(req);
    if (token === undefined) return null;
    return this.resolveToken(token) ?? 'invalid';
  }

  /** The request's principal (set by the `onRequest` hook); null without any credential; 401 when the credential is not valid. */
  principal(req: FastifyRequest): Principal | null {
    const p = req.principal === undefined ? (req.principal = this.identify(req)) : req.principal;
    if (p === 'invalid') throw new HubError(401, 'invalid or expired token', { 'WWW-Authenticate': 'Bearer' });
    return p;
  }

  /** The agent a principal acts as, given the agent id the client named (if any). */
  agentFor(p: Principal, claimed: string | null | undefined): string {
    if (p.kind === 'agent') {
      if (claimed && claimed !== p.agentId) throw new HubError(403, `this token belongs to agent ${p.agentId}; it cannot act as agent ${claimed}`);
      return p.agentId;
    }
    const agentId = this.agents.agentOfUser(p.userId, claimed);
    if (!agentId) {
      throw new HubError(403, claimed ? `this user is not bound to agent ${claimed}` : 'this user has no bound agent; claim one first (POST /agents/claim)');
    }
    return agentId;
  }

  callerAgent(req: FastifyRequest, claimed?: string | null): string {
    const agent = this.optionalCallerAgent(req, claimed);
    if (agent !== undefined) return agent;
    throw new HubError(401, this.mode === 'required' ? TOKEN_REQUIRED : 'name the agent (agent_id) or send its token', { 'WWW-Authenticate': 'Bearer' });
  }

  optionalCallerAgent(req: FastifyRequest, claimed?: string | null): string | undefined {
    const p = this.principal(req);
    if (p) return this.agentFor(p, claimed);
    if (this.mode === 'legacy' && claimed) {
      const id = AgentId.safeParse(claimed);
      if (!id.success) throw new HubError(422, 'agent_id must be 1–200 characters');
      this.agents.ensureLegacy(id.data);
      return id.data;
    }
    return undefined;
  }

  /** The user behind a user token (JWT); 401 otherwise. */
  callerUser(req: FastifyRequest): string {
    const p = this.principal(req);
    if (p?.kind === 'user') return p.userId;
    throw new HubError(401, 'user token required: log in (POST /auth/login) and send Authorization: Bearer <access_token>', { 'WWW-Authenticate': 'Bearer' });
  }

  /** A stable key for rate limiting: the principal, else the agent a legacy call names, else the IP. */
  rateKey(req: FastifyRequest, claimed: string | undefined): string {
    let p: Principal | null = null;
    try {
      p = this.principal(req);
    } catch {
      return `ip:${req.ip}`;
    }
    if (p?.kind === 'agent') return `agent:${p.agentId}`;
    if (p?.kind === 'user') return `user:${p.userId}`;
    if (this.mode === 'legacy' && claimed) return `agent:${claimed}`;
    return `ip:${req.ip}`;
  }
}

/** The token a request carries: `X-Agent-Token` first, then `Authorization: Bearer`. */
export function credential(req: FastifyRequest): string | undefined {
  const x = req.headers['x-agent-token'];
  const xv = Array.isArray(x) ? x[0] : x;
  if (xv && xv.trim()) return xv.trim();
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m?.[1]) return m[1].trim();
  }
  return undefined;
}
