/** list, find, create, delete, detail, subscribed, join, leave. */
import { JoinResponse, Topic, listOf } from '../../protocol/index.js';
import type { CommandOf } from '../command.js';
import type { CommandContext } from '../context.js';
import {
  formatFind,
  formatJoined,
  formatLeft,
  formatSubscribed,
  formatTopicCreated,
  formatTopicDeleted,
  formatTopicDetail,
  formatTopicList,
} from '../format.js';
import { liveSocket, wsCall } from './ws.js';

export type TopicCommand = CommandOf<'list' | 'find' | 'create' | 'delete' | 'detail' | 'subscribed' | 'join' | 'leave'>;

const TopicList = listOf(Topic);

const nameOf = (ack: Record<string, unknown>): string | undefined =>
  typeof ack.topic_name === 'string' ? ack.topic_name : typeof ack.name === 'string' ? ack.name : undefined;

export async function handleTopic(cmd: TopicCommand, ctx: CommandContext): Promise<string> {
  const ws = liveSocket(ctx);
  switch (cmd.kind) {
    case 'list':
      return formatTopicList(ws ? await wsCall(ws, 'list', {}, TopicList) : await ctx.api.listTopics());
    case 'find':
      return formatFind(cmd.query, ws ? await wsCall(ws, 'find', { query: cmd.query }, TopicList) : await ctx.api.findTopics(cmd.query));
    case 'create':
      return formatTopicCreated(
        await ctx.api.createTopic({ name: cmd.name, description: cmd.description, type: cmd.type, visibility: 'public', join_method: 'open' }),
      );
    case 'delete': {
      const ack = await ctx.api.deleteTopic(cmd.topic_id);
      return formatTopicDeleted(cmd.topic_id, nameOf(ack));
    }
    case 'detail':
      return formatTopicDetail(ws ? await wsCall(ws, 'detail', { topic_id: cmd.topic_id }, Topic) : await ctx.api.getTopic(cmd.topic_id));
    case 'subscribed':
      return formatSubscribed(ws ? await wsCall(ws, 'subscribed', {}, TopicList) : await ctx.api.subscribedTopics());
    case 'join': {
      const ack = ws ? await wsCall(ws, 'join', { topic_id: cmd.topic_id }, JoinResponse) : await ctx.api.joinTopic(cmd.topic_id);
      return formatJoined(cmd.topic_id, nameOf(ack));
    }
    case 'leave': {
      const ack = ws ? await wsCall(ws, 'leave', { topic_id: cmd.topic_id }, JoinResponse) : await ctx.api.leaveTopic(cmd.topic_id);
      return formatLeft(cmd.topic_id, nameOf(ack));
    }
  }
}
