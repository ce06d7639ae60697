/**
 * The seam between the hub's core (agents, auth, topics, messages, WebSocket: src/hub/*) and the
 * feature areas that plug into it (tasks, pipelines, delegation, utilities: src/hub/tasks/*, ...).
 * The core builds one `HubCore` and hands it to every area's `register(core)`.
 */
import type { Database } from 'better-sqlite3';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Message, Topic } from '../protocol/index.js';
import { codeOfStatus, HUB_ERRORS, type HubErrorCode } from './errors.js';
import type { HubLimits } from './limits.js';
import type { WsActionDef } from './ws-actions.js';
import type { z } from 'zod';

/**
 * Error a route throws to answer `{"detail": message, "code"}` with `status`. `code` is from the
 * registry (src/hub/errors.ts): `HubError.of(code, …)` takes status from there; a bare status gets
 * that status's generic code.
 */
export class HubError extends Error {
  override readonly name = 'HubError';
  readonly code: HubErrorCode;
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
    /** What went wrong, for the log only (never sent to the caller). */
    readonly logDetail?: string,
    code?: HubErrorCode,
  ) {
    super(message);
    this.code = code ?? codeOfStatus(status);
  }

  static of(code: HubErrorCode, message: string, o: { headers?: Record<string, string>; logDetail?: string } = {}): HubError {
    return new HubError(HUB_ERRORS[code].status, message, o.headers ?? {}, o.logDetail, code);
  }
}

export type AuthMode = 'required' | 'legacy';

export interface NewTopic {
  name: string;
  description?: string;
  type: 'broadcast' | 'discussion' | 'p2p' | 'collaborative';
  visibility?: 'public' | 'private';
  join_method?: 'open' | 'invite_only';
  creator_agent_id: string | null;
}

export interface NewMessage {
  topic_id: string;
  sender_id: string;
  sender_type?: 'human' | 'agent' | 'system';
  source?: string;
  content: string;
  content_type?: string;
  semantic_type?: string;
  reply_to?: string | null;
  /** The content is end-to-end ciphertext (§4.7); stored and relayed as is. */
  encrypted?: boolean;
  /** An object, or a string the client sent as is. */
  metadata?: Record<string, unknown> | string | null;
  /** Extra fields copied onto the stored and pushed message (e.g. task_id). */
  extra?: Record<string, unknown>;
}

/** A message an agent publishes itself (`POST /topics/{id}/messages`, the WebSocket `publish` action). */
export interface PublishInput {
  topic_id: string;
  content: string;
  content_type?: string | undefined;
  semantic_type?: string | undefined;
  sender_type?: string | undefined;
  source?: string | undefined;
  reply_to?: string | null | undefined;
  encrypted?: boolean | undefined;
  metadata?: Record<string, unknown> | string | null | undefined;
}

export interface HubCore {
  readonly db: Database;
  readonly app: FastifyInstance;
  readonly log: Logger;
  readonly dataDir: string;
  readonly authMode: AuthMode;
  /** Every limit in force (src/hub/limits.ts). */
  readonly limits: HubLimits;
  /** ISO time now (the hub's one clock). */
  now(): string;

  auth: {
    /**
     * The agent making this request. In `required` mode: from `Authorization: Bearer` or
     * `X-Agent-Token`; if `claimed` (an agent id named in the query/body) differs → 403.
     * In `legacy` mode a valid token still wins; without one, `claimed` is trusted.
     * No agent → 401.
     */
    callerAgent(req: FastifyRequest, claimed?: string | null): string;
    /** Same, but returns undefined instead of throwing when there is no credential at all. */
    optionalCallerAgent(req: FastifyRequest, claimed?: string | null): string | undefined;
    agentExists(agentId: string): boolean;
  };

  topics: {
    get(topicId: string): Topic | undefined;
    create(t: NewTopic): Topic;
    /** Removes the topic, its members and messages. */
    remove(topicId: string): void;
    addMember(topicId: string, agentId: string, role?: 'owner' | 'admin' | 'member' | 'observer'): void;
    removeMember(topicId: string, agentId: string): void;
    members(topicId: string): string[];
    isMember(topicId: string, agentId: string): boolean;
    /** The p2p topic of two agents (both members), created on first use; the same topic `POST /messages/p2p` uses. */
    p2pTopic(a: string, b: string): Topic;
    /** Public, non-p2p topics, newest first (`GET /topics/`). */
    listPublic(limit: number): Topic[];
    /** `POST /topics/{id}/join` with its rules: 404, blacklist, p2p and invite-only topics → `HubError` 403. */
    join(topicId: string, agentId: string): { message: string; topic_id: string; role: string };
  };

  messages: {
    /** Stores the message and pushes `new_message` to every member of the topic (sender included); checks nothing. */
    post(m: NewMessage): Message;
    /**
     * The agent publishes as itself, with the rules of `POST /topics/{id}/messages`: content size (413),
     * member and not blacklisted (403), `sender_type` agent or human (422).
     */
    publish(agentId: string, input: PublishInput): Message;
    /** The last `limit` messages of the topic, oldest first (moves no read mark), cut at `maxResponseBytes`. */
    history(topicId: string, limit: number): Message[];
    /**
     * The last `limit` messages (before the message `before`, when given: an id or an ISO time) that
     * fit in `maxBytes` of JSON (the newest kept), and how many were left out; read on with
     * `before` = the first one returned.
     */
    historyPage(topicId: string, limit: number, maxBytes: number, before?: string): { messages: Message[]; omitted: number };
  };

  push: {
    /** Sends a JSON frame to every open socket of these agents. */
    toAgents(agentIds: Iterable<string>, frame: Record<string, unknown>): void;
  };

  ws: {
    /**
     * Adds a WebSocket action (src/hub/ws-actions.ts): frames `{"action": name, …}` of an
     * authenticated socket are validated with `def.schema` and answered with `def.run(agent, frame)`.
     * A core action's name, or one already taken, → TypeError.
     */
    action<S extends z.ZodType>(name: string, def: WsActionDef<S>): void;
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The hub core, decorated on the root app (areas see it in their scope too). */
    hub: HubCore;
  }
}

/**
 * A feature area: registers its tables (idempotent `CREATE TABLE IF NOT EXISTS`), routes and WS
 * actions. It runs inside its own encapsulated fastify plugin; `core.app` is that plugin's scope.
 */
export type HubArea = (core: HubCore) => void | Promise<void>;
