/** Topics, membership, blacklist and p2p conversations, with the rules that guard them. */
import type { Database } from 'better-sqlite3';
import { createHash, randomUUID } from 'node:crypto';
import type { Topic, TopicRole } from '../protocol/index.js';
import { HubError, type NewTopic } from './core.js';
import type { Clock } from './clock.js';

interface TopicRow {
  id: string; name: string; description: string; type: string; visibility: string; join_method: string;
  creator_agent_id: string | null; created_at: string; member_count: number; my_role?: string | null;
}

const ROLE_RANK: Readonly<Record<string, number>> = { observer: 0, member: 1, admin: 2, owner: 3 };

const SELECT_TOPIC = `SELECT t.*, (SELECT COUNT(*) FROM members m WHERE m.topic_id = t.id) AS member_count FROM topics t`;

export class Topics {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  // ---- data (also the HubCore seam) ----

  get(topicId: string, viewer?: string): Topic | undefined {
    const row = this.db.prepare(`${SELECT_TOPIC} WHERE t.id = ?`).get(topicId) as TopicRow | undefined;
    return row ? this.view(row, viewer) : undefined;
  }

  create(t: NewTopic): Topic {
    const id = randomUUID();
    this.insert(id, t);
    return this.get(id, t.creator_agent_id ?? undefined) as Topic;
  }

  remove(topicId: string): void {
    this.db.transaction(() => {
      for (const table of ['members', 'blacklist', 'messages', 'topic_reads']) this.db.prepare(`DELETE FROM ${table} WHERE topic_id = ?`).run(topicId);
      this.db.prepare('DELETE FROM topics WHERE id = ?').run(topicId);
    })();
  }

  /**
   * Adds a member, or changes an existing member's role when one is given; an owner is never
   * demoted this way. Messages before joining are not delivered by poll (`joined_seq`).
   */
  addMember(topicId: string, agentId: string, role?: TopicRole): void {
    const current = this.role(topicId, agentId);
    if (current === undefined) {
      const maxSeq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS s FROM messages').get() as { s: number }).s;
      this.db
        .prepare('INSERT INTO members (topic_id, agent_id, role, joined_seq, joined_at) VALUES (?, ?, ?, ?, ?)')
        .run(topicId, agentId, role ?? 'member', maxSeq, this.clock.iso());
    } else if (role !== undefined && role !== current && current !== 'owner') {
      this.db.prepare('UPDATE members SET role = ? WHERE topic_id = ? AND agent_id = ?').run(role, topicId, agentId);
    }
  }

  removeMember(topicId: string, agentId: string): void {
    this.db.prepare('DELETE FROM members WHERE topic_id = ? AND agent_id = ?').run(topicId, agentId);
  }

  members(topicId: string): string[] {
    return (this.db.prepare('SELECT agent_id FROM members WHERE topic_id = ? ORDER BY joined_at, agent_id').all(topicId) as { agent_id: string }[]).map((r) => r.agent_id);
  }

  isMember(topicId: string, agentId: string): boolean {
    return this.role(topicId, agentId) !== undefined;
  }

  role(topicId: string, agentId: string): string | undefined {
    const r = this.db.prepare('SELECT role FROM members WHERE topic_id = ? AND agent_id = ?').get(topicId, agentId) as { role: string } | undefined;
    return r?.role;
  }

  // ---- operations with rules (REST and WebSocket share these) ----

  /** Public, non-p2p topics, newest first. */
  listPublic(limit: number, viewer?: string): Topic[] {
    const rows = this.db
      .prepare(`${SELECT_TOPIC} WHERE t.visibility = 'public' AND t.type != 'p2p' ORDER BY t.created_at DESC, t.rowid DESC LIMIT ?`)
      .all(limit) as TopicRow[];
    return rows.map((r) => this.view(r, viewer));
  }

  /** Public topics (and private ones the viewer belongs to) whose name or description contains the query. */
  search(query: string, limit: number, viewer?: string): Topic[] {
    const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = this.db
      .prepare(
        `${SELECT_TOPIC} WHERE t.type != 'p2p' AND (t.name LIKE ? ESCAPE '\\' OR t.description LIKE ? ESCAPE '\\')
         AND (t.visibility = 'public' OR EXISTS (SELECT 1 FROM members m WHERE m.topic_id = t.id AND m.agent_id = ?))
         ORDER BY t.created_at DESC, t.rowid DESC LIMIT ?`,
      )
      .all(like, like, viewer ?? null, limit) as TopicRow[];
    return rows.map((r) => this.view(r, viewer));
  }

  subscribed(agentId: string, limit: number): Topic[] {
    const rows = this.db
      .prepare(
        `${SELECT_TOPIC} JOIN members me ON me.topic_id = t.id AND me.agent_id = ?
         ORDER BY me.joined_at DESC, t.rowid DESC LIMIT ?`,
      )
      .all(agentId, limit) as TopicRow[];
    return rows.map((r) => this.view(r, agentId));
  }

  /** A topic the caller may see: public ones, or ones it belongs to. */
  visible(topicId: string, viewer: string | undefined): Topic {
    const t = this.get(topicId, viewer);
    if (!t) throw new HubError(404, `topic ${topicId} not found`);
    if (t.visibility !== 'public' && !(viewer && this.isMember(topicId, viewer))) {
      throw new HubError(403, `topic ${topicId} is private; only its members can see it`);
    }
    return t;
  }

  createByAgent(agentId: string, body: { name: string; description?: string; type?: string; visibility?: string; join_method?: string }): Topic {
    if (body.type === 'p2p') throw new HubError(422, 'type p2p is reserved: p2p topics are created by POST /messages/p2p');
    const topic = this.create({
      name: body.name,
      description: body.description ?? '',
      type: (body.type ?? 'discussion') as NewTopic['type'],
      visibility: (body.visibility ?? 'public') as 'public' | 'private',
      join_method: (body.join_method ?? 'open') as 'open' | 'invite_only',
      creator_agent_id: agentId,
    });
    return topic;
  }

  join(topicId: string, agentId: string): { message: string; topic_id: string; role: string } {
    const t = this.get(topicId);
    if (!t) throw new HubError(404, `topic ${topicId} not found`);
    const current = this.role(topicId, agentId);
    if (current !== undefined) return { message: 'Already a member', topic_id: topicId, role: current };
    if (this.isBlacklisted(topicId, agentId)) throw new HubError(403, `agent ${agentId} is blacklisted in topic ${topicId}`);
    if (t.type === 'p2p') throw new HubError(403, 'p2p topics cannot be joined');
    if (t.visibility !== 'public' || t.join_method !== 'open') throw new HubError(403, `topic ${topicId} is invite-only`);
    this.addMember(topicId, agentId, 'member');
    return { message: 'Joined successfully', topic_id: topicId, role: 'member' };
  }

  leave(topicId: string, agentId: string): { message: string; topic_id: string } {
    if (!this.get(topicId)) throw new HubError(404, `topic ${topicId} not found`);
    if (!this.isMember(topicId, agentId)) throw new HubError(404, `agent ${agentId} is not a member of topic ${topicId}`);
    this.removeMember(topicId, agentId);
    return { message: 'Left successfully', topic_id: topicId };
  }

  deleteByAgent(topicId: string, agentId: string): { message: string; topic_id: string } {
    const t = this.get(topicId);
    if (!t) throw new HubError(404, `topic ${topicId} not found`);
    if (!this.isOwner(topicId, agentId)) throw new HubError(403, `only the owner of topic ${topicId} can delete it`);
    this.remove(topicId);
    return { message: 'Topic deleted', topic_id: topicId };
  }

  memberList(topicId: string, viewer: string | undefined): { agent_id: string; display_name: string | null; role: string; joined_at: string }[] {
    this.visible(topicId, viewer);
    return this.db
      .prepare(
        `SELECT m.agent_id, a.display_name, m.role, m.joined_at FROM members m LEFT JOIN agents a ON a.agent_id = m.agent_id
         WHERE m.topic_id = ? ORDER BY m.joined_at, m.agent_id`,
      )
      .all(topicId) as { agent_id: string; display_name: string | null; role: string; joined_at: string }[];
  }

  /**
   * Throws unless the agent may publish into the topic (it exists, the agent is not blacklisted and
   * is a member), checked in one statement: this runs on every publish.
   */
  assertCanPublish(topicId: string, agentId: string): void {
    const r = this.db
      .prepare(
        `SELECT (SELECT role FROM members WHERE topic_id = t.id AND agent_id = ?) AS role,
                (SELECT COALESCE(expires_at_ms, -1) FROM blacklist WHERE topic_id = t.id AND agent_id = ?) AS banned_until
         FROM topics t WHERE t.id = ?`,
      )
      .get(agentId, agentId, topicId) as { role: string | null; banned_until: number | null } | undefined;
    if (!r) throw new HubError(404, `topic ${topicId} not found`);
    if (r.banned_until !== null && (r.banned_until === -1 || r.banned_until > this.clock.nowMs())) throw new HubError(403, `agent ${agentId} is blacklisted in topic ${topicId}`);
    if (r.role === null) throw new HubError(403, `agent ${agentId} is not a member of topic ${topicId}; join it first`);
  }

  // ---- blacklist ----

  isBlacklisted(topicId: string, agentId: string): boolean {
    const r = this.db.prepare('SELECT expires_at_ms FROM blacklist WHERE topic_id = ? AND agent_id = ?').get(topicId, agentId) as { expires_at_ms: number | null } | undefined;
    return r !== undefined && (r.expires_at_ms === null || r.expires_at_ms > this.clock.nowMs());
  }

  blacklistAdd(topicId: string, operator: string, target: string, mode: string, expiresAt: string | null | undefined): Record<string, unknown> {
    this.assertModerator(topicId, operator);
    if (target === operator) throw new HubError(422, 'an agent cannot blacklist itself');
    if (this.isOwner(topicId, target)) throw new HubError(403, 'the owner of a topic cannot be blacklisted');
    let expiresMs: number | null = null;
    if (expiresAt) {
      expiresMs = Date.parse(expiresAt);
      if (Number.isNaN(expiresMs)) throw new HubError(422, `expires_at must be an ISO timestamp, got '${expiresAt}'`);
    }
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO blacklist (topic_id, agent_id, mode, expires_at, expires_at_ms, operator_agent_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (topic_id, agent_id) DO UPDATE SET mode = excluded.mode, expires_at = excluded.expires_at,
             expires_at_ms = excluded.expires_at_ms, operator_agent_id = excluded.operator_agent_id, created_at = excluded.created_at`,
        )
        .run(topicId, target, mode, expiresAt ?? null, expiresMs, operator, this.clock.iso());
      this.removeMember(topicId, target);
    })();
    return { message: 'Blacklisted', topic_id: topicId, agent_id: target, target_agent_id: target, mode, expires_at: expiresAt ?? null };
  }

  blacklistRemove(topicId: string, operator: string, target: string): { message: string; topic_id: string; agent_id: string } {
    this.assertModerator(topicId, operator);
    const r = this.db.prepare('DELETE FROM blacklist WHERE topic_id = ? AND agent_id = ?').run(topicId, target);
    if (r.changes === 0) throw new HubError(404, `agent ${target} is not blacklisted in topic ${topicId}`);
    return { message: 'Removed from blacklist', topic_id: topicId, agent_id: target };
  }

  blacklistList(topicId: string, operator: string): Record<string, unknown>[] {
    this.assertModerator(topicId, operator);
    return (this.db
      .prepare('SELECT agent_id, mode, expires_at, operator_agent_id, created_at FROM blacklist WHERE topic_id = ? AND (expires_at_ms IS NULL OR expires_at_ms > ?) ORDER BY created_at')
      .all(topicId, this.clock.nowMs()) as Record<string, unknown>[]).map((r) => ({ ...r, target_agent_id: r.agent_id }));
  }

  // ---- p2p ----

  /** The deterministic p2p topic of two agents, created (both members) on first use. */
  p2pTopic(a: string, b: string): Topic {
    const [x, y] = [a, b].sort() as [string, string];
    const id = `p2p-${createHash('sha256').update(`${x}\n${y}`).digest('hex').slice(0, 24)}`;
    this.db.transaction(() => {
      if (!this.get(id)) {
        this.insert(id, { name: `p2p:${x}:${y}`, description: '', type: 'p2p', visibility: 'private', join_method: 'invite_only', creator_agent_id: a }, false);
      }
      this.addMember(id, x, 'member');
      this.addMember(id, y, 'member');
    })();
    return this.get(id, a) as Topic;
  }

  private insert(id: string, t: NewTopic, creatorIsOwner = true): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO topics (id, name, description, type, visibility, join_method, creator_agent_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(id, t.name, t.description ?? '', t.type, t.visibility ?? 'public', t.join_method ?? 'open', t.creator_agent_id, this.clock.iso());
      if (creatorIsOwner && t.creator_agent_id) this.addMember(id, t.creator_agent_id, 'owner');
    })();
  }

  private isOwner(topicId: string, agentId: string): boolean {
    return this.role(topicId, agentId) === 'owner';
  }

  private assertModerator(topicId: string, agentId: string): void {
    if (!this.get(topicId)) throw new HubError(404, `topic ${topicId} not found`);
    const rank = ROLE_RANK[this.role(topicId, agentId) ?? ''] ?? -1;
    if (rank < (ROLE_RANK.admin as number)) throw new HubError(403, `only the owner or an admin of topic ${topicId} can manage its blacklist`);
  }

  private view(r: TopicRow, viewer?: string): Topic {
    const topic: Topic = {
      id: r.id,
      name: r.name,
      description: r.description,
      type: r.type,
      topic_type: r.type,
      visibility: r.visibility,
      join_method: r.join_method,
      creator_agent_id: r.creator_agent_id,
      created_at: r.created_at,
      is_active: true,
      member_count: r.member_count,
    };
    if (viewer !== undefined) topic.my_role = this.role(r.id, viewer) ?? null;
    return topic;
  }
}
