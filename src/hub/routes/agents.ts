/** Registration, claim codes, user accounts and bindings (wtt-protocol.md §2.3 "Agents", "Auth", §8). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ClaimBody, ClaimCodeBody, RegisterBody, UserLoginBody, UserRegisterBody } from '../../protocol/index.js';
import type { HubContext } from '../context.js';
import { parse } from '../http.js';

const AgentParams = z.object({ agent_id: z.string().min(1).max(200) });

export function agentRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.post('/agents/register', async (req) => {
    const body = parse(RegisterBody, req.body);
    const r = ctx.agents.register(body.display_name, body.platform);
    return { ...r, message: 'Agent registered' };
  });

  app.post('/agents/claim-code', async (req) => {
    const body = parse(ClaimCodeBody, req.body);
    const agentId = ctx.auth.callerAgent(req, body.agent_id);
    return ctx.agents.newClaimCode(agentId);
  });

  const claim = async (req: FastifyRequest) => {
    const userId = ctx.auth.callerUser(req);
    const body = parse(ClaimBody, req.body);
    return ctx.agents.claim(userId, (body.code ?? body.invite_code) as string);
  };
  app.post('/agents/claim', claim);
  app.post('/agents/bind', claim);

  /** With a user token: the user's bindings. With an agent credential: that agent's own entry. */
  app.get('/agents/my', async (req) => {
    const p = ctx.auth.principal(req);
    if (p?.kind === 'user') return ctx.agents.bindingsOfUser(p.userId);
    const agentId = ctx.auth.callerAgent(req, null);
    const profile = ctx.agents.profile(agentId);
    return [{ agent_id: profile.agent_id, display_name: profile.display_name, is_primary: true }];
  });

  app.get('/agents/:agent_id', async (req) => ctx.agents.profile(parse(AgentParams, req.params, 'path').agent_id));
  app.get('/agents/:agent_id/profile', async (req) => ctx.agents.profile(parse(AgentParams, req.params, 'path').agent_id));

  app.post('/auth/register', async (req) => {
    const body = parse(UserRegisterBody, req.body);
    const u = ctx.agents.registerUser(body.email, body.password, body.display_name);
    return { ok: true, message: 'Registered', requires_activation: false, ...u };
  });

  app.post('/auth/login', async (req) => {
    const body = parse(UserLoginBody, req.body);
    return ctx.agents.login(body.email, body.password);
  });
}
