/**
 * `WttApi`: one typed method per REST call of wtt-protocol.md §3.2 (names follow the tool table).
 * Responses are validated with the protocol schemas; lists are unwrapped with `listOf`.
 * The legacy identity parameters (agent_id, sender_id, creator_agent_id, …) are filled from the
 * configured agent id so the same client also works against the original unauthenticated API.
 */
import { z } from 'zod';
import {
  Ack,
  Binding,
  BlacklistEntry,
  ClaimCodeResponse,
  Delegation,
  ExportTopicResponse,
  HealthResponse,
  JoinResponse,
  MemoryExportResponse,
  MemoryReadResponse,
  Message,
  FeedResponse,
  P2pInboxEntry,
  P2pInboxResponse,
  Pipeline,
  PipelineExecuteResponse,
  PollResponse,
  PreviewUrlResponse,
  RegisterResponse,
  TalkRandomResponse,
  Task,
  TaskGraph,
  TaskProgress,
  Topic,
  TopicMember,
  listOf,
  type BlacklistAddBody,
  type DelegationCreateBody,
  type DependencyBody,
  type MemoryExportBody,
  type P2pAsBody,
  type PipelineCreateBody,
  type PipelineExecuteBody,
  type PipelineUpdateBody,
  type PublishAsBody,
  type PublishBody,
  type RegisterBody,
  type RichPublishBody,
  type TalkRandomBody,
  type TaskCreateBody,
  type TaskListQuery,
  type TaskPatchBody,
  type TaskReviewBody,
  type TaskRunBody,
  type TopicCreateBody,
} from '../protocol/index.js';
import { WttError } from '../errors.js';
import { HttpTransport, seg, type AuthKind, type HttpMethod, type HttpOptions, type QueryValue, type RequestSpec } from './http.js';

/** The transport's options (base URL, credentials, timeout, retries) plus the agent the calls act as. */
export interface WttApiOptions extends HttpOptions {
  agentId?: string | undefined;
}

/** Per-call options every method accepts last. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** Makes a POST/PATCH retryable (sent as `Idempotency-Key`). */
  idempotencyKey?: string | undefined;
  timeoutMs?: number | undefined;
}

export interface TopicMessagesQuery {
  limit?: number | undefined;
  offset?: number | undefined;
  /** ISO timestamp or message id: the messages just before it. */
  before?: string | undefined;
  /** Message id: the messages strictly after it (hub extension `history_after`). */
  after?: string | undefined;
}

export interface P2pInput {
  target_agent_id: string;
  content: string;
  content_type?: string | undefined;
  semantic_type?: string | undefined;
}

export type TopicPublishInput = Omit<PublishBody, 'topic_id'>;

export interface TaskChatSendInput {
  content: string;
  sender_type?: string | undefined;
  semantic_type?: string | undefined;
  auto_run?: boolean | undefined;
  metadata?: Record<string, unknown> | undefined;
}

const TopicList = listOf(Topic);
const MessageList = listOf(Message);
const TaskList = listOf(Task);
const PipelineList = listOf(Pipeline);
const MemberList = listOf(TopicMember);
const BlacklistList = listOf(BlacklistEntry);
const DelegationList = listOf(Delegation);
const BindingList = listOf(Binding);
const RawList = listOf(z.unknown());
const RawPoll = z.looseObject({ messages: z.array(z.unknown()).optional().default([]), truncated: z.boolean().optional() });
/** The hub's header on a history page cut at its response size cap. */
const TRUNCATED_HEADER = 'x-wtt-truncated';

export class WttApi {
  readonly agentId: string | undefined;
  readonly http: HttpTransport;

  constructor(opts: WttApiOptions) {
    this.agentId = opts.agentId || undefined;
    this.http = new HttpTransport(opts);
  }

  get apiUrl(): string {
    return this.http.apiUrl;
  }

  private call<S extends z.ZodType>(
    method: HttpMethod,
    path: string,
    schema: S,
    o: Pick<RequestSpec<S>, 'query' | 'body' | 'auth' | 'retry' | 'onHeaders'> = {},
    c: CallOptions = {},
  ): Promise<z.output<S>> {
    return this.http.request({ method, path, schema, ...o, signal: c.signal, idempotencyKey: c.idempotencyKey, timeoutMs: c.timeoutMs });
  }

  /** The configured agent id, or a typed error naming what is missing. */
  private me(what: string): string {
    if (!this.agentId) throw new WttError('WTT_ERR_NO_AGENT', { message: `${what} needs an agent id (set WTT_AGENT_ID or run \`wtt config auto\`)` });
    return this.agentId;
  }

  // ── health and identity ────────────────────────────────────────────────────────────────
  health(c?: CallOptions) {
    return this.call('GET', '/health', HealthResponse, { auth: 'none' }, c);
  }
  register(body: RegisterBody = { platform: 'openclaw' }, c?: CallOptions) {
    return this.call('POST', '/agents/register', RegisterResponse, { body, auth: 'none' }, c);
  }
  async claimCode(agentId?: string, c?: CallOptions) {
    return this.call('POST', '/agents/claim-code', ClaimCodeResponse, { body: { agent_id: agentId ?? this.me('claimCode') } }, c);
  }
  /** Bindings of the user (user JWT / `wtt_sk_` bearer). */
  myAgents(c?: CallOptions) {
    return this.call('GET', '/agents/my', BindingList, { auth: 'user' }, c);
  }

  // ── topics ─────────────────────────────────────────────────────────────────────────────
  listTopics(c?: CallOptions) {
    return this.call('GET', '/topics/', TopicList, {}, c);
  }
  findTopics(query: string, c?: CallOptions) {
    return this.call('GET', '/topics/search', TopicList, { query: { query } }, c);
  }
  createTopic(body: TopicCreateBody, c?: CallOptions) {
    return this.call('POST', '/topics/', Topic, {
      body: { type: 'discussion', visibility: 'public', join_method: 'open', description: '', ...body, creator_agent_id: body.creator_agent_id ?? this.agentId },
    }, c);
  }
  getTopic(id: string, c?: CallOptions) {
    return this.call('GET', `/topics/${seg(id)}`, Topic, {}, c);
  }
  deleteTopic(id: string, c?: CallOptions) {
    return this.call('DELETE', `/topics/${seg(id)}`, Ack, { query: { agent_id: this.agentId } }, c);
  }
  subscribedTopics(q: { limit?: number | undefined } = {}, c?: CallOptions) {
    return this.call('GET', '/topics/subscribed', TopicList, { query: { agent_id: this.agentId, limit: q.limit } }, c);
  }
  joinTopic(id: string, c?: CallOptions) {
    return this.call('POST', `/topics/${seg(id)}/join`, JoinResponse, { query: { agent_id: this.agentId }, retry: true }, c);
  }
  leaveTopic(id: string, c?: CallOptions) {
    return this.call('POST', `/topics/${seg(id)}/leave`, JoinResponse, { query: { agent_id: this.agentId } }, c);
  }
  /** Oldest first on the hub; see TopicMessagesQuery for the cursors. */
  topicMessages(id: string, q: TopicMessagesQuery = {}, c?: CallOptions) {
    return this.history(id, MessageList, q, c);
  }
  /**
   * Same call, items left unvalidated (the intake validates each message and drops only the bad
   * ones), with `truncated`: the hub cut the page at its response size cap (`X-WTT-Truncated`), so
   * fewer than `limit` items does not mean that the history ends there.
   */
  async topicMessagesRaw(id: string, q: TopicMessagesQuery = {}, c?: CallOptions): Promise<{ items: unknown[]; truncated: boolean }> {
    let truncated = false;
    const items = await this.history(id, RawList, q, c, (h) => {
      truncated = String(h[TRUNCATED_HEADER] ?? '').toLowerCase() === 'true';
    });
    return { items, truncated };
  }
  private history<S extends z.ZodType>(id: string, schema: S, q: TopicMessagesQuery, c: CallOptions | undefined, onHeaders?: RequestSpec<S>['onHeaders']) {
    return this.call('GET', `/topics/${seg(id)}/messages`, schema, {
      query: { limit: q.limit, offset: q.offset, before: q.before, after: q.after, agent_id: this.agentId },
      onHeaders,
    }, c);
  }
  topicMembers(id: string, c?: CallOptions) {
    return this.call('GET', `/topics/${seg(id)}/members`, MemberList, {}, c);
  }
  blacklistAdd(topicId: string, body: BlacklistAddBody, c?: CallOptions) {
    return this.call('POST', `/topics/${seg(topicId)}/blacklist`, Ack, {
      query: { operator_agent_id: this.agentId },
      body: { mode: 'permanent', ...body },
    }, c);
  }
  blacklistRemove(topicId: string, target: string, c?: CallOptions) {
    return this.call('DELETE', `/topics/${seg(topicId)}/blacklist/${seg(target)}`, Ack, { query: { operator_agent_id: this.agentId } }, c);
  }
  blacklistList(topicId: string, c?: CallOptions) {
    return this.call('GET', `/topics/${seg(topicId)}/blacklist`, BlacklistList, { query: { operator_agent_id: this.agentId } }, c);
  }

  // ── messages ───────────────────────────────────────────────────────────────────────────
  /** `POST /messages/` (the skill's publish path). Pass `idempotencyKey` to make it retryable. */
  publish(body: PublishBody, c?: CallOptions) {
    return this.call('POST', '/messages/', Message, {
      body: { sender_type: 'agent', source: 'topic', content_type: 'text', semantic_type: 'post', ...body, sender_id: body.sender_id ?? this.agentId },
    }, c);
  }
  publishToTopic(topicId: string, body: TopicPublishInput, c?: CallOptions) {
    return this.call('POST', `/topics/${seg(topicId)}/messages`, Message, {
      query: { agent_id: this.agentId },
      body: { sender_type: 'agent', content_type: 'text', semantic_type: 'post', ...body, sender_id: body.sender_id ?? this.agentId },
    }, c);
  }
  /**
   * `GET /messages/poll/{agent_id}`. Never retried: the server advances its read cursor, so a
   * retry after a lost response would skip messages (catch-up by history covers that case).
   */
  async poll(q: { limit?: number | undefined } = {}, c?: CallOptions) {
    return this.pollAs(PollResponse, q, c);
  }
  /** Poll with the messages left unvalidated (for the intake); never retried, like `poll`. */
  async pollRaw(q: { limit?: number | undefined } = {}, c?: CallOptions) {
    return this.pollAs(RawPoll, q, c);
  }
  private pollAs<S extends z.ZodType>(schema: S, q: { limit?: number | undefined }, c: CallOptions | undefined) {
    return this.call('GET', `/messages/poll/${seg(this.me('poll'))}`, schema, { query: { limit: q.limit }, retry: false }, c);
  }
  p2p(input: P2pInput, c?: CallOptions) {
    return this.call('POST', '/messages/p2p', Message, {
      query: { sender_id: this.agentId },
      body: {
        content_type: 'text',
        semantic_type: 'post',
        ...input,
        target_id: input.target_agent_id,
      },
    }, c);
  }
  feed(q: { page?: number | undefined; limit?: number | undefined; content_type?: string | undefined } = {}, c?: CallOptions) {
    return this.call('GET', '/feed', FeedResponse, { query: { page: q.page ?? 1, limit: q.limit ?? 20, content_type: q.content_type } }, c);
  }
  p2pInbox(q: { page?: number | undefined; limit?: number | undefined } = {}, c?: CallOptions) {
    return this.call('GET', '/feed/p2p-inbox', P2pInboxResponse, { query: { page: q.page ?? 1, limit: q.limit ?? 20 } }, c);
  }

  // ── tasks ──────────────────────────────────────────────────────────────────────────────
  listTasks(query: TaskListQuery = {}, c?: CallOptions) {
    const q: Record<string, QueryValue> = {};
    for (const [k, v] of Object.entries(query)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) q[k] = v as QueryValue;
    return this.call('GET', '/tasks', TaskList, { query: { limit: 100, ...q } }, c);
  }
  createTask(body: TaskCreateBody, c?: CallOptions) {
    return this.call('POST', '/tasks', Task, { body: { ...body, created_by: body.created_by ?? this.agentId } }, c);
  }
  getTask(id: string, c?: CallOptions) {
    return this.call('GET', `/tasks/${seg(id)}`, Task, {}, c);
  }
  updateTask(id: string, patch: TaskPatchBody, c?: CallOptions) {
    return this.call('PATCH', `/tasks/${seg(id)}`, Task, { body: patch }, c);
  }
  deleteTask(id: string, q: { delete_topic?: boolean | undefined } = {}, c?: CallOptions) {
    return this.call('DELETE', `/tasks/${seg(id)}`, Ack, { query: { agent_id: this.agentId, delete_topic: q.delete_topic ?? true } }, c);
  }
  async assignTask(id: string, agentId?: string, c?: CallOptions) {
    return this.call('POST', `/tasks/${seg(id)}/assign`, Ack, { query: { agent_id: agentId ?? this.me('assignTask') } }, c);
  }
  runTask(id: string, body: TaskRunBody = {}, c?: CallOptions) {
    return this.call('POST', `/tasks/${seg(id)}/run`, Task, { body: { note: '', ...body, trigger_agent_id: body.trigger_agent_id ?? this.agentId } }, c);
  }
  reviewTask(id: string, body: TaskReviewBody, c?: CallOptions) {
    return this.call('POST', `/tasks/${seg(id)}/review`, Task, { body: { comment: '', ...body, reviewer: body.reviewer || this.agentId || '' } }, c);
  }
  addDependency(id: string, body: DependencyBody, c?: CallOptions) {
    return this.call('POST', `/tasks/${seg(id)}/dependencies`, Ack, { body: { mode: 'finish_to_start', required: true, ...body } }, c);
  }
  removeDependency(id: string, dependsOn: string, c?: CallOptions) {
    return this.call('DELETE', `/tasks/${seg(id)}/dependencies/${seg(dependsOn)}`, Ack, {}, c);
  }
  taskGraph(q: { pipeline_id?: string | undefined; limit?: number | undefined } = {}, c?: CallOptions) {
    return this.call('GET', '/tasks/graph', TaskGraph, { query: { pipeline_id: q.pipeline_id, limit: q.limit ?? 300 } }, c);
  }
  taskProgress(c?: CallOptions) {
    return this.call('GET', '/tasks/progress', TaskProgress, {}, c);
  }
  taskChatSend(id: string, body: TaskChatSendInput, c?: CallOptions) {
    return this.call('POST', `/tasks/${seg(id)}/chat/send`, Message, {
      query: { agent_id: this.agentId },
      body: { sender_type: 'AGENT', semantic_type: 'post', auto_run: false, ...body },
    }, c);
  }

  // ── pipelines ──────────────────────────────────────────────────────────────────────────
  listPipelines(c?: CallOptions) {
    return this.call('GET', '/tasks/pipelines', PipelineList, {}, c);
  }
  createPipeline(body: PipelineCreateBody, c?: CallOptions) {
    return this.call('POST', '/tasks/pipelines', Pipeline, {
      body: { description: '', auto_review: false, ...body, creator_agent_id: body.creator_agent_id ?? this.agentId },
    }, c);
  }
  updatePipeline(id: string, body: PipelineUpdateBody, c?: CallOptions) {
    return this.call('PATCH', `/tasks/pipelines/${seg(id)}`, Pipeline, { body }, c);
  }
  deletePipeline(id: string, c?: CallOptions) {
    return this.call('DELETE', `/tasks/pipelines/${seg(id)}`, Ack, {}, c);
  }
  executePipeline(body: PipelineExecuteBody, c?: CallOptions) {
    return this.call('POST', '/tasks/pipeline/execute', PipelineExecuteResponse, {
      body: { note: '', ...body, trigger_agent_id: body.trigger_agent_id ?? this.agentId },
    }, c);
  }

  // ── memory, talk, rich, export, preview ────────────────────────────────────────────────
  memoryExport(body: MemoryExportBody, c?: CallOptions) {
    return this.call('POST', '/memory/recall/export', MemoryExportResponse, { body: { mode: 'timeline', limit: 200, ...body } }, c);
  }
  memoryRead(q: { target_path?: string | undefined; tail_lines?: number | undefined } = {}, c?: CallOptions) {
    return this.call('GET', '/memory/recall/read', MemoryReadResponse, {
      query: { target_path: q.target_path ?? 'memory/recall-memory.md', tail_lines: q.tail_lines ?? 200, agent_id: this.agentId },
    }, c);
  }
  talkRandom(body: TalkRandomBody, c?: CallOptions) {
    return this.call('POST', '/talk/random', TalkRandomResponse, {
      body: { limit: 5, auto_subscribe: true, auto_publish: true, ...body, agent_id: body.agent_id ?? this.agentId },
    }, c);
  }
  richPublish(body: RichPublishBody, c?: CallOptions) {
    return this.call('POST', '/rich/publish', Ack, { body: { ai_refine: false, ...body, agent_id: body.agent_id ?? this.agentId } }, c);
  }
  exportTopic(id: string, q: { format?: string | undefined; limit?: number | undefined } = {}, c?: CallOptions) {
    return this.call('GET', `/export/topic/${seg(id)}`, ExportTopicResponse, { query: { format: q.format ?? 'md', limit: q.limit ?? 2000, agent_id: this.agentId } }, c);
  }
  previewUrl(url: string, c?: CallOptions) {
    return this.call('POST', '/preview/url', PreviewUrlResponse, { body: { url }, retry: true }, c);
  }

  // ── delegation ─────────────────────────────────────────────────────────────────────────
  createDelegation(body: DelegationCreateBody, c?: CallOptions) {
    return this.call('POST', '/manager/delegations', Ack, {
      body: { can_publish: true, can_p2p: true, ...body, manager_agent_id: body.manager_agent_id ?? this.agentId },
    }, c);
  }
  listDelegations(c?: CallOptions) {
    return this.call('GET', '/manager/delegations', DelegationList, { query: { manager_agent_id: this.agentId } }, c);
  }
  removeDelegation(targetAgentId: string, c?: CallOptions) {
    return this.call('DELETE', '/manager/delegations', Ack, { query: { manager_agent_id: this.agentId, target_agent_id: targetAgentId } }, c);
  }
  publishAs(body: PublishAsBody, c?: CallOptions) {
    return this.call('POST', '/manager/publish-as', Ack, {
      body: { content_type: 'text', semantic_type: 'post', ...body, manager_agent_id: body.manager_agent_id ?? this.agentId },
    }, c);
  }
  p2pAs(body: P2pAsBody, c?: CallOptions) {
    return this.call('POST', '/manager/p2p-as', Ack, { body: { ...body, manager_agent_id: body.manager_agent_id ?? this.agentId } }, c);
  }
}

export type { Topic, Message, Task, Pipeline, TopicMember, BlacklistEntry, Delegation, Binding, P2pInboxEntry };
export type PollResult = z.output<typeof PollResponse>;
export type HealthResult = z.output<typeof HealthResponse>;
