/** Publish, history, poll, p2p, feed and p2p inbox (wtt-protocol.md §2.3 "Messages, poll, P2P, feed"). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { P2pBody, PublishBody, TopicPublishBody } from '../../protocol/index.js';
import type { HubContext } from '../context.js';
import { intParam } from '../http.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { OMITTED_HEADER, TRUNCATED_HEADER } from '../http.js';
import { assertContentSize, DEFAULT_HISTORY_LIMIT, DEFAULT_POLL_LIMIT, history, MAX_HISTORY_LIMIT, MAX_POLL_LIMIT, p2p, publishGrouped } from '../ops.js';
import { claimedFrom, reader } from './claimed.js';
import { FeedReply, MessageReply, ok, PollReply } from '../responses.js';

const TopicParams = z.object({ topic_id: z.string().min(1).max(200) });
const AgentParams = z.object({ agent_id: z.string().min(1).max(200) });

const HistoryQuery = z.looseObject({
  limit: intParam('limit', DEFAULT_HISTORY_LIMIT, 1, MAX_HISTORY_LIMIT),
  offset: intParam('offset', 0, 0, 1_000_000_000),
  before: z.string().min(1).max(200).optional(),
  after: z.string().min(1).max(200).optional(),
  since_id: z.string().min(1).max(200).optional(),
});
const PollQuery = z.looseObject({ limit: intParam('limit', DEFAULT_POLL_LIMIT, 1, MAX_POLL_LIMIT) });
const FeedQuery = z.looseObject({
  page: intParam('page', 1, 1, 1_000_000),
  limit: intParam('limit', 50, 1, 500),
  content_type: z.string().max(50).optional(),
});

/** Oversized content answers 413 before the schema's own check would answer 422. */
function precheckContent(body: unknown): void {
  if (typeof body === 'object' && body !== null && typeof (body as { content?: unknown }).content === 'string') {
    assertContentSize((body as { content: string }).content);
  }
}

/** Route options: oversized content is refused (413) before the schema runs. */
const withContent = async (req: FastifyRequest) => precheckContent(req.body);

export function messageRoutes(root: FastifyInstance, ctx: HubContext): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post('/messages/', { preValidation: withContent, schema: { body: PublishBody, response: ok(MessageReply) } }, async (req) => {
    const body = req.body;
    const agentId = ctx.auth.callerAgent(req, body.sender_id ?? claimedFrom(req, 'sender_id', 'agent_id'));
    return publishGrouped(ctx, agentId, body);
  });

  app.post('/topics/:topic_id/messages', { preValidation: withContent, schema: { params: TopicParams, body: TopicPublishBody, response: ok(MessageReply) } }, async (req) => {
    const { topic_id } = req.params;
    const body = req.body;
    const agentId = ctx.auth.callerAgent(req, body.sender_id ?? claimedFrom(req, 'agent_id', 'sender_id'));
    return publishGrouped(ctx, agentId, { ...body, topic_id });
  });

  app.get('/topics/:topic_id/messages', { schema: { params: TopicParams, querystring: HistoryQuery, response: ok(z.array(MessageReply)) } }, async (req, res) => {
    const { topic_id } = req.params;
    const q = req.query;
    const who = reader(ctx, req, claimedFrom(req, 'agent_id'));
    const page = history(ctx, who, topic_id, { limit: q.limit, offset: q.offset, before: q.before, after: q.after ?? q.since_id });
    // The answer stays a bare array (clients expect one); a page cut at maxResponseBytes says so in headers.
    if (page.omitted > 0) void res.headers({ [TRUNCATED_HEADER]: 'true', [OMITTED_HEADER]: String(page.omitted) });
    return page.messages;
  });

  app.get('/messages/poll/:agent_id', { schema: { params: AgentParams, querystring: PollQuery, response: ok(PollReply) } }, async (req) => {
    const { agent_id } = req.params;
    const q = req.query;
    return ctx.messages.poll(ctx.auth.callerAgent(req, agent_id), q.limit);
  });

  app.post('/messages/p2p', { preValidation: withContent, schema: { body: P2pBody, response: ok(MessageReply) } }, async (req) => {
    const body = req.body;
    const agentId = ctx.auth.callerAgent(req, body.sender_id ?? claimedFrom(req, 'sender_id', 'agent_id'));
    return p2p(ctx, agentId, { ...body, target: (body.target_agent_id ?? body.target_id) as string });
  });

  const feedCaller = (req: FastifyRequest) => ctx.auth.callerAgent(req, claimedFrom(req, 'agent_id'));

  app.get('/feed', { schema: { querystring: FeedQuery, response: ok(FeedReply) } }, async (req) => {
    const q = req.query;
    const agentId = feedCaller(req);
    const page = ctx.messages.feed(agentId, q.page, q.limit, q.content_type);
    return { messages: page.messages, page: q.page, limit: q.limit, ...(page.omitted > 0 ? { truncated: true, omitted: page.omitted } : {}) };
  });

  app.get('/feed/p2p-inbox', { schema: { querystring: FeedQuery, response: ok(z.array(z.looseObject({ peer_agent_id: z.string(), topic_id: z.string(), unread_count: z.number() }))) } }, async (req) => {
    const q = req.query;
    return ctx.messages.p2pInbox(feedCaller(req), q.page, q.limit);
  });
}
