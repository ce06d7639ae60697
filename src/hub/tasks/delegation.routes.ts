/**
 * Delegation (wtt-protocol.md §7): a manager agent may publish / send p2p AS a target agent.
 *
 * Consent: a delegation is granted by the TARGET. `POST /manager/delegations` must carry the
 * target agent's own token (in both auth modes: a claimed id is never enough to hand out rights);
 * the body names the manager. The manager cannot grant itself rights over another agent.
 * Either side may remove a delegation. `publish-as` / `p2p-as` need the caller to BE the manager
 * and a delegation with `can_publish` / `can_p2p`; otherwise 403.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DelegationCreateBody, P2pAsBody, PublishAsBody } from '../../protocol/index.js';
import { HubError, type HubCore } from '../core.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import type { DelegationRecord, TasksRepo } from './repo.js';
import { MessageReply, ok } from '../responses.js';

const ListQuery = z.looseObject({
  manager_agent_id: z.string().min(1).max(200).optional(),
  target_agent_id: z.string().min(1).max(200).optional(),
  agent_id: z.string().min(1).max(200).optional(),
});
const RemoveQuery = ListQuery.extend({ target_agent_id: z.string().min(1).max(200) });

export const GRANT_NEEDS_TOKEN =
  "granting a delegation needs the target agent's own token (Authorization: Bearer <agent_token> or X-Agent-Token)";

function agentOrThrow(core: HubCore, field: string, id: string): void {
  if (!core.auth.agentExists(id)) throw new HubError(404, `${field}: agent ${id} not found`);
}

export function delegationRoutes(core: HubCore, repo: TasksRepo): void {
  const app = core.app.withTypeProvider<ZodTypeProvider>();

  /** The acting manager: must be the caller, and hold a delegation with `right` over `target`. */
  const delegationFor = (req: FastifyRequest, manager: string | undefined, target: string, right: 'can_publish' | 'can_p2p'): DelegationRecord => {
    const caller = core.auth.callerAgent(req, manager ?? null);
    const d = repo.getDelegation(caller, target);
    if (!d || !d[right]) {
      const what = right === 'can_publish' ? 'publish' : 'send p2p messages';
      throw new HubError(403, `agent ${caller} has no delegation to ${what} as agent ${target}; the target must grant it (POST /manager/delegations with its own token)`);
    }
    return d;
  };

  app.post('/manager/delegations', { schema: { response: ok(z.looseObject({ manager_agent_id: z.string(), target_agent_id: z.string() })), body: DelegationCreateBody } }, async (req) => {
    const body = req.body;
    const caller = core.auth.optionalCallerAgent(req, null);
    if (caller === undefined) throw new HubError(401, GRANT_NEEDS_TOKEN, { 'WWW-Authenticate': 'Bearer' });
    if (caller !== body.target_agent_id) {
      throw new HubError(
        403,
        `only agent ${body.target_agent_id} can grant a delegation over itself (send its token); agent ${caller} cannot`,
      );
    }
    const manager = body.manager_agent_id;
    if (!manager) throw new HubError(422, 'body.manager_agent_id: required (the agent that may act as the target)');
    if (manager === caller) throw new HubError(422, 'body.manager_agent_id: an agent cannot delegate to itself');
    agentOrThrow(core, 'manager_agent_id', manager);
    return repo.upsertDelegation({
      manager_agent_id: manager,
      target_agent_id: body.target_agent_id,
      can_publish: body.can_publish,
      can_p2p: body.can_p2p,
      created_at: core.now(),
    });
  });

  app.get('/manager/delegations', { schema: { response: ok(z.array(z.looseObject({ manager_agent_id: z.string(), target_agent_id: z.string() }))), querystring: ListQuery } }, async (req) => {
    const q = req.query;
    const tokenAgent = core.auth.optionalCallerAgent(req, null);
    const caller = tokenAgent ?? core.auth.callerAgent(req, q.manager_agent_id ?? q.agent_id ?? null);
    return repo
      .delegationsOf(caller)
      .filter((d) => (q.manager_agent_id ? d.manager_agent_id === q.manager_agent_id : true))
      .filter((d) => (q.target_agent_id ? d.target_agent_id === q.target_agent_id : true));
  });

  app.delete('/manager/delegations', { schema: { response: ok(z.looseObject({ ok: z.boolean(), manager_agent_id: z.string(), target_agent_id: z.string() })), querystring: RemoveQuery } }, async (req) => {
    const q = req.query;
    const tokenAgent = core.auth.optionalCallerAgent(req, null);
    const caller = tokenAgent ?? core.auth.callerAgent(req, q.manager_agent_id ?? q.agent_id ?? null);
    const manager = q.manager_agent_id ?? caller;
    if (caller !== manager && caller !== q.target_agent_id) {
      throw new HubError(403, `only the manager (${manager}) or the target (${q.target_agent_id}) can remove this delegation`);
    }
    if (!repo.removeDelegation(manager, q.target_agent_id)) {
      throw new HubError(404, `no delegation from ${q.target_agent_id} to manager ${manager}`);
    }
    return { ok: true, manager_agent_id: manager, target_agent_id: q.target_agent_id };
  });

  app.post('/manager/publish-as', { schema: { response: ok(MessageReply), body: PublishAsBody } }, async (req) => {
    const body = req.body;
    const d = delegationFor(req, body.manager_agent_id, body.target_agent_id, 'can_publish');
    if (!core.topics.get(body.topic_id)) throw new HubError(404, `topic ${body.topic_id} not found`);
    if (!core.topics.isMember(body.topic_id, d.target_agent_id)) {
      throw new HubError(403, `agent ${d.target_agent_id} is not a member of topic ${body.topic_id}`);
    }
    return core.messages.post({
      topic_id: body.topic_id,
      sender_id: d.target_agent_id,
      sender_type: 'agent',
      source: 'topic',
      content: body.content,
      content_type: body.content_type,
      semantic_type: body.semantic_type,
      extra: { delegated_by: d.manager_agent_id },
    });
  });

  app.post('/manager/p2p-as', { schema: { response: ok(MessageReply), body: P2pAsBody } }, async (req) => {
    const body = req.body;
    const d = delegationFor(req, body.manager_agent_id, body.target_agent_id, 'can_p2p');
    if (body.peer_agent_id === d.target_agent_id) throw new HubError(422, 'body.peer_agent_id: must be another agent than the target');
    agentOrThrow(core, 'peer_agent_id', body.peer_agent_id);
    const topic = core.topics.p2pTopic(d.target_agent_id, body.peer_agent_id);
    return core.messages.post({
      topic_id: topic.id,
      sender_id: d.target_agent_id,
      sender_type: 'agent',
      source: 'p2p',
      content: body.content,
      content_type: 'text',
      semantic_type: 'post',
      extra: { p2p_topic_id: topic.id, target_agent_id: body.peer_agent_id, delegated_by: d.manager_agent_id },
    });
  });
}
