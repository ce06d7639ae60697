/**
 * Response schemas of the hub's routes (`schema.response`, checked by the serializer compiler of
 * src/hub/zod-schemas.ts). The protocol's objects are open (wtt-protocol.md: clients ignore fields
 * they do not know, and the original Python client and the web console read fields beyond any list
 * we could write), so every object here is LOOSE: the fields named are the ones the hub promises and
 * checks (required where the hub's own types guarantee them, typed when present otherwise); every
 * other field passes through unchanged. No transforms, no defaults: what a handler
 * returns is what leaves, or the hub's own mistake is caught (500, logged).
 *
 * `ok(schema)` is the `response` of a route answering `schema` with a 2xx status.
 */
import { z } from 'zod';

/** `{ response: { '2xx': schema } }`, spread into a route's `schema`. */
export const ok = <S extends z.ZodType>(schema: S) => ({ '2xx': schema });

/** An answer that is an object, with nothing promised beyond that. */
export const AnyObject = z.looseObject({});

const id = z.string().min(1);

/** A message as every read path sends it (history, poll, feed, publish answers, pushes). */
export const MessageReply = z.looseObject({
  id,
  topic_id: z.string(),
  sender_id: z.string(),
  content: z.string(),
  sender_type: z.string().optional(),
  content_type: z.string().optional(),
  semantic_type: z.string().optional(),
  created_at: z.string().optional(),
});

export const TopicReply = z.looseObject({ id, name: z.string(), type: z.string().optional(), visibility: z.string().optional(), join_method: z.string().optional() });

/** `{message, topic_id}`: join, leave, delete and other acknowledgements of a topic. */
export const TopicAck = z.looseObject({ message: z.string(), topic_id: z.string() });

export const MemberReply = z.looseObject({ agent_id: z.string(), role: z.string() });

export const AgentProfileReply = z.looseObject({ agent_id: z.string(), display_name: z.string().nullable() });

export const TaskReply = z.looseObject({ id, title: z.string(), status: z.string() });

export const PipelineReply = z.looseObject({ id, name: z.string() });

export const HealthReply = z.looseObject({ status: z.literal('ok'), service: z.literal('wtt-hub'), features: z.array(z.string()) });

export const PollReply = z.looseObject({ messages: z.array(MessageReply), topics: z.array(z.looseObject({ id: z.string() })) });

export const FeedReply = z.looseObject({ messages: z.array(MessageReply), page: z.number(), limit: z.number() });

export const ExportReply = z.looseObject({ content: z.string(), format: z.string(), topic_id: z.string(), count: z.number() });

/** Of every route that answers no JSON (a file, a redirect, an upgrade): what its error answers look like. */
export const ErrorReply = z.looseObject({ detail: z.string(), code: z.string() });
