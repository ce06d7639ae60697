/**
 * Messages: store, push, history (always oldest first), poll cursors, feed and p2p inbox.
 * `seq` (SQLite rowid) is the hub-wide ordering key; `id` is a UUID.
 */
import type { Database } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { Message } from '../protocol/index.js';
import { HubError, type NewMessage } from './core.js';
import type { Clock } from './clock.js';
import type { Topics } from './topics.js';

interface MessageRow {
  seq: number; id: string; topic_id: string; sender_id: string; sender_type: string; source: string | null;
  content_type: string; semantic_type: string; content: string; reply_to: string | null; encrypted: number;
  metadata: string | null; extra: string | null; created_at: string;
  topic_name: string | null; topic_type: string | null; sender_display_name: string | null;
}

const SELECT_MESSAGE = `SELECT m.*, t.name AS topic_name, t.type AS topic_type, a.display_name AS sender_display_name
  FROM messages m LEFT JOIN topics t ON t.id = m.topic_id LEFT JOIN agents a ON a.agent_id = m.sender_id`;

/** `before` is a timestamp when it looks like an ISO date. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/;

export interface HistoryQuery {
  limit: number;
  offset: number;
  before?: string | undefined;
  after?: string | undefined;
}

export interface PollResult {
  messages: Message[];
  topics: { id: string; name: string; type: string }[];
  /** Present (true) when the page was cut at `maxResponseBytes`; poll again for the rest. */
  truncated?: true;
}

/** A page of messages and how many the byte budget left out (0: none). */
export interface MessagePage {
  messages: Message[];
  omitted: number;
}

/** Bytes a message's JSON takes besides its stored content, metadata and extra fields (an upper bound for the row). */
const MESSAGE_OVERHEAD_BYTES = 1024;
/** Stored bytes of a row, without loading it. */
const ROW_SIZE = `(LENGTH(CAST(m.content AS BLOB)) + COALESCE(LENGTH(CAST(m.metadata AS BLOB)), 0) + COALESCE(LENGTH(CAST(m.extra AS BLOB)), 0) + ${MESSAGE_OVERHEAD_BYTES})`;

export interface InboxEntry {
  peer_agent_id: string;
  peer_display_name: string | null;
  topic_id: string;
  last_message: Message | null;
  unread_count: number;
}

export class Messages {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly topics: Topics,
    private readonly push: (agentIds: Iterable<string>, frame: Record<string, unknown>) => void,
    /** Largest history/poll/feed answer, in bytes of JSON (`maxResponseBytes`). */
    private readonly maxBytes: number = Number.MAX_SAFE_INTEGER,
  ) {
    this.insertTx = db.transaction((m: NewMessage) => this.insert(m));
  }

  /** `insert` in its own transaction, made once (`db.transaction` builds a wrapper on every call). */
  private readonly insertTx: (m: NewMessage) => Message;

  /** Stores one message; the sender's read mark moves past it when the sender is a member. */
  private insert(m: NewMessage): Message {
    const nowMs = this.clock.nowMs();
    const id = randomUUID();
    const metadata = m.metadata === undefined || m.metadata === null ? null : JSON.stringify(m.metadata);
    const extra = m.extra && Object.keys(m.extra).length > 0 ? JSON.stringify(m.extra) : null;
    const info = this.db
      .prepare(
        `INSERT INTO messages (id, topic_id, sender_id, sender_type, source, content_type, semantic_type, content, reply_to, encrypted, metadata, extra, created_at, created_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id, m.topic_id, m.sender_id, m.sender_type ?? 'agent', m.source ?? 'topic', m.content_type ?? 'text', m.semantic_type ?? 'post',
        m.content, m.reply_to ?? null, m.encrypted === true ? 1 : 0, metadata, extra, new Date(nowMs).toISOString(), nowMs,
      );
    const seq = Number(info.lastInsertRowid);
    // The read mark, only for a member (one statement instead of a membership read and a write).
    this.db
      .prepare(
        `INSERT INTO topic_reads (agent_id, topic_id, last_seq) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM members WHERE topic_id = ? AND agent_id = ?)
         ON CONFLICT (agent_id, topic_id) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq)`,
      )
      .run(m.sender_id, m.topic_id, seq, m.topic_id, m.sender_id);
    return this.bySeq(seq) as Message;
  }

  /**
   * The rows a query selects, cut to `maxBytes`: first by their stored size (so a page of huge rows
   * is never loaded whole), then by their exact JSON size. `keep: 'start'` keeps the first rows of
   * `sized` (in answer order), `'end'` the last. At least one row is kept, so paging always moves on.
   */
  private fit(sized: { seq: number; size: number }[], keep: 'start' | 'end', maxBytes: number): { rows: MessageRow[]; omitted: number } {
    const ordered = keep === 'start' ? sized : [...sized].reverse();
    let total = 2;
    const picked: number[] = [];
    for (const r of ordered) {
      if (picked.length > 0 && total + r.size + 1 > maxBytes) break;
      total += r.size + 1;
      picked.push(r.seq);
    }
    const stmt = this.db.prepare(`${SELECT_MESSAGE} WHERE m.seq = ?`);
    const rows: MessageRow[] = [];
    total = 2;
    for (const seq of picked) {
      const row = stmt.get(seq) as MessageRow | undefined;
      if (!row) continue;
      const size = Buffer.byteLength(JSON.stringify(toMessage(row)), 'utf8') + 1;
      if (rows.length > 0 && total + size > maxBytes) break;
      total += size;
      rows.push(row);
    }
    if (keep === 'end') rows.reverse();
    return { rows, omitted: sized.length - rows.length };
  }

  /** Stores the message and pushes `new_message` to every member of its topic, the sender included. */
  post(m: NewMessage): Message {
    const message = this.store(m);
    this.fanOut(message);
    return message;
  }

  /**
   * Stores the message in its own transaction, or, inside an open one (a group commit,
   * src/hub/group-commit.ts), in a savepoint of it; pushes nothing.
   */
  store(m: NewMessage): Message {
    return this.insertTx(m);
  }

  /** Pushes `new_message` to every member of the message's topic, the sender included; the frame is serialised once. */
  fanOut(message: Message): void {
    this.push(this.topics.members(message.topic_id), { type: 'new_message', topic_id: message.topic_id, message });
  }

  /** Messages of a topic, oldest first, per the cursor rules in docs/hub.md. */
  history(topicId: string, q: HistoryQuery, reader?: string): Message[] {
    return this.historyPage(topicId, q, reader).messages;
  }

  /**
   * `history` cut to `maxBytes` of JSON: without `after` the newest messages are kept (read on with
   * `before` = the first one), with `after` the oldest (read on with `after` = the last one).
   */
  historyPage(topicId: string, q: HistoryQuery, reader?: string, maxBytes = this.maxBytes): MessagePage {
    let page: { rows: MessageRow[]; omitted: number };
    if (q.after !== undefined) {
      const afterSeq = this.seqOf(topicId, q.after, 'after');
      const beforeSeq = q.before !== undefined ? this.beforeBound(topicId, q.before) : undefined;
      const sized = this.db
        .prepare(
          `SELECT m.seq, ${ROW_SIZE} AS size FROM messages m WHERE m.topic_id = ? AND m.seq > ? ${beforeSeq?.kind === 'seq' ? 'AND m.seq < ?' : beforeSeq ? 'AND m.created_at_ms < ?' : ''}
           ORDER BY m.seq ASC LIMIT ? OFFSET ?`,
        )
        .all(...[topicId, afterSeq, ...(beforeSeq ? [beforeSeq.value] : []), q.limit, q.offset]) as { seq: number; size: number }[];
      page = this.fit(sized, 'start', maxBytes);
    } else {
      const beforeSeq = q.before !== undefined ? this.beforeBound(topicId, q.before) : undefined;
      const sized = (this.db
        .prepare(
          `SELECT m.seq, ${ROW_SIZE} AS size FROM messages m WHERE m.topic_id = ? ${beforeSeq?.kind === 'seq' ? 'AND m.seq < ?' : beforeSeq ? 'AND m.created_at_ms < ?' : ''}
           ORDER BY m.seq DESC LIMIT ? OFFSET ?`,
        )
        .all(...[topicId, ...(beforeSeq ? [beforeSeq.value] : []), q.limit, q.offset]) as { seq: number; size: number }[]).reverse();
      page = this.fit(sized, 'end', maxBytes);
    }
    const last = page.rows[page.rows.length - 1];
    if (reader && last && this.topics.isMember(topicId, reader)) this.markRead(reader, topicId, last.seq);
    return { messages: page.rows.map(toMessage), omitted: page.omitted };
  }

  /** New messages in the agent's topics since its cursor (own messages included); advances the cursor. */
  poll(agentId: string, limit: number): PollResult {
    return this.db.transaction(() => {
      const cursor = this.cursor(agentId);
      const sized = this.db
        .prepare(
          `SELECT m.seq, ${ROW_SIZE} AS size FROM messages m JOIN members mb ON mb.topic_id = m.topic_id AND mb.agent_id = ?
           WHERE m.seq > ? AND m.seq > mb.joined_seq ORDER BY m.seq ASC LIMIT ?`,
        )
        .all(agentId, cursor, limit) as { seq: number; size: number }[];
      const { rows, omitted } = this.fit(sized, 'start', this.maxBytes);
      const last = rows[rows.length - 1];
      if (last) {
        this.db
          .prepare('INSERT INTO poll_cursors (agent_id, last_seq) VALUES (?, ?) ON CONFLICT (agent_id) DO UPDATE SET last_seq = excluded.last_seq')
          .run(agentId, last.seq);
      }
      const topics = new Map<string, { id: string; name: string; type: string }>();
      for (const r of rows) if (!topics.has(r.topic_id)) topics.set(r.topic_id, { id: r.topic_id, name: r.topic_name ?? '', type: r.topic_type ?? '' });
      return { messages: rows.map(toMessage), topics: [...topics.values()], ...(omitted > 0 ? { truncated: true as const } : {}) };
    })();
  }

  cursor(agentId: string): number {
    const r = this.db.prepare('SELECT last_seq FROM poll_cursors WHERE agent_id = ?').get(agentId) as { last_seq: number } | undefined;
    return r?.last_seq ?? 0;
  }

  /** Messages of the agent's topics, newest first, cut to `maxBytes` of JSON (the newest kept). */
  feed(agentId: string, page: number, limit: number, contentType?: string): MessagePage {
    const sized = this.db
      .prepare(
        `SELECT m.seq, ${ROW_SIZE} AS size FROM messages m JOIN members mb ON mb.topic_id = m.topic_id AND mb.agent_id = ?
         ${contentType ? 'WHERE m.content_type = ?' : ''} ORDER BY m.seq DESC LIMIT ? OFFSET ?`,
      )
      .all(...[agentId, ...(contentType ? [contentType] : []), limit, (page - 1) * limit]) as { seq: number; size: number }[];
    const { rows, omitted } = this.fit(sized, 'start', this.maxBytes);
    return { messages: rows.map(toMessage), omitted };
  }

  /** The agent's p2p conversations, most recent first, with unread counts. */
  p2pInbox(agentId: string, page: number, limit: number): InboxEntry[] {
    const convs = this.db
      .prepare(
        `SELECT t.id AS topic_id, peer.agent_id AS peer_agent_id, a.display_name AS peer_display_name, me.joined_seq AS joined_seq,
                (SELECT MAX(seq) FROM messages x WHERE x.topic_id = t.id) AS last_seq
         FROM topics t
         JOIN members me ON me.topic_id = t.id AND me.agent_id = ?
         JOIN members peer ON peer.topic_id = t.id AND peer.agent_id != me.agent_id
         LEFT JOIN agents a ON a.agent_id = peer.agent_id
         WHERE t.type = 'p2p'
         ORDER BY COALESCE(last_seq, 0) DESC, t.created_at DESC LIMIT ? OFFSET ?`,
      )
      .all(agentId, limit, (page - 1) * limit) as { topic_id: string; peer_agent_id: string; peer_display_name: string | null; joined_seq: number; last_seq: number | null }[];
    const pollCursor = this.cursor(agentId);
    return convs.map((c) => {
      const readSeq = Math.max(pollCursor, c.joined_seq, this.readMark(agentId, c.topic_id));
      const unread = (this.db
        .prepare('SELECT COUNT(*) AS n FROM messages WHERE topic_id = ? AND sender_id != ? AND seq > ?')
        .get(c.topic_id, agentId, readSeq) as { n: number }).n;
      return {
        peer_agent_id: c.peer_agent_id,
        peer_display_name: c.peer_display_name,
        topic_id: c.topic_id,
        last_message: c.last_seq === null ? null : (this.bySeq(c.last_seq) ?? null),
        unread_count: unread,
      };
    });
  }

  bySeq(seq: number): Message | undefined {
    const row = this.db.prepare(`${SELECT_MESSAGE} WHERE m.seq = ?`).get(seq) as MessageRow | undefined;
    return row ? toMessage(row) : undefined;
  }

  private readMark(agentId: string, topicId: string): number {
    const r = this.db.prepare('SELECT last_seq FROM topic_reads WHERE agent_id = ? AND topic_id = ?').get(agentId, topicId) as { last_seq: number } | undefined;
    return r?.last_seq ?? 0;
  }

  private markRead(agentId: string, topicId: string, seq: number): void {
    this.db
      .prepare(
        `INSERT INTO topic_reads (agent_id, topic_id, last_seq) VALUES (?, ?, ?)
         ON CONFLICT (agent_id, topic_id) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq)`,
      )
      .run(agentId, topicId, seq);
  }

  private seqOf(topicId: string, messageId: string, param: string): number {
    const r = this.db.prepare('SELECT seq FROM messages WHERE id = ? AND topic_id = ?').get(messageId, topicId) as { seq: number } | undefined;
    if (!r) throw new HubError(404, `${param}: message ${messageId} not found in topic ${topicId}`);
    return r.seq;
  }

  private beforeBound(topicId: string, before: string): { kind: 'seq' | 'time'; value: number } {
    const r = this.db.prepare('SELECT seq FROM messages WHERE id = ? AND topic_id = ?').get(before, topicId) as { seq: number } | undefined;
    if (r) return { kind: 'seq', value: r.seq };
    if (ISO_DATE.test(before.trim())) {
      const ms = Date.parse(before.trim());
      if (!Number.isNaN(ms)) return { kind: 'time', value: ms };
      throw new HubError(422, `before: '${before}' is not a valid timestamp`);
    }
    throw new HubError(404, `before: message ${before} not found in topic ${topicId} (and it is not an ISO timestamp)`);
  }
}

function toMessage(r: MessageRow): Message {
  const extra = r.extra ? (JSON.parse(r.extra) as Record<string, unknown>) : {};
  let metadata: unknown = null;
  if (r.metadata !== null) metadata = JSON.parse(r.metadata) as unknown;
  const m: Message = {
    ...extra,
    id: r.id,
    seq: r.seq,
    topic_id: r.topic_id,
    topic_name: r.topic_name ?? undefined,
    topic_type: r.topic_type ?? undefined,
    sender_id: r.sender_id,
    sender_type: r.sender_type,
    source: r.source ?? undefined,
    content_type: r.content_type,
    semantic_type: r.semantic_type,
    content: r.content,
    reply_to: r.reply_to,
    encrypted: r.encrypted === 1,
    metadata: metadata as Message['metadata'],
    created_at: r.created_at,
    ...(r.sender_display_name ? { sender_display_name: r.sender_display_name } : {}),
  };
  return m;
}
