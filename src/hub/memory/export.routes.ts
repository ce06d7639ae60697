/** `GET /export/topic/{id}?format=md&limit=` (wtt-protocol.md §2.3): a topic as timeline markdown. */
import { z } from 'zod';
import { HubError, type HubCore } from '../core.js';
import { intParam } from '../http.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { whoIs } from '../caller.js';
import { readableTopic, timelineMarkdown } from './history.js';
import { ExportReply, ok } from '../responses.js';

export const EXPORT_DEFAULT_LIMIT = 2000;
export const EXPORT_MAX_LIMIT = 5000;
/** Formats the original server offered as files; this hub does not render them. */
const FILE_FORMATS = ['pdf', 'docx'];

const Params = z.object({ topic_id: z.string().min(1).max(200) });
const Query = z.looseObject({
  format: z.string().max(20).optional().default('md'),
  limit: intParam('limit', EXPORT_DEFAULT_LIMIT, 1, EXPORT_MAX_LIMIT),
  agent_id: z.string().min(1).max(200).optional(),
  /** Only messages older than this one (an id, or an ISO time): the `next_before` of a cut answer. */
  before: z.string().min(1).max(200).optional(),
});

/** What a cut export answer adds: `truncated`, `omitted`, and `next_before`, the cursor to the older messages. */
export function cutAt(lines: readonly { id?: string | undefined }[], omitted: number): { truncated?: true; omitted?: number; next_before?: string } {
  const first = lines[0]?.id;
  return omitted > 0 ? { truncated: true, omitted, ...(first ? { next_before: first } : {}) } : {};
}

export function exportRoutes(core: HubCore): void {
  core.app.withTypeProvider<ZodTypeProvider>().get('/export/topic/:topic_id', { schema: { response: ok(ExportReply), params: Params, querystring: Query } }, async (req) => {
    const { topic_id } = req.params;
    const q = req.query;
    const format = q.format.trim().toLowerCase();
    if (FILE_FORMATS.includes(format)) {
      throw new HubError(415, `format ${format} is not supported by this hub; use format=md (markdown)`);
    }
    if (format !== 'md' && format !== 'markdown') throw new HubError(400, `query.format: unknown format '${q.format}' (use md)`);
    const topic = readableTopic(core, topic_id, whoIs(core, req, q.agent_id));
    // Cut at maxResponseBytes: the newest messages that fit; `truncated`/`omitted` say how many were
    // left out and `next_before` where to read on (`?before=<next_before>` exports the older ones).
    const { messages: lines, omitted } = core.messages.historyPage(topic.id, q.limit, core.limits.maxResponseBytes, q.before);
    return { content: timelineMarkdown(topic, lines), format: 'md', topic_id: topic.id, count: lines.length, ...cutAt(lines, omitted) };
  });
}
