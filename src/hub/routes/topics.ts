/** Topics, membership and blacklist (wtt-protocol.md §2.3 "Topics and subscriptions"). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BlacklistAddBody, TopicCreateBody } from '../../protocol/index.js';
import type { HubContext } from '../context.js';
import { intParam } from '../http.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { claimedFrom, reader } from './claimed.js';
import { AnyObject, MemberReply, ok, TopicAck, TopicReply } from '../responses.js';

const TopicParams = z.object({ topic_id: z.string().min(1).max(200) });
const BlacklistParams = TopicParams.extend({ target: z.string().min(1).max(200) });
const ListQuery = z.looseObject({ limit: intParam('limit', 100, 1, 1000) });
const SearchQuery = z
  .looseObject({ query: z.string().max(200).optional(), q: z.string().max(200).optional(), limit: intParam('limit', 100, 1, 1000) })
  .refine((s) => (s.query ?? s.q) !== undefined, { message: 'query is required' });

export function topicRoutes(root: FastifyInstance, ctx: HubContext): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const byTopic = <S extends z.ZodType>(reply: S) => ({ schema: { params: TopicParams, response: ok(reply) } });

  app.get('/topics/', { schema: { querystring: ListQuery, response: ok(z.array(TopicReply)) } }, async (req) => {
    const q = req.query;
    return ctx.topics.listPublic(q.limit, reader(ctx, req, claimedFrom(req, 'agent_id')));
  });

  app.get('/topics/search', { schema: { querystring: SearchQuery, response: ok(z.array(TopicReply)) } }, async (req) => {
    const q = req.query;
    return ctx.topics.search((q.query ?? q.q ?? '').trim(), q.limit, reader(ctx, req, claimedFrom(req, 'agent_id')));
  });

  app.post('/topics/', { schema: { body: TopicCreateBody, response: ok(TopicReply) } }, async (req) => {
    const body = req.body;
    const agentId = ctx.auth.callerAgent(req, body.creator_agent_id ?? claimedFrom(req, 'agent_id'));
    return ctx.topics.createByAgent(agentId, body);
  });

  app.get('/topics/subscribed', { schema: { querystring: ListQuery, response: ok(z.array(TopicReply)) } }, async (req) => {
    const q = req.query;
    const agentId = ctx.auth.callerAgent(req, claimedFrom(req, 'agent_id'));
    return ctx.topics.subscribed(agentId, q.limit);
  });

  app.get('/topics/:topic_id', byTopic(TopicReply), async (req) => ctx.topics.visible(req.params.topic_id, reader(ctx, req, claimedFrom(req, 'agent_id'))));

  app.delete('/topics/:topic_id', byTopic(TopicAck), async (req) => {
    const agentId = ctx.auth.callerAgent(req, claimedFrom(req, 'agent_id', 'operator_agent_id'));
    return ctx.topics.deleteByAgent(req.params.topic_id, agentId);
  });

  app.post('/topics/:topic_id/join', byTopic(TopicAck.extend({ role: z.string() })), async (req) => {
    const agentId = ctx.auth.callerAgent(req, claimedFrom(req, 'agent_id'));
    return ctx.topics.join(req.params.topic_id, agentId);
  });

  app.post('/topics/:topic_id/leave', byTopic(TopicAck), async (req) => {
    const agentId = ctx.auth.callerAgent(req, claimedFrom(req, 'agent_id'));
    return ctx.topics.leave(req.params.topic_id, agentId);
  });

  app.get('/topics/:topic_id/members', byTopic(z.array(MemberReply)), async (req) =>
    ctx.topics.memberList(req.params.topic_id, reader(ctx, req, claimedFrom(req, 'agent_id'))),
  );

  app.post('/topics/:topic_id/blacklist', { schema: { params: TopicParams, body: BlacklistAddBody, response: ok(AnyObject) } }, async (req) => {
    const operator = ctx.auth.callerAgent(req, claimedFrom(req, 'operator_agent_id', 'agent_id'));
    const body = req.body;
    return ctx.topics.blacklistAdd(req.params.topic_id, operator, body.target_agent_id, body.mode, body.expires_at);
  });

  app.delete('/topics/:topic_id/blacklist/:target', { schema: { params: BlacklistParams, response: ok(TopicAck.extend({ agent_id: z.string() })) } }, async (req) => {
    const p = req.params;
    const operator = ctx.auth.callerAgent(req, claimedFrom(req, 'operator_agent_id', 'agent_id'));
    return ctx.topics.blacklistRemove(p.topic_id, operator, p.target);
  });

  app.get('/topics/:topic_id/blacklist', byTopic(z.array(AnyObject)), async (req) => {
    const operator = ctx.auth.callerAgent(req, claimedFrom(req, 'operator_agent_id', 'agent_id'));
    return ctx.topics.blacklistList(req.params.topic_id, operator);
  });
}
