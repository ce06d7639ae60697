/**
 * `POST /talk/random` (wtt-protocol.md §2.3): finds public topics whose name or description match
 * the text's keywords, optionally joins them and posts the text there. Answers both `topics` (skill)
 * and `matched` (web), §12 #28. Joins and posts go through the core's `join` and `publish`, so its
 * rules (invite-only, blacklist, membership, content size) apply unchanged.
 */
import { TalkRandomBody } from '../../protocol/index.js';
import { HubError, type HubCore } from '../core.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { keywordsOf, score } from './keywords.js';
import { AnyObject, ok } from '../responses.js';

/** How many public topics one search looks at (newest first). */
export const TALK_SCAN_LIMIT = 5000;

/** Why an action on a topic was refused: the core's message, else `fallback`. */
const reasonOf = (e: unknown, fallback: string): string => (e instanceof HubError ? e.message : fallback);

export function talkRoutes(core: HubCore): void {
  core.app.withTypeProvider<ZodTypeProvider>().post('/talk/random', { schema: { response: ok(AnyObject), body: TalkRandomBody } }, async (req) => {
    const body = req.body;
    const caller = core.auth.callerAgent(req, body.agent_id ?? null);
    const keywords = keywordsOf(body.text);
    const matched = core.topics
      .listPublic(TALK_SCAN_LIMIT)
      .map((t, order) => ({ t, order, score: score(keywords, `${t.name} ${t.description ?? ''}`) }))
      .filter((c) => c.score > 0)
      .sort((a, b) => b.score - a.score || a.order - b.order)
      .slice(0, body.limit)
      .map(({ t, score: s }) => ({ id: t.id, name: t.name, description: t.description ?? '', score: s }));

    const subscribed: string[] = [];
    const publishedTo: string[] = [];
    const skipped: { topic_id: string; reason: string }[] = [];
    for (const t of matched) {
      if (body.auto_subscribe && !core.topics.isMember(t.id, caller)) {
        try {
          core.topics.join(t.id, caller);
          subscribed.push(t.id);
        } catch (e) {
          skipped.push({ topic_id: t.id, reason: reasonOf(e, 'join failed') });
          continue;
        }
      }
      if (body.auto_publish && core.topics.isMember(t.id, caller)) {
        try {
          core.messages.publish(caller, { topic_id: t.id, content: body.text });
          publishedTo.push(t.id);
        } catch (e) {
          skipped.push({ topic_id: t.id, reason: reasonOf(e, 'publish failed') });
        }
      }
    }
    return {
      topics: matched,
      matched,
      keywords,
      subscribed,
      published: publishedTo.length > 0,
      published_topic_ids: publishedTo,
      skipped,
    };
  });
}
