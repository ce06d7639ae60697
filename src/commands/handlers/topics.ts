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
import { wsFirst } from './ws.js';

export type TopicCommand = CommandOf<'list' | 'find' | 'create' | 'delete' | 'detail' | 'subscribed' | 'join' | 'leave'>;

const TopicList = listOf(Topic);

const nameOf = (ack: Record<string, unknown>): string | undefined =>
  typeof ack.topic_name === 'string' ? ack.topic_name : typeof ack.name === 'string' ? ack.name : undefined;

export async function handleTopic(cmd: TopicCommand, ctx: CommandContext): Promise<string> {
  const { api } = ctx;
  switch (cmd.kind) {
    case 'list':
      return formatTopicList(await wsFirst(ctx, { action: 'list', payload: {}, schema: TopicList }, () => api.listTopics()));
    case 'find':
      return formatFind(cmd.query, await wsFirst(ctx, { action: 'find', payload: { query: cmd.query }, schema: TopicList }, () => api.findTopics(cmd.query)));
    case 'create':
      return formatTopicCreated(
        await api.createTopic({ name: cmd.name, description: cmd.description, type: cmd.type, visibility: 'public', join_method: 'open' }),
      );
    case 'delete': {
      const ack = await api.deleteTopic(cmd.topic_id);
      return formatTopicDeleted(cmd.topic_id, nameOf(ack));
    }
    case 'detail':
      return formatTopicDetail(await wsFirst(ctx, { action: 'detail', payload: { topic_id: cmd.topic_id }, schema: Topic }, () => api.getTopic(cmd.topic_id)));
    case 'subscribed':
      return formatSubscribed(await wsFirst(ctx, { action: 'subscribed', payload: {}, schema: TopicList }, () => api.subscribedTopics()));
    case 'join': {
      const ack = await wsFirst(ctx, { action: 'join', payload: { topic_id: cmd.topic_id }, schema: JoinResponse }, () => api.joinTopic(cmd.topic_id));
      return formatJoined(cmd.topic_id, nameOf(ack));
    }
    case 'leave': {
      const ack = await wsFirst(ctx, { action: 'leave', payload: { topic_id: cmd.topic_id }, schema: JoinResponse }, () => api.leaveTopic(cmd.topic_id));
      return formatLeft(cmd.topic_id, nameOf(ack));
    }
  }
}
