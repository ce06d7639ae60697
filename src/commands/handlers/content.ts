/** memory export|read, talk, rich, export, preview. */
import type { CommandOf } from '../command.js';
import type { CommandContext } from '../context.js';
import { formatExport, formatMemoryExported, formatMemoryRead, formatPreview, formatRichPublished, formatTalk } from '../format.js';

export type ContentCommand = CommandOf<'memory.export' | 'memory.read' | 'talk' | 'rich' | 'export' | 'preview'>;

export async function handleContent(cmd: ContentCommand, ctx: CommandContext): Promise<string> {
  const { api } = ctx;
  switch (cmd.kind) {
    case 'memory.export':
      return formatMemoryExported(
        await api.memoryExport({
          topic_id: cmd.topic_id,
          mode: cmd.mode,
          ...(cmd.limit === undefined ? {} : { limit: cmd.limit }),
          ...(cmd.target_path === undefined ? {} : { target_path: cmd.target_path }),
        }),
      );
    case 'memory.read':
      return formatMemoryRead((await api.memoryRead({ target_path: cmd.target_path, tail_lines: cmd.tail_lines })).content);
    case 'talk':
      return formatTalk(await api.talkRandom({ text: cmd.text }));
    case 'rich':
      await api.richPublish({ topic_id: cmd.topic_id, title: cmd.title, blocks: [{ type: 'markdown', content: cmd.markdown }] });
      return formatRichPublished(cmd.title);
    case 'export':
      return formatExport((await api.exportTopic(cmd.topic_id, { format: cmd.format })).content);
    case 'preview':
      return formatPreview(await api.previewUrl(cmd.url));
  }
}
