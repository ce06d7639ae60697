/**
 * `POST /memory/recall/export` and `GET /memory/recall/read` (wtt-protocol.md §2.3): topic exports
 * written as markdown files under `<dataDir>/memory/<agent>/`, one directory per agent, so an agent
 * reads back only its own files. In `legacy` auth mode a call that names no agent (the Python skill
 * sends none here) uses one shared directory, `<dataDir>/memory/@legacy/`, and may export public
 * topics only. See safe-path.ts for what a `target_path` may be.
 */
import { createHash } from 'node:crypto';
import { fstatSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { MemoryExportBody, MemoryReadQuery } from '../../protocol/index.js';
import { HubError, type HubCore } from '../core.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { whoIs } from '../caller.js';
import { cutAt } from './export.routes.js';
import { distilledMarkdown, readableTopic, timelineMarkdown } from './history.js';
import { assertRoom } from './memory-quota.js';
import { closeSync, onPath, openForRead, openForWrite, resolveUnder } from './safe-path.js';
import { ok } from '../responses.js';

export const MEMORY_DIR = 'memory';
/** The directory of anonymous legacy calls; `agentDirName` never yields a name starting with `@`. */
export const LEGACY_MEMORY_DIR = '@legacy';
/** Reads return at most this many bytes from the end of the file. */
export const MEMORY_READ_MAX_BYTES = 4 * 1024 * 1024;

const agentField = { agent_id: z.string().min(1).max(200).optional() };
const ExportBody = MemoryExportBody.extend({
  ...agentField,
  /** Only messages older than this one (an id, or an ISO time): the `next_before` of a cut export. */
  before: z.string().min(1).max(200).optional(),
});
const ReadQuery = MemoryReadQuery.extend(agentField);

/** A directory name for an agent id: itself when harmless, else a hash. */
export function agentDirName(agentId: string): string {
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}$/.test(agentId) ? agentId : `h-${createHash('sha256').update(agentId).digest('hex').slice(0, 24)}`;
}

/** The memory directory of an agent; of the anonymous legacy caller when `agentId` is undefined. */
export function memoryRoot(dataDir: string, agentId: string | undefined): string {
  return join(dataDir, MEMORY_DIR, agentId === undefined ? LEGACY_MEMORY_DIR : agentDirName(agentId));
}

/** The last `tailLines` lines of `text`. */
export function tail(text: string, tailLines: number): string {
  const lines = text.split('\n');
  const trailing = lines[lines.length - 1] === '' ? 1 : 0;
  return lines.slice(Math.max(0, lines.length - trailing - tailLines)).join('\n');
}

export function memoryRoutes(core: HubCore): void {
  const app = core.app.withTypeProvider<ZodTypeProvider>();

  app.post('/memory/recall/export', { schema: { response: ok(z.looseObject({ ok: z.boolean(), path: z.string(), target_path: z.string(), count: z.number(), mode: z.string(), topic_id: z.string() })), body: ExportBody } }, async (req) => {
    const body = req.body;
    const agent = whoIs(core, req, body.agent_id ?? null);
    const topic = readableTopic(core, body.topic_id, agent);
    const root = memoryRoot(core.dataDir, agent);
    const target = resolveUnder(root, body.target_path ?? 'memory/recall-memory.md');
    // Never more than the quota is loaded: the newest messages that fit in memoryMaxBytes.
    const { messages: lines, omitted } = core.messages.historyPage(topic.id, body.limit, core.limits.memoryMaxBytes, body.before);
    const content = body.mode === 'distilled' ? distilledMarkdown(topic, lines) : timelineMarkdown(topic, lines);
    onPath(() => assertRoom(root, target.abs, Buffer.byteLength(content, 'utf8'), { maxFiles: core.limits.memoryMaxFiles, maxBytes: core.limits.memoryMaxBytes }));
    const fd = openForWrite(root, target);
    try {
      onPath(() => writeSync(fd, content));
    } finally {
      closeSync(fd);
    }
    return {
      ok: true, path: target.shown, target_path: target.shown, count: lines.length, mode: body.mode, topic_id: topic.id,
      ...cutAt(lines, omitted),
    };
  });

  app.get('/memory/recall/read', { schema: { response: ok(z.looseObject({ content: z.string(), target_path: z.string(), truncated: z.boolean() })), querystring: ReadQuery } }, async (req) => {
    const q = req.query;
    const agent = whoIs(core, req, q.agent_id ?? null);
    const root = memoryRoot(core.dataDir, agent);
    const target = resolveUnder(root, q.target_path);
    const fd = openForRead(root, target);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new HubError(400, `${target.shown} is not a file`);
      const size = Math.min(st.size, MEMORY_READ_MAX_BYTES);
      const buf = Buffer.alloc(size);
      readSync(fd, buf, 0, size, st.size - size);
      return { content: tail(buf.toString('utf8'), q.tail_lines), target_path: target.shown, truncated: st.size > size };
    } finally {
      closeSync(fd);
    }
  });
}
