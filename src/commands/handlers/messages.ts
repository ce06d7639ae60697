/** history, publish, poll, p2p, feed, inbox. */
import { Message, PollResponse, listOf } from '../../protocol/index.js';
import { WttError } from '../../errors.js';
import type { CommandOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { formatFeed, formatHistory, formatInbox, formatP2pSent, formatPoll, formatPublished } from '../format.js';
import { wsFirst } from './ws.js';

export type MessageCommand = CommandOf<'history' | 'publish' | 'poll' | 'p2p' | 'feed' | 'inbox'>;

const MessageList = listOf(Message);

export async function handleMessage(cmd: MessageCommand, ctx: CommandContext): Promise<string> {
  const { api } = ctx;
  switch (cmd.kind) {
    case 'history': {
      const messages = await wsFirst(ctx, { action: 'history', payload: { topic_id: cmd.topic_id, limit: cmd.limit }, schema: MessageList }, () =>
        api.topicMessages(cmd.topic_id, { limit: cmd.limit }),
      );
      return formatHistory(messages, messages.find((m) => m.topic_name)?.topic_name);
    }
    case 'publish': {
      const payload = { topic_id: cmd.topic_id, content: cmd.content, content_type: cmd.content_type, semantic_type: 'post' };
      const m = await wsFirst(ctx, { action: 'publish', payload, schema: Message }, () => api.publish(payload));
      return formatPublished(cmd.topic_id, m.content_type ?? cmd.content_type, m.topic_name);
    }
    case 'poll': {
      const r = await wsFirst(ctx, { action: 'poll', payload: cmd.limit === undefined ? {} : { limit: cmd.limit }, schema: PollResponse }, () =>
        api.poll({ limit: cmd.limit }),
      );
      return formatPoll(r.messages, r.topics);
    }
    case 'p2p': {
      const wsPayload = { target_agent_id: cmd.agent_id, target_id: cmd.agent_id, content: cmd.content };
      await wsFirst(ctx, { action: 'p2p', payload: wsPayload, schema: Message }, () => api.p2p({ target_agent_id: cmd.agent_id, content: cmd.content }));
      return formatP2pSent(cmd.agent_id);
    }
    case 'feed':
      requireToken(ctx, 'Feed');
      return formatFeed(cmd.page, await api.feed({ page: cmd.page, limit: 20 }));
    case 'inbox':
      requireToken(ctx, 'Inbox');
      return formatInbox(await api.p2pInbox({ page: 1, limit: 20 }));
  }
}

/** Feed and inbox are per-identity views: without any credential the server cannot know whose. */
function requireToken(ctx: CommandContext, what: string): void {
  if (!ctx.config.agentToken && !ctx.config.bearerToken) {
    throw new WttError('WTT_ERR_AUTH_REJECTED', {
      message: `${what} requires an auth token. Set WTT_AGENT_TOKEN (run: wtt config auto) or WTT_BEARER_TOKEN.`,
    });
  }
}
