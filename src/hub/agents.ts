/** Agents, users, claim codes and bindings: the identities the hub knows. */
import type { Database } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { HubError } from './core.js';
import {
  apiKeyFor, hashPassword, newAgentId, newAgentToken, newClaimCode, sha256, signUserToken, verifyPassword,
} from './secrets.js';
import type { Clock } from './clock.js';

/** Claim codes live 15 minutes (wtt-protocol.md §8.2). */
export const CLAIM_CODE_TTL_S = 900;

interface AgentRow { agent_id: string; display_name: string | null; platform: string | null; created_at: string }
interface UserRow { user_id: string; email: string; password_hash: string; display_name: string | null; created_at: string }
interface BindingRow {
  id: number; user_id: string; agent_id: string; api_key_nonce: string; binding_method: string;
  is_primary: number; display_name: string | null; bound_at: string;
}

export interface BindingView {
  id: number;
  agent_id: string;
  display_name: string | null;
  is_primary: boolean;
  api_key: string;
  binding_method: string;
  bound_at: string;
}

export class Agents {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly secret: Buffer,
  ) {}

  register(displayName: string | undefined, platform: string | undefined): { agent_id: string; agent_token: string; display_name: string | null; platform: string | null; created_at: string } {
    const agent_id = newAgentId();
    const agent_token = newAgentToken();
    const created_at = this.clock.iso();
    this.db
      .prepare('INSERT INTO agents (agent_id, token_hash, display_name, platform, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(agent_id, sha256(agent_token), displayName ?? null, platform ?? null, created_at);
    return { agent_id, agent_token, display_name: displayName ?? null, platform: platform ?? null, created_at };
  }

  /** Legacy mode: an agent named by a client that never registered gets a row without a token. */
  ensureLegacy(agentId: string): void {
    this.db.prepare('INSERT OR IGNORE INTO agents (agent_id, token_hash, created_at) VALUES (?, NULL, ?)').run(agentId, this.clock.iso());
  }

  exists(agentId: string): boolean {
    return this.db.prepare('SELECT 1 FROM agents WHERE agent_id = ?').get(agentId) !== undefined;
  }

  get(agentId: string): AgentRow | undefined {
    return this.db.prepare('SELECT agent_id, display_name, platform, created_at FROM agents WHERE agent_id = ?').get(agentId) as AgentRow | undefined;
  }

  byToken(token: string): string | undefined {
    const r = this.db.prepare('SELECT agent_id FROM agents WHERE token_hash = ?').get(sha256(token)) as { agent_id: string } | undefined;
    return r?.agent_id;
  }

  byApiKey(apiKey: string): string | undefined {
    const r = this.db.prepare('SELECT agent_id FROM bindings WHERE api_key_hash = ?').get(sha256(apiKey)) as { agent_id: string } | undefined;
    return r?.agent_id;
  }

  profile(agentId: string): { agent_id: string; display_name: string | null; name: string | null; platform: string | null; created_at: string } {
    const a = this.get(agentId);
    if (!a) throw new HubError(404, `agent ${agentId} not found`);
    return { agent_id: a.agent_id, display_name: a.display_name, name: a.display_name, platform: a.platform, created_at: a.created_at };
  }

  // ---- users ----

  registerUser(email: string, password: string, displayName: string | undefined): { user_id: string; email: string; display_name: string | null } {
    const norm = email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(norm)) throw new HubError(422, 'email must look like name@host');
    if (this.db.prepare('SELECT 1 FROM users WHERE email = ?').get(norm)) throw new HubError(409, `a user with email ${norm} already exists`);
    const user_id = `user-${randomUUID()}`;
    this.db
      .prepare('INSERT INTO users (user_id, email, password_hash, display_name, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(user_id, norm, hashPassword(password), displayName ?? null, this.clock.iso());
    return { user_id, email: norm, display_name: displayName ?? null };
  }

  login(email: string, password: string): { user_id: string; access_token: string; token_type: 'bearer'; display_name: string | null; email: string } {
    const u = this.db.prepare('SELECT * FROM users WHERE email = ?').get(email.trim().toLowerCase()) as UserRow | undefined;
    if (!u || !verifyPassword(password, u.password_hash)) throw new HubError(401, 'invalid email or password');
    return {
      user_id: u.user_id,
      access_token: signUserToken(this.secret, u.user_id, this.clock.nowMs()),
      token_type: 'bearer',
      display_name: u.display_name,
      email: u.email,
    };
  }

  userExists(userId: string): boolean {
    return this.db.prepare('SELECT 1 FROM users WHERE user_id = ?').get(userId) !== undefined;
  }

  // ---- claim codes and bindings ----

  newClaimCode(agentId: string): { code: string; claim_code: string; agent_id: string; expires_in_seconds: number; expires_at: string } {
    const code = newClaimCode();
    const expiresMs = this.clock.nowMs() + CLAIM_CODE_TTL_S * 1000;
    this.db
      .prepare('INSERT INTO claim_codes (code, agent_id, expires_at_ms, created_at) VALUES (?, ?, ?, ?)')
      .run(code, agentId, expiresMs, this.clock.iso());
    return { code, claim_code: code, agent_id: agentId, expires_in_seconds: CLAIM_CODE_TTL_S, expires_at: new Date(expiresMs).toISOString() };
  }

  /** Binds the code's agent to the user; the code is consumed. */
  claim(userId: string, code: string): BindingView {
    return this.db.transaction(() => {
      const c = this.db.prepare('SELECT * FROM claim_codes WHERE code = ?').get(code.trim().toUpperCase()) as
        | { code: string; agent_id: string; expires_at_ms: number; used_by: string | null }
        | undefined;
      if (!c) throw new HubError(404, 'claim code not found');
      if (c.used_by !== null) throw new HubError(409, 'claim code has already been used');
      if (c.expires_at_ms <= this.clock.nowMs()) throw new HubError(410, 'claim code has expired; ask the agent for a new one (@wtt bind)');
      if (this.db.prepare('SELECT 1 FROM bindings WHERE user_id = ? AND agent_id = ?').get(userId, c.agent_id)) {
        throw new HubError(409, `agent ${c.agent_id} is already bound to this user`);
      }
      this.db.prepare('UPDATE claim_codes SET used_by = ?, used_at = ? WHERE code = ?').run(userId, this.clock.iso(), c.code);
      const hasPrimary = this.db.prepare('SELECT 1 FROM bindings WHERE agent_id = ? AND is_primary = 1').get(c.agent_id) !== undefined;
      const nonce = randomUUID();
      const displayName = this.get(c.agent_id)?.display_name ?? null;
      const info = this.db
        .prepare(
          `INSERT INTO bindings (user_id, agent_id, api_key_nonce, api_key_hash, binding_method, is_primary, display_name, bound_at)
           VALUES (?, ?, ?, ?, 'claim_code', ?, ?, ?)`,
        )
        .run(userId, c.agent_id, nonce, sha256(apiKeyFor(this.secret, nonce)), hasPrimary ? 0 : 1, displayName, this.clock.iso());
      return this.bindingView(this.db.prepare('SELECT * FROM bindings WHERE id = ?').get(info.lastInsertRowid) as BindingRow);
    })();
  }

  /** Renames the agent (its profile and every binding's copy of the name). */
  rename(agentId: string, displayName: string): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE agents SET display_name = ? WHERE agent_id = ?').run(displayName, agentId);
      this.db.prepare('UPDATE bindings SET display_name = ? WHERE agent_id = ?').run(displayName, agentId);
    })();
  }

  /** The binding an api key belongs to, or the user's binding of an agent. */
  binding(by: { apiKey: string } | { userId: string; agentId: string }): { id: number; user_id: string; agent_id: string; is_primary: boolean } | undefined {
    const r = ('apiKey' in by
      ? this.db.prepare('SELECT id, user_id, agent_id, is_primary FROM bindings WHERE api_key_hash = ?').get(sha256(by.apiKey))
      : this.db.prepare('SELECT id, user_id, agent_id, is_primary FROM bindings WHERE user_id = ? AND agent_id = ?').get(by.userId, by.agentId)) as
      | { id: number; user_id: string; agent_id: string; is_primary: number }
      | undefined;
    return r ? { ...r, is_primary: r.is_primary === 1 } : undefined;
  }

  /** Removes a binding; its api key stops working at once. */
  unbind(bindingId: number): void {
    this.db.prepare('DELETE FROM bindings WHERE id = ?').run(bindingId);
  }

  bindingsOfUser(userId: string): BindingView[] {
    return (this.db.prepare('SELECT * FROM bindings WHERE user_id = ? ORDER BY id').all(userId) as BindingRow[]).map((b) => this.bindingView(b));
  }

  /** The agent a user acts as: the named one if bound, else the primary (or first) binding. */
  agentOfUser(userId: string, claimed: string | null | undefined): string | undefined {
    if (claimed) {
      const r = this.db.prepare('SELECT agent_id FROM bindings WHERE user_id = ? AND agent_id = ?').get(userId, claimed) as { agent_id: string } | undefined;
      return r?.agent_id;
    }
    const r = this.db.prepare('SELECT agent_id FROM bindings WHERE user_id = ? ORDER BY is_primary DESC, id LIMIT 1').get(userId) as { agent_id: string } | undefined;
    return r?.agent_id;
  }

  private bindingView(b: BindingRow): BindingView {
    const current = this.get(b.agent_id)?.display_name ?? b.display_name;
    return {
      id: b.id,
      agent_id: b.agent_id,
      display_name: current,
      is_primary: b.is_primary === 1,
      api_key: apiKeyFor(this.secret, b.api_key_nonce),
      binding_method: b.binding_method,
      bound_at: b.bound_at,
    };
  }
}
