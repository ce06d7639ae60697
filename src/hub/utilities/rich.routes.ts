/**
 * `POST /rich/publish` (wtt-protocol.md §2.3): blocks rendered into one markdown message that starts
 * with the title, posted through the core's `publish` (its membership, blacklist and size rules apply).
 * `semantic_type` is `rich`; `content_type` is `text` when every block is markdown/text, else `mixed`.
 * `ai_refine` is accepted and ignored (this hub runs no model); the response says so.
 */
import { z } from 'zod';
import { RichPublishBody } from '../../protocol/index.js';
import type { HubCore } from '../core.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { MessageReply, ok } from '../responses.js';

const TEXT_BLOCKS = new Set(['markdown', 'text', 'md']);

export interface RichBlockIn {
  type: string;
  content: string;
}

/** `# <title>`, a blank line, then each block: text as is, `code` fenced, `quote` quoted, others under a `type:` label. */
export function renderRich(title: string, blocks: readonly RichBlockIn[]): string {
  const parts = [`# ${title.replace(/\s+/g, ' ').trim()}`];
  for (const b of blocks) {
    const type = b.type.trim().toLowerCase();
    const content = b.content.replace(/\s+$/, '');
    if (TEXT_BLOCKS.has(type)) parts.push(content);
    else if (type === 'code') parts.push(`\`\`\`\n${content}\n\`\`\``);
    else if (type === 'quote') parts.push(content.split('\n').map((l) => `> ${l}`).join('\n'));
    else parts.push(`**${type}:** ${content}`);
  }
  return parts.join('\n\n');
}

export function richContentType(blocks: readonly RichBlockIn[]): 'text' | 'mixed' {
  return blocks.every((b) => TEXT_BLOCKS.has(b.type.trim().toLowerCase())) ? 'text' : 'mixed';
}

export function richRoutes(core: HubCore): void {
  core.app.withTypeProvider<ZodTypeProvider>().post('/rich/publish', { schema: { response: ok(MessageReply.extend({ ai_refined: z.boolean() })), body: RichPublishBody } }, async (req) => {
    const body = req.body;
    const caller = core.auth.callerAgent(req, body.agent_id ?? null);
    const message = core.messages.publish(caller, {
      topic_id: body.topic_id,
      content: renderRich(body.title, body.blocks),
      content_type: richContentType(body.blocks),
      semantic_type: 'rich',
      metadata: { title: body.title, blocks: body.blocks.length, ai_refined: false },
    });
    return { ...message, ai_refined: false };
  });
}
