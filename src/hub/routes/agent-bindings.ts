/**
 * What the WTT web console does to a bound agent: `POST /agents/{id}/set-name {display_name}` and
 * `DELETE /agents/{id}` (unclaim a non-primary binding). The console sends the binding's api key as
 * a bearer; a user token bound to the agent works too, and rename also takes the agent's own token.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { credential } from '../auth.js';
import type { HubContext } from '../context.js';
import { HubError } from '../core.js';
import type { ZodTypeProvider } from '../zod-schemas.js';

const Params = z.object({ agent_id: z.string().min(1).max(200) });
const SetNameBody = z.looseObject({
  display_name: z.string().trim().min(1, 'display_name must not be empty').max(100),
});

const RenameReply = z.object({ ok: z.literal(true), agent_id: z.string(), display_name: z.string(), message: z.string() });
const UnclaimReply = z.object({ ok: z.literal(true), agent_id: z.string(), unbound: z.literal(true), message: z.string() });

export function agentBindingRoutes(root: FastifyInstance, ctx: HubContext): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post('/agents/:agent_id/set-name', { schema: { params: Params, body: SetNameBody, response: { 200: RenameReply } } }, async (req) => {
    const { agent_id } = req.params;
    const body = req.body;
    if (!ctx.agents.exists(agent_id)) throw new HubError(404, `agent ${agent_id} not found`);
    ctx.auth.callerAgent(req, agent_id);
    ctx.agents.rename(agent_id, body.display_name);
    return { ok: true as const, agent_id, display_name: body.display_name, message: 'Agent renamed' };
  });

  app.delete('/agents/:agent_id', { schema: { params: Params, response: { 200: UnclaimReply } } }, async (req) => {
    const { agent_id } = req.params;
    const p = ctx.auth.principal(req);
    if (!p) throw new HubError(401, "unclaiming needs the binding's api key (Authorization: Bearer wtt_sk_…) or the user's token", { 'WWW-Authenticate': 'Bearer' });
    let binding;
    if (p.kind === 'user') binding = ctx.agents.binding({ userId: p.userId, agentId: agent_id });
    else if (p.via === 'api_key') binding = ctx.agents.binding({ apiKey: credential(req) as string });
    else throw new HubError(403, "an agent token cannot unclaim a binding; use the binding's api key or the user's token");
    if (!binding) throw new HubError(404, `no binding of agent ${agent_id} for this caller`);
    if (binding.agent_id !== agent_id) throw new HubError(403, `this api key belongs to agent ${binding.agent_id}; it cannot unclaim agent ${agent_id}`);
    if (binding.is_primary) throw new HubError(409, `the primary binding of agent ${agent_id} cannot be unclaimed`);
    ctx.agents.unbind(binding.id);
    return { ok: true as const, agent_id, unbound: true as const, message: 'Agent unclaimed' };
  });
}
