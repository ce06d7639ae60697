/** Registration, claim codes, user accounts and bindings (wtt-protocol.md §2.3 "Agents", "Auth", §8). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ClaimBody, ClaimCodeBody, RegisterBody, UserLoginBody, UserRegisterBody } from '../../protocol/index.js';
import type { HubContext } from '../context.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { AgentProfileReply, AnyObject, ok } from '../responses.js';

const AgentParams = z.object({ agent_id: z.string().min(1).max(200) });

export function agentRoutes(root: FastifyInstance, ctx: HubContext): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post('/agents/register', { schema: { body: RegisterBody, response: ok(AgentProfileReply.extend({ agent_token: z.string(), message: z.string() })) } }, async (req) => {
    const body = req.body;
    const r = ctx.agents.register(body.display_name, body.platform);
    return { ...r, message: 'Agent registered' };
  });

  app.post('/agents/claim-code', { schema: { body: ClaimCodeBody, response: ok(AnyObject) } }, async (req) => {
    const body = req.body;
    const agentId = ctx.auth.callerAgent(req, body.agent_id);
    return ctx.agents.newClaimCode(agentId);
  });

  const claim = async (req: FastifyRequest<{ Body: z.output<typeof ClaimBody> }>) => {
    const userId = ctx.auth.callerUser(req);
    const body = req.body;
    return ctx.agents.claim(userId, (body.code ?? body.invite_code) as string);
  };
  app.post('/agents/claim', { schema: { body: ClaimBody, response: ok(AnyObject) } }, claim);
  app.post('/agents/bind', { schema: { body: ClaimBody, response: ok(AnyObject) } }, claim);

  /** With a user token: the user's bindings. With an agent credential: that agent's own entry. */
  app.get('/agents/my', { schema: { response: ok(z.array(AgentProfileReply)) } }, async (req) => {
    const p = ctx.auth.principal(req);
    if (p?.kind === 'user') return ctx.agents.bindingsOfUser(p.userId);
    const agentId = ctx.auth.callerAgent(req, null);
    const profile = ctx.agents.profile(agentId);
    return [{ agent_id: profile.agent_id, display_name: profile.display_name, is_primary: true }];
  });

  const byAgent = { schema: { params: AgentParams, response: ok(AgentProfileReply) } };
  app.get('/agents/:agent_id', byAgent, async (req) => ctx.agents.profile(req.params.agent_id));
  app.get('/agents/:agent_id/profile', byAgent, async (req) => ctx.agents.profile(req.params.agent_id));

  app.post('/auth/register', { schema: { body: UserRegisterBody, response: ok(AnyObject.extend({ ok: z.boolean() })) } }, async (req) => {
    const body = req.body;
    const u = ctx.agents.registerUser(body.email, body.password, body.display_name);
    return { ok: true, message: 'Registered', requires_activation: false, ...u };
  });

  app.post('/auth/login', { schema: { body: UserLoginBody, response: ok(AnyObject) } }, async (req) => {
    const body = req.body;
    return ctx.agents.login(body.email, body.password);
  });
}
