/** Topics, membership and blacklist (wtt-protocol.md §2.3 "Topics and subscriptions"). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BlacklistAddBody, TopicCreateBody } from '../../protocol/index.js';
import type { HubContext } from '../context.js';
import { intParam, parse } from '../http.js';
import { claimedFrom, reader } from './claimed.js';

const TopicParams = z.object({ topic_id: z.string().min(1).max(200) });
const BlacklistParams = TopicParams.extend({ target: z.string().min(1).max(200) });
const ListQuery = z.looseObject({ limit: intParam('limit', 100, 1, 1000) });
const SearchQuery = z
  .looseObject({ query: z.string().max(200).optional(), q: z.string().max(200).optional(), limit: intParam('limit', 100, 1, 1000) })
  .refine((s) => (s.query ?? s.q) !== undefined, { message: 'query is required' });

export function topicRoutes(app: FastifyInstance, ctx: HubContext): void {
  const topicId = (params: unknown) => parse(TopicParams, params, 'path').topic_id;

  app.get('/topics/', async (req) => {
    const q = parse(ListQuery, req.query, 'query');
    return ctx.topics.listPublic(q.limit, reader(ctx, req, claimedFrom(req, 'agent_id')));
  });

  app.get('/topics/search', async (req) => {
    const q = parse(SearchQuery, req.query, 'query');
    return ctx.topics.search((q.query ?? q.q ?? '').trim(), q.limit, reader(ctx, req, claimedFrom(req, 'agent_id')));
  });

  app.post('/topics/', async (req) => {
    const body = parse(TopicCreateBody, req.body);
    const agentId = ctx.auth.callerAgent(req, body.creator_agent_id ?? claimedFrom(req, 'agent_id'));
    return ctx.topics.createByAgent(agentId, body);
  });

  app.get('/topics/subscribed', async (req) => {
    const q = parse(ListQuery, req.query, 'query');
    const agentId = ctx.auth.callerAgent(req, claimedFrom(req, 'agent_id'));
    return ctx.topics.subscribed(agentId, q.limit);
  });

  app.get('/topics/:topic_id', async (req) => ctx.topics.visible(topicId(req.params), reader(ctx, req, claimedFrom(req, 'agent_id'))));

  app.delete('/topics/:topic_id', async (req) => {
    const agentId = ctx.auth.callerAgent(req, claimedFrom(req, 'agent_id', 'operator_agent_id'));
    return ctx.topics.deleteByAgent(topicId(req.params), agentId);
  });

  app.post('/topics/:topic_id/join', async (req) => {
    const agentId = ctx.auth.callerAgent(req, claimedFrom(req, 'agent_id'));
    return ctx.topics.join(topicId(req.params), agentId);
  });

  app.post('/topics/:topic_id/leave', async (req) => {
    const agentId = ctx.auth.callerAgent(req, claimedFrom(req, 'agent_id'));
    return ctx.topics.leave(topicId(req.params), agentId);
  });

  app.get('/topics/:topic_id/members', async (req) =>
    ctx.topics.memberList(topicId(req.params), reader(ctx, req, claimedFrom(req, 'agent_id'))),
  );

  app.post('/topics/:topic_id/blacklist', async (req) => {
    const operator = ctx.auth.callerAgent(req, claimedFrom(req, 'operator_agent_id', 'agent_id'));
    const body = parse(BlacklistAddBody, req.body);
    return ctx.topics.blacklistAdd(topicId(req.params), operator, body.target_agent_id, body.mode, body.expires_at);
  });

  app.delete('/topics/:topic_id/blacklist/:target', async (req) => {
    const p = parse(BlacklistParams, req.params, 'path');
    const operator = ctx.auth.callerAgent(req, claimedFrom(req, 'operator_agent_id', 'agent_id'));
    return ctx.topics.blacklistRemove(p.topic_id, operator, p.target);
  });

  app.get('/topics/:topic_id/blacklist', async (req) => {
    const operator = ctx.auth.callerAgent(req, claimedFrom(req, 'operator_agent_id', 'agent_id'));
    return ctx.topics.blacklistList(topicId(req.params), operator);
  });
}
