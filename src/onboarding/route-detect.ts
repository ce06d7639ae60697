/**
 * Where should WTT messages for this agent go? (wtt-protocol.md §9.2/§9.3, openclaw-integration.md
 * "Where OpenClaw keeps the chat route".) In order: the route already in the configuration; else
 * the newest direct chat OpenClaw knows, from its SQLite store (2026.8+, opened read-only) and
 * from the legacy `sessions.json` (up to 2026.7). Nothing is written here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../sqlite.js';
import type { Database as Db } from 'better-sqlite3';
import { z } from 'zod';

export type RouteSource = 'env' | 'sqlite' | 'sessions.json';

export interface DetectedRoute {
  channel: string;
  targets: string[];
  source: RouteSource;
  /** Epoch ms of the chat activity the route came from (not for `env`). */
  updatedAt?: number;
  /** The file it was read from (not for `env`). */
  from?: string;
}

export interface RouteDetection {
  route: DetectedRoute | undefined;
  /** What was looked at and why it gave nothing: for `wtt config auto` and the logs. */
  notes: string[];
}

export interface RouteDetectInput {
  imChannel: string | undefined;
  imTargets: readonly string[];
  /** OpenClaw's state dir (`~/.openclaw`). */
  openclawHome: string;
  openclawConfigPath: string;
  openclawAgentId: string;
}

/** Channels that are not chats we can push into. */
const NOT_PUSHABLE = new Set(['webchat', 'internal', 'system']);
const TARGET_RE = /^[A-Za-z0-9_.:@+-]{1,200}$/;
const LEGACY_KEY_RE = /^agent:[^:]+:([^:]+):direct:([^:]+)$/;

export function sqliteStorePath(openclawHome: string, agentId: string): string {
  return join(openclawHome, 'agents', agentId, 'agent', 'openclaw-agent.sqlite');
}

export function legacySessionsPath(openclawHome: string, agentId: string): string {
  return join(openclawHome, 'agents', agentId, 'sessions', 'sessions.json');
}

/** Epoch ms from what OpenClaw writes (ms, seconds or ISO text); undefined when unreadable. */
export function toEpochMs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e12 ? v * 1000 : v;
  if (typeof v === 'string' && v.trim() !== '') {
    if (/^\d+(\.\d+)?$/.test(v.trim())) return toEpochMs(Number(v));
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** `telegram:555001` with channel telegram → `555001`; a bare id stays as it is. */
export function stripChannelPrefix(to: string, channel: string): string {
  const p = `${channel}:`;
  return to.startsWith(p) ? to.slice(p.length) : to;
}

interface Candidate {
  channel: string;
  target: string;
  updatedAt: number;
  source: 'sqlite' | 'sessions.json';
  from: string;
  /** Lower wins a tie on time: the SQLite store is the newer format. */
  rank: number;
}

function candidate(channel: unknown, to: unknown, at: unknown, source: Candidate['source'], from: string, rank: number): Candidate | undefined {
  if (typeof channel !== 'string' || typeof to !== 'string') return undefined;
  const ch = channel.trim().toLowerCase();
  if (!/^[a-z0-9_-]{1,64}$/.test(ch) || NOT_PUSHABLE.has(ch)) return undefined;
  const target = stripChannelPrefix(to.trim(), ch);
  if (!TARGET_RE.test(target)) return undefined;
  return { channel: ch, target, updatedAt: toEpochMs(at) ?? 0, source, from, rank };
}

const DeliveryContext = z.looseObject({ channel: z.unknown().optional(), to: z.unknown().optional(), chatType: z.unknown().optional() });
const SessionEntry = z.looseObject({
  updatedAt: z.unknown().optional(),
  chatType: z.unknown().optional(),
  delivery: z.looseObject({ context: DeliveryContext.optional() }).optional(),
  deliveryContext: DeliveryContext.optional(),
  lastChannel: z.unknown().optional(),
  lastTo: z.unknown().optional(),
});
type SessionEntry = z.infer<typeof SessionEntry>;

const isGroup = (t: unknown) => typeof t === 'string' && t !== 'direct' && t !== 'dm';

/** The delivery route an OpenClaw session entry records, if it is a direct chat. */
function entryRoute(e: SessionEntry, source: Candidate['source'], from: string, rank: number): Candidate | undefined {
  const ctx = e.delivery?.context ?? e.deliveryContext;
  if (isGroup(e.chatType) || isGroup(ctx?.chatType)) return undefined;
  return candidate(ctx?.channel ?? e.lastChannel, ctx?.to ?? e.lastTo, e.updatedAt, source, from, rank);
}

/** Candidates from `openclaw-agent.sqlite`: session delivery contexts and direct conversations. */
export function readSqliteRoutes(path: string, notes: string[]): Candidate[] {
  if (!existsSync(path)) {
    notes.push(`no OpenClaw SQLite store at ${path}`);
    return [];
  }
  let db: Db;
  try {
    db = openDatabase(path, { readonly: true, fileMustExist: true, timeout: 2000 });
  } catch (e) {
    notes.push(`cannot open ${path} read-only: ${(e as Error).message}`);
    return [];
  }
  const out: Candidate[] = [];
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    if (tables.has('session_nodes')) {
      for (const row of db.prepare('SELECT entry_json FROM session_nodes').iterate() as Iterable<{ entry_json: unknown }>) {
        if (typeof row.entry_json !== 'string') continue;
        let json: unknown;
        try {
          json = JSON.parse(row.entry_json);
        } catch {
          continue;
        }
        const e = SessionEntry.safeParse(json);
        const c = e.success ? entryRoute(e.data, 'sqlite', path, 0) : undefined;
        if (c) out.push(c);
      }
    }
    if (tables.has('conversations')) {
      const rows = db
        .prepare("SELECT channel, peer_id, delivery_target, updated_at FROM conversations WHERE kind = 'direct' ORDER BY updated_at DESC LIMIT 200")
        .all() as { channel: unknown; peer_id: unknown; delivery_target: unknown; updated_at: unknown }[];
      for (const r of rows) {
        const to = typeof r.delivery_target === 'string' && r.delivery_target.trim() !== '' ? r.delivery_target : r.peer_id;
        const c = candidate(r.channel, typeof to === 'number' ? String(to) : to, r.updated_at, 'sqlite', path, 0);
        if (c) out.push(c);
      }
    }
    if (!tables.has('session_nodes') && !tables.has('conversations')) notes.push(`${path} has neither session_nodes nor conversations`);
  } catch (e) {
    notes.push(`cannot read ${path}: ${(e as Error).message}`);
  } finally {
    db.close();
  }
  if (out.length === 0 && existsSync(path)) notes.push(`no direct chat in ${path}`);
  return out;
}

/** Candidates from the legacy `sessions.json` (a map session key → entry). */
export function readLegacyRoutes(path: string, notes: string[]): Candidate[] {
  if (!existsSync(path)) {
    notes.push(`no legacy sessions file at ${path}`);
    return [];
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    notes.push(`cannot read ${path}: ${(e as Error).message}`);
    return [];
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    notes.push(`${path} is not a map of sessions`);
    return [];
  }
  const out: Candidate[] = [];
  for (const [key, raw] of Object.entries(json as Record<string, unknown>)) {
    const e = SessionEntry.safeParse(raw);
    if (!e.success) continue;
    const m = LEGACY_KEY_RE.exec(key);
    const c = m ? candidate(m[1], m[2], e.data.updatedAt, 'sessions.json', path, 1) : entryRoute(e.data, 'sessions.json', path, 1);
    if (c) out.push(c);
  }
  if (out.length === 0) notes.push(`no direct chat in ${path}`);
  return out;
}

const OpenclawChannels = z.looseObject({ channels: z.record(z.string(), z.unknown()).optional() });

/** §9.2: the first channel enabled in openclaw.json, else its first channel; undefined when none. */
export function channelFromOpenclawConfig(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const r = OpenclawChannels.safeParse(json);
  if (!r.success || !r.data.channels) return undefined;
  const entries = Object.entries(r.data.channels);
  const enabled = entries.find(([, v]) => typeof v === 'object' && v !== null && (v as { enabled?: unknown }).enabled === true);
  return (enabled ?? entries[0])?.[0];
}

/** The newest of the candidates; a tie on time goes to the SQLite store, then to the later row. */
export function newest(cands: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const c of cands) {
    if (!best || c.updatedAt > best.updatedAt || (c.updatedAt === best.updatedAt && c.rank <= best.rank)) best = c;
  }
  return best;
}

export function detectRoute(input: RouteDetectInput): RouteDetection {
  const notes: string[] = [];
  if (input.imTargets.length > 0) {
    const channel = input.imChannel ?? channelFromOpenclawConfig(input.openclawConfigPath) ?? 'telegram';
    return { route: { channel, targets: [...input.imTargets], source: 'env' }, notes };
  }
  const cands = [
    ...readSqliteRoutes(sqliteStorePath(input.openclawHome, input.openclawAgentId), notes),
    ...readLegacyRoutes(legacySessionsPath(input.openclawHome, input.openclawAgentId), notes),
  ].filter((c) => !input.imChannel || c.channel === input.imChannel);
  const best = newest(cands);
  if (!best) return { route: undefined, notes };
  return { route: { channel: best.channel, targets: [best.target], source: best.source, updatedAt: best.updatedAt, from: best.from }, notes };
}
