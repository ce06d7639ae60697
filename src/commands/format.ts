/**
 * Results → the text users of the original `@wtt` handler know (wtt-protocol.md §10.2), with its
 * defects fixed: the task graph reads `task_id` / `depends_on_task_id`; topic names are shown
 * beside ids where the server gives them. Pure functions of their input; no I/O.
 */
import type { BlacklistEntry, Delegation, Message, P2pInboxEntry, Pipeline, Task, TaskGraph, Topic } from '../protocol/index.js';
import type { PreviewUrlResponse, TalkRandomResponse } from '../protocol/utility.js';
import type { StageRow } from './stages.js';

type TopicLike = Pick<Topic, 'id' | 'name'> & Partial<Topic>;

const TOPIC_ICONS: Readonly<Record<string, string>> = { broadcast: '[B]', discussion: '[D]', collaborative: '[C]', p2p: '[P]' };
const CONTENT_ICONS: Readonly<Record<string, string>> = {
  text: '[TXT]', image: '[IMG]', audio: '[AUD]', video: '[VID]', link: '[LNK]', file: '[FILE]', mixed: '[MIX]',
};
/** Task status icons of the original list (§5.3), canonical statuses included. */
const TASK_ICONS: Readonly<Record<string, string>> = {
  todo: 'O', open: 'O', ready: 'R', doing: '~', in_progress: '~', review: '?', done: 'V', approved: '+',
  blocked: 'X', rejected: 'X', cancelled: '-',
};

const own = <V>(m: Readonly<Record<string, V>>, k: string | null | undefined): V | undefined =>
  k != null && Object.prototype.hasOwnProperty.call(m, k) ? m[k] : undefined;

export function topicType(t: Partial<Topic>): string {
  return t.type ?? t.topic_type ?? '?';
}
export function topicIcon(type: string | undefined): string {
  return own(TOPIC_ICONS, type) ?? '[?]';
}
export function contentIcon(contentType: string | undefined): string {
  return own(CONTENT_ICONS, contentType) ?? '[TXT]';
}
export function taskIcon(status: string): string {
  return own(TASK_ICONS, status.toLowerCase()) ?? '.';
}
const dash = (v: unknown): string => (v === undefined || v === null || v === '' ? '-' : String(v));
const shortId = (id: string): string => (id.length > 8 ? `${id.slice(0, 8)}...` : id);
/** `name (id)` when a name is known and differs from the id, else the id. */
export function named(id: string, name: string | null | undefined): string {
  return name && name !== id ? `${name} (${id})` : id;
}
/** The first `max` characters, with a note saying how much was left out. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n...(truncated, ${text.length - max} more characters)`;
}
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

// ── topics ────────────────────────────────────────────────────────────────────────────────
export function formatTopicList(topics: readonly TopicLike[]): string {
  if (topics.length === 0) return 'No public topics found';
  const blocks = topics.map((t, i) => {
    const lines = [`${i + 1}. ${topicIcon(topicType(t))} ${t.name}`, `   Type: ${topicType(t)} | Members: ${t.member_count ?? '?'}`];
    if (t.description) lines.push(`   ${t.description}`);
    lines.push(`   ID: ${t.id}`);
    return lines.join('\n');
  });
  return `Public Topics (${topics.length}):\n\n${blocks.join('\n\n')}`;
}

export function formatFind(query: string, topics: readonly TopicLike[]): string {
  if (topics.length === 0) return `No results for "${query}"`;
  const blocks = topics.map(
    (t, i) => `${i + 1}. ${topicIcon(topicType(t))} ${t.name}\n   Type: ${topicType(t)} | Members: ${t.member_count ?? '?'}\n   ID: ${t.id}`,
  );
  return `Search "${query}" - ${plural(topics.length, 'result')}:\n\n${blocks.join('\n\n')}`;
}

export function formatTopicCreated(t: TopicLike): string {
  return `Topic created: ${t.name}\nType: ${topicType(t)}\nID: ${t.id}`;
}

export function formatTopicDeleted(topicId: string, name?: string): string {
  return `Topic deleted: ${named(topicId, name)}`;
}

export function formatTopicDetail(t: TopicLike): string {
  const lines = [
    `${topicIcon(topicType(t))} ${t.name}`,
    `Type: ${topicType(t)} | Visibility: ${dash(t.visibility)}`,
    `Join: ${dash(t.join_method)} | Members: ${dash(t.member_count)}`,
    `Creator: ${dash(t.creator_agent_id)}`,
  ];
  if (t.my_role) lines.push(`Your role: ${t.my_role}`);
  if (t.description) lines.push(`Description: ${t.description}`);
  lines.push(`ID: ${t.id}`, `Created: ${dash(t.created_at)}`);
  return lines.join('\n');
}

export function formatSubscribed(topics: readonly TopicLike[]): string {
  if (topics.length === 0) return 'No subscriptions';
  const blocks = topics.map((t, i) => `${i + 1}. ${topicIcon(topicType(t))} ${t.name} [${t.my_role || 'member'}]\n   ID: ${t.id}`);
  return `Subscribed Topics (${topics.length}):\n\n${blocks.join('\n\n')}`;
}

export function formatJoined(topicId: string, name?: string): string {
  return `Joined topic: ${named(topicId, name)}`;
}
export function formatLeft(topicId: string, name?: string): string {
  return `Left topic: ${named(topicId, name)}`;
}

// ── messages ──────────────────────────────────────────────────────────────────────────────
function messageLine(prefix: string, m: Message): string {
  const ct = m.content_type ?? 'text';
  const who = ct === 'text' ? `${m.sender_id}:` : `${m.sender_id} ${contentIcon(ct)}:`;
  return `${prefix} ${who} ${m.content}`;
}

/** `history`: oldest first, as the hub returns it. */
export function formatHistory(messages: readonly Message[], topicName?: string): string {
  if (messages.length === 0) return 'No messages in this topic';
  const head = topicName ? `Messages in ${topicName} (${messages.length}):` : `Messages (${messages.length}):`;
  return `${head}\n\n${messages.map((m) => messageLine(`[${m.created_at ?? m.timestamp ?? '?'}]`, m)).join('\n')}`;
}

export function formatPublished(topicId: string, contentType: string, topicName?: string): string {
  return `${contentIcon(contentType)} Published to topic ${named(topicId, topicName)}`;
}

/** `poll`: `[<topic name, else id[:8]...>] sender: content`. */
export function formatPoll(messages: readonly Message[], topics: readonly Partial<Topic>[] = []): string {
  if (messages.length === 0) return 'No new messages';
  const names = new Map<string, string>();
  for (const t of topics) if (t.id && t.name) names.set(t.id, t.name);
  const lines = messages.map((m) => messageLine(`[${m.topic_name ?? names.get(m.topic_id) ?? shortId(m.topic_id)}]`, m));
  return `New messages (${messages.length}):\n\n${lines.join('\n')}`;
}

export function formatP2pSent(agentId: string): string {
  return `P2P message sent to ${agentId}`;
}

export function formatFeed(page: number, messages: readonly Message[]): string {
  if (messages.length === 0) return page > 1 ? `Feed is empty (page ${page})` : 'Feed is empty';
  const lines = messages.map((m) => `[${m.topic_name ?? shortId(m.topic_id)}] ${m.sender_id}: ${m.content.length > 100 ? `${m.content.slice(0, 100)}...` : m.content}`);
  return `Feed (page ${page}):\n\n${lines.join('\n')}`;
}

export function formatInbox(entries: readonly P2pInboxEntry[]): string {
  if (entries.length === 0) return 'Inbox is empty';
  const lines = entries.map((e) => {
    const unread = e.unread_count ? ` (${e.unread_count} unread)` : '';
    const last = e.last_message?.content ?? '';
    return `  ${e.peer_agent_id}${unread}: ${last.length > 60 ? `${last.slice(0, 60)}...` : last}`;
  });
  return `P2P Inbox:\n\n${lines.join('\n')}`;
}

// ── tasks ─────────────────────────────────────────────────────────────────────────────────
export function formatTaskList(tasks: readonly Task[]): string {
  if (tasks.length === 0) return 'No tasks found';
  const blocks = tasks.map((t) => {
    const lines = [`[${taskIcon(t.status)}] ${t.title} (${t.priority || 'normal'})`, `    ID: ${t.id} | Status: ${t.status}`];
    if (t.owner_agent_id) lines.push(`    Owner: ${t.owner_agent_id}`);
    if (t.pipeline_id && t.pipeline_id !== 'default') lines.push(`    Pipeline: ${t.pipeline_id}`);
    return lines.join('\n');
  });
  return `Tasks (${tasks.length}):\n\n${blocks.join('\n\n')}`;
}

export function formatTaskCreated(t: Pick<Task, 'id' | 'title'> & Partial<Task>): string {
  const lines = [`Task created: ${t.title}`, `ID: ${t.id || '?'}`];
  if (t.topic_id) lines.push(`Topic: ${t.topic_id}`);
  return lines.join('\n');
}

export function formatTaskDetail(t: Task): string {
  const lines = [
    `[${taskIcon(t.status)}] ${t.title} (${t.priority || 'normal'})`,
    `ID: ${t.id}`,
    `Status: ${t.status} | Type: ${dash(t.task_type)} | Mode: ${dash(t.task_mode)}`,
    `Pipeline: ${dash(t.pipeline_id)}`,
    `Owner: ${dash(t.owner_agent_id)} | Runner: ${dash(t.runner_agent_id)}`,
    `Topic: ${dash(t.topic_id)}`,
    `Created: ${dash(t.created_at)} | Started: ${dash(t.started_at)} | Completed: ${dash(t.completed_at)}`,
  ];
  if (t.description) lines.push(`Description: ${t.description}`);
  if (t.acceptance) lines.push(`Acceptance: ${t.acceptance}`);
  if (t.notes) lines.push(`Notes: ${clip(t.notes, 1000)}`);
  if (t.output) lines.push(`Output:\n${clip(t.output, 2000)}`);
  return lines.join('\n');
}

export function formatTaskUpdated(taskId: string, status?: string): string {
  return status ? `Task ${taskId} updated (status: ${status})` : `Task ${taskId} updated`;
}
export function formatTaskAssigned(taskId: string, agentId: string): string {
  return `Task ${taskId} assigned to ${agentId}`;
}
export function formatTaskStarted(taskId: string, runner: string): string {
  return `Task ${taskId} started (runner: ${runner})`;
}
export function formatTaskReviewed(taskId: string, action: string, status?: string): string {
  return status ? `Task ${taskId}: ${action} (status: ${status})` : `Task ${taskId}: ${action}`;
}
export function formatTaskCancelled(taskId: string): string {
  return `Task ${taskId} cancelled`;
}
export function formatDependency(op: 'add' | 'remove', taskId: string, dependsOn: string): string {
  return op === 'add' ? `Dependency added: ${taskId} -> ${dependsOn}` : `Dependency removed: ${taskId} -/-> ${dependsOn}`;
}

const GRAPH_MAX = 20;
/**
 * `Task DAG: N nodes, M edges`. Each edge line reads `<task_id> -> <depends_on_task_id>`: "task
 * depends on", the same direction as `Dependency added: <t> -> <d>` (the original read edge.from /
 * edge.to, fields the API never sends).
 */
export function formatTaskGraph(g: TaskGraph): string {
  const head = `Task DAG: ${plural(g.nodes.length, 'node')}, ${plural(g.edges.length, 'edge')}`;
  if (g.nodes.length === 0) return head;
  const nodeLines = g.nodes.slice(0, GRAPH_MAX).map((n) => `  [${n.status}] ${n.title} (ID: ${n.id})`);
  if (g.nodes.length > GRAPH_MAX) nodeLines.push(`  ... and ${g.nodes.length - GRAPH_MAX} more`);
  let out = `${head}\n\n${nodeLines.join('\n')}`;
  if (g.edges.length) {
    const edgeLines = g.edges.slice(0, GRAPH_MAX).map((e) => `  ${e.task_id} -> ${e.depends_on_task_id}`);
    if (g.edges.length > GRAPH_MAX) edgeLines.push(`  ... and ${g.edges.length - GRAPH_MAX} more`);
    out += `\n\nEdges (task -> depends on):\n${edgeLines.join('\n')}`;
  }
  return out;
}

export function formatTaskProgress(progress: Readonly<Record<string, number>>, titles: ReadonlyMap<string, string> = new Map()): string {
  const entries = Object.entries(progress);
  if (entries.length === 0) return 'No progress data';
  const lines = entries.map(([id, pct]) => {
    const title = titles.get(id);
    return `  ${id}${title ? ` ${title}` : ''}: ${Math.max(0, Math.min(100, Math.round(pct)))}%`;
  });
  return `Task Progress:\n\n${lines.join('\n')}`;
}

// ── pipelines ─────────────────────────────────────────────────────────────────────────────
export function formatPipelineList(pipelines: readonly Pipeline[]): string {
  if (pipelines.length === 0) return 'No pipelines';
  const blocks = pipelines.map((p) => {
    const s = p.stats;
    const counts = s ? ` | todo ${s.todo}, doing ${s.doing}, review ${s.review}, done ${s.done}, blocked ${s.blocked}` : '';
    return `  ${p.name}${p.auto_review ? ' [auto-review]' : ''}\n    ID: ${p.id} | Tasks: ${p.task_count ?? '?'}${counts}`;
  });
  return `Pipelines (${pipelines.length}):\n\n${blocks.join('\n\n')}`;
}

export function formatPipelineCreated(p: Pick<Pipeline, 'id' | 'name'>): string {
  return `Pipeline created: ${p.name}\nID: ${p.id || '?'}`;
}
export function formatPipelineUpdated(id: string): string {
  return `Pipeline ${id} updated`;
}
export function formatPipelineDeleted(id: string): string {
  return `Pipeline ${id} deleted`;
}
export function formatPipelineStarted(id: string, count?: number): string {
  return count === undefined ? `Pipeline ${id} execution started` : `Pipeline ${id} execution started: ${plural(count, 'task')} dispatched`;
}

export interface AddedStage {
  task: Pick<Task, 'id' | 'title'>;
  /** Task ids this stage runs after. */
  after: readonly string[];
}
export function formatPipelineAdded(pipelineId: string, stages: readonly AddedStage[]): string {
  const index = new Map(stages.map((s, i) => [s.task.id, i + 1]));
  const lines = stages.map((s, i) => {
    const after = s.after.map((id) => (index.has(id) ? `stage ${index.get(id)}` : id));
    return `  ${i + 1}. ${s.task.title} (ID: ${s.task.id})${after.length ? ` after ${after.join(', ')}` : ''}`;
  });
  return `Pipeline ${pipelineId}: added ${plural(stages.length, 'stage')}\n${lines.join('\n')}`;
}

/** `pipeline status`: a table of stages in dependency order with statuses and a summary line. */
export function formatPipelineStatus(p: Pick<Pipeline, 'id' | 'name'>, rows: readonly StageRow[]): string {
  const head = `Pipeline ${named(p.id, p.name)}`;
  if (rows.length === 0) return `${head}: no tasks yet (add stages: wtt pipeline add ${p.id} "<stage title>" …)`;
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const known = ['todo', 'doing', 'review', 'done', 'blocked', 'cancelled'];
  const summary = [...known.filter((s) => counts.has(s)), ...[...counts.keys()].filter((s) => !known.includes(s))]
    .map((s) => `${s} ${counts.get(s)}`)
    .join(', ');
  const table = [['#', 'Stage', 'Status', 'Progress', 'Task', 'After', 'ID']];
  for (const r of rows) {
    table.push([
      String(r.row),
      String(r.stage),
      `[${taskIcon(r.status)}] ${r.status}`,
      r.progress === undefined ? '-' : `${Math.max(0, Math.min(100, Math.round(r.progress)))}%`,
      r.title.replace(/\s+/gu, ' '),
      r.after.length ? r.after.map((n) => `#${n}`).join(',') : '-',
      r.id,
    ]);
  }
  const widths = (table[0] as string[]).map((_, c) => Math.max(...table.map((row) => (row[c] as string).length)));
  const text = table.map((row) => row.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ').trimEnd());
  return `${head}: ${plural(rows.length, 'task')}, ${counts.get('done') ?? 0} done (${summary})\n\n${text.join('\n')}`;
}

// ── content, memory ───────────────────────────────────────────────────────────────────────
export function formatMemoryExported(r: { path?: string | undefined; target_path?: string | undefined; count?: number | undefined }): string {
  const where = r.path ?? r.target_path ?? '?';
  return r.count === undefined ? `Topic exported to: ${where}` : `Topic exported to: ${where} (${plural(r.count, 'message')})`;
}
export function formatMemoryRead(content: string): string {
  return content.trim() === '' ? 'Memory file is empty' : clip(content, 2000);
}
export function formatTalk(r: TalkRandomResponse): string {
  const topics = r.topics ?? r.matched ?? [];
  const lines = [`Talk: matched ${plural(topics.length, 'topic')}`, ...topics.map((t) => `  - ${t.name ? named(t.id, t.name) : t.id}`)];
  if (r.published) lines.push('Message published to matched topics');
  return lines.join('\n');
}
export function formatRichPublished(title: string): string {
  return `Rich content published: ${title}`;
}
export function formatExport(content: string): string {
  return content.trim() === '' ? 'Nothing to export' : clip(content, 3000);
}
export function formatPreview(p: PreviewUrlResponse): string {
  const lines = ['URL Preview:', `  Title: ${dash(p.title)}`, `  Description: ${dash(p.description)}`];
  if (p.image) lines.push(`  Image: ${p.image}`);
  if (p.site_name) lines.push(`  Site: ${p.site_name}`);
  return lines.join('\n');
}

// ── delegation, blacklist ─────────────────────────────────────────────────────────────────
export function formatDelegationCreated(target: string): string {
  return `Delegation created for ${target}`;
}
export function formatDelegationGranted(manager: string, self: string): string {
  return `Delegation granted: ${manager} may publish and send p2p as ${self}`;
}
export function formatDelegationList(ds: readonly Delegation[]): string {
  if (ds.length === 0) return 'No delegations';
  return `Delegations:\n${ds.map((d) => `  -> ${d.target_agent_id} (publish: ${d.can_publish}, p2p: ${d.can_p2p})`).join('\n')}`;
}
export function formatDelegationRemoved(target: string): string {
  return `Delegation removed for ${target}`;
}
export function formatPublishedAs(target: string): string {
  return `Published as ${target}`;
}
export function formatP2pAs(target: string): string {
  return `P2P sent as ${target}`;
}
export function formatBlacklisted(topicId: string, agentId: string): string {
  return `Agent ${agentId} blacklisted in topic ${topicId}`;
}
export function formatUnblocked(topicId: string, agentId: string): string {
  return `Agent ${agentId} unblocked in topic ${topicId}`;
}
export function formatBlacklist(entries: readonly BlacklistEntry[]): string {
  if (entries.length === 0) return 'No blacklisted agents';
  return `Blacklisted agents:\n${entries.map((e) => `  - ${e.agent_id}${e.mode && e.mode !== 'permanent' ? ` (${e.mode})` : ''}`).join('\n')}`;
}
