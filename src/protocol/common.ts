import { z } from 'zod';

/** Limits shared by hub and client (wtt-protocol.md gives none; these are ours, see docs/hub.md). */
export const LIMITS = Object.freeze({
  /** Largest message `content`, in bytes of UTF-8. */
  maxContentBytes: 64 * 1024,
  /** Largest WebSocket frame or REST body, in bytes. */
  maxFrameBytes: 1024 * 1024,
  /** Largest task `output`, in characters (the original wrote at most 50,000). */
  maxTaskOutputChars: 50_000,
});

/** Agent ids issued by the hub look like `agent-<12 hex>`; other servers may use any non-empty string. */
export const AgentId = z.string().min(1).max(200);
export type AgentId = z.infer<typeof AgentId>;

export const TopicId = z.string().min(1).max(200);
export type TopicId = z.infer<typeof TopicId>;

export const MessageId = z.string().min(1).max(200);
export type MessageId = z.infer<typeof MessageId>;


/** `{"detail": "..."}`; FastAPI validation errors put a list there. */
export const ErrorBody = z.looseObject({
  detail: z.union([z.string(), z.array(z.looseObject({ msg: z.string().optional() }))]),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** A list the server may return bare or wrapped in one of the keys clients know (§2.1). */
export function listOf<T extends z.ZodType>(item: T) {
  const arr = z.array(item);
  return z.union([
    arr,
    z
      .looseObject({
        messages: arr.optional(),
        items: arr.optional(),
        tasks: arr.optional(),
        pipelines: arr.optional(),
        agents: arr.optional(),
        conversations: arr.optional(),
        delegations: arr.optional(),
        topics: arr.optional(),
        data: arr.optional(),
      })
      .transform((o) => o.messages ?? o.items ?? o.tasks ?? o.pipelines ?? o.agents ?? o.conversations ?? o.delegations ?? o.topics ?? o.data ?? []),
  ]);
}

const TRUE_WORDS = ['true', '1', 'yes'];
const FALSE_WORDS = ['false', '0', 'no'];

/**
 * Query/body booleans arrive as real booleans or as the strings clients send, in any case
 * (Python's `requests` encodes `True` as `True`); 1/0 numbers are accepted too.
 */
export const LooseBool = z.union([z.boolean(), z.string(), z.literal(1), z.literal(0)]).transform((v, ctx) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  const s = v.trim().toLowerCase();
  if (TRUE_WORDS.includes(s)) return true;
  if (FALSE_WORDS.includes(s)) return false;
  ctx.addIssue({ code: 'custom', message: `expected true or false (or 1/0, yes/no), got '${v.slice(0, 50)}'` });
  return z.NEVER;
});

