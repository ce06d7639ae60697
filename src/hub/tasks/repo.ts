/**
 * SQL for the tasks area: one place that reads and writes the tables of schema.ts. No rules here
 * (those live in service.ts); rows come back as the wire shapes.
 */
import type { Database } from 'better-sqlite3';
import { DEFAULT_PIPELINE_ID, TASK_STATUSES, type TaskStatus } from '../../protocol/index.js';
import type { Edge } from './graph.js';

/** Writable columns of `tasks` (every one is also a wire field of §5.1). */
export const TASK_COLUMNS = [
  'title', 'description', 'task_type', 'task_mode', 'pipeline_id', 'priority', 'status', 'owner_agent_id',
  'runner_agent_id', 'created_by', 'topic_id', 'acceptance', 'exec_mode', 'due_at', 'estimate_hours',
  'dependencies', 'notes', 'output', 'reviewer', 'progress', 'usage_prompt_tokens', 'usage_completion_tokens',
  'usage_cache_read_tokens', 'usage_cache_write_tokens', 'usage_total_tokens', 'usage_source', 'started_at',
  'completed_at', 'updated_at',
] as const;
export type TaskColumn = (typeof TASK_COLUMNS)[number];

export interface TaskRecord {
  id: string;
  title: string;
  description: string | null;
  task_type: string | null;
  task_mode: string | null;
  pipeline_id: string;
  priority: string | null;
  status: TaskStatus;
  owner_agent_id: string | null;
  runner_agent_id: string | null;
  created_by: string | null;
  topic_id: string | null;
  acceptance: string | null;
  exec_mode: string | null;
  due_at: string | null;
  estimate_hours: number | null;
  dependencies: string | null;
  notes: string | null;
  output: string | null;
  reviewer: string | null;
  progress: number | null;
  usage_prompt_tokens: number | null;
  usage_completion_tokens: number | null;
  usage_cache_read_tokens: number | null;
  usage_cache_write_tokens: number | null;
  usage_total_tokens: number | null;
  usage_source: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
}

export type TaskChanges = Partial<Record<TaskColumn, string | number | null>>;

export interface EdgeRecord extends Edge {
  mode: string;
  mapping: string | null;
  created_at: string;
}

export interface PipelineRecord {
  id: string;
  name: string;
  description: string;
  auto_review: boolean;
  creator_agent_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface DelegationRecord {
  id: number;
  manager_agent_id: string;
  target_agent_id: string;
  can_publish: boolean;
  can_p2p: boolean;
  created_at: string;
}

export interface TaskFilter {
  status?: readonly TaskStatus[];
  owner_agent_id?: string;
  runner_agent_id?: string;
  pipeline_id?: string;
  task_mode?: string;
  topic_id?: string;
  limit: number;
}

type Row = Record<string, unknown>;

/**
 * A row as its record type: the `bools` columns (0/1 in SQLite) become booleans, the `drop`
 * columns (internal ordering keys) are left out; every other column is already its wire type.
 */
function fromRow<T>(row: Row, bools: readonly string[], drop: readonly string[] = []): T {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) if (!drop.includes(k)) out[k] = bools.includes(k) ? v === 1 : v;
  return out as T;
}

function toTask(row: Row): TaskRecord {
  const t = fromRow<TaskRecord>(row, [], ['seq']);
  return (TASK_STATUSES as readonly string[]).includes(t.status) ? t : { ...t, status: 'todo' };
}

const toEdge = (row: Row): EdgeRecord => fromRow(row, ['required']);
const toPipeline = (row: Row): PipelineRecord => fromRow(row, ['auto_review'], ['seq']);
const toDelegation = (row: Row): DelegationRecord => fromRow(row, ['can_publish', 'can_p2p']);

export class TasksRepo {
  constructor(private readonly db: Database) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- tasks

  insertTask(t: TaskRecord): void {
    const cols = ['id', 'created_at', ...TASK_COLUMNS];
    const record = t as unknown as Record<string, unknown>;
    this.db
      .prepare(`INSERT INTO tasks (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
      .run(...cols.map((c) => record[c] ?? null));
  }

  getTask(id: string): TaskRecord | undefined {
    const row = this.db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as Row | undefined;
    return row ? toTask(row) : undefined;
  }

  updateTask(id: string, changes: TaskChanges): void {
    const keys = (Object.keys(changes) as TaskColumn[]).filter((k) => (TASK_COLUMNS as readonly string[]).includes(k));
    if (keys.length === 0) return;
    this.db
      .prepare(`UPDATE tasks SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`)
      .run(...keys.map((k) => changes[k] ?? null), id);
  }

  deleteTask(id: string): void {
    this.db.prepare('DELETE FROM task_dependencies WHERE task_id = ? OR depends_on_task_id = ?').run(id, id);
    this.db.prepare('DELETE FROM tasks WHERE id = ?').run(id);
  }

  /** Newest first. */
  listTasks(f: TaskFilter): TaskRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.status && f.status.length > 0) {
      where.push(`status IN (${f.status.map(() => '?').join(', ')})`);
      args.push(...f.status);
    }
    for (const key of ['owner_agent_id', 'runner_agent_id', 'pipeline_id', 'task_mode', 'topic_id'] as const) {
      const v = f[key];
      if (v !== undefined) {
        where.push(`${key} = ?`);
        args.push(v);
      }
    }
    const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit) as Row[]).map(toTask);
  }

  statusOf(id: string): TaskStatus | undefined {
    const row = this.db.prepare('SELECT status FROM tasks WHERE id = ?').get(id) as { status: string } | undefined;
    return row ? (row.status as TaskStatus) : undefined;
  }

  // ---- dependency edges

  upsertEdge(e: EdgeRecord): void {
    this.db
      .prepare(
        `INSERT INTO task_dependencies (task_id, depends_on_task_id, mode, required, mapping, created_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (task_id, depends_on_task_id) DO UPDATE SET mode = excluded.mode, required = excluded.required, mapping = excluded.mapping`,
      )
      .run(e.task_id, e.depends_on_task_id, e.mode, e.required ? 1 : 0, e.mapping, e.created_at);
  }

  getEdge(taskId: string, dependsOnId: string): EdgeRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM task_dependencies WHERE task_id = ? AND depends_on_task_id = ?')
      .get(taskId, dependsOnId) as Row | undefined;
    return row ? toEdge(row) : undefined;
  }

  removeEdge(taskId: string, dependsOnId: string): boolean {
    return this.db.prepare('DELETE FROM task_dependencies WHERE task_id = ? AND depends_on_task_id = ?').run(taskId, dependsOnId).changes > 0;
  }

  allEdges(): EdgeRecord[] {
    return (this.db.prepare('SELECT * FROM task_dependencies ORDER BY created_at, task_id').all() as Row[]).map(toEdge);
  }

  /** Edges of this task: what it depends on. */
  upstreamOf(taskId: string): EdgeRecord[] {
    return (this.db.prepare('SELECT * FROM task_dependencies WHERE task_id = ?').all(taskId) as Row[]).map(toEdge);
  }

  /** Ids of the tasks that depend on this one, oldest task first. */
  downstreamOf(taskId: string): string[] {
    const rows = this.db
      .prepare(
        `SELECT d.task_id AS id FROM task_dependencies d JOIN tasks t ON t.id = d.task_id
         WHERE d.depends_on_task_id = ? ORDER BY t.seq`,
      )
      .all(taskId) as { id: string }[];
    return rows.map((r) => r.id);
  }

  // ---- pipelines

  insertPipeline(p: PipelineRecord): void {
    this.db
      .prepare(
        `INSERT INTO pipelines (id, name, description, auto_review, creator_agent_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(p.id, p.name, p.description, p.auto_review ? 1 : 0, p.creator_agent_id, p.created_at, p.updated_at);
  }

  getPipeline(id: string): PipelineRecord | undefined {
    const row = this.db.prepare('SELECT * FROM pipelines WHERE id = ?').get(id) as Row | undefined;
    return row ? toPipeline(row) : undefined;
  }

  listPipelines(): PipelineRecord[] {
    return (this.db.prepare('SELECT * FROM pipelines ORDER BY seq').all() as Row[]).map(toPipeline);
  }

  updatePipeline(id: string, changes: { name?: string; description?: string; auto_review?: boolean; updated_at: string }): void {
    const sets: string[] = [];
    const args: unknown[] = [];
    if (changes.name !== undefined) sets.push('name = ?'), args.push(changes.name);
    if (changes.description !== undefined) sets.push('description = ?'), args.push(changes.description);
    if (changes.auto_review !== undefined) sets.push('auto_review = ?'), args.push(changes.auto_review ? 1 : 0);
    sets.push('updated_at = ?');
    args.push(changes.updated_at);
    this.db.prepare(`UPDATE pipelines SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
  }

  /** Deletes the pipeline and moves its tasks to `default`; returns how many moved. */
  deletePipeline(id: string, now: string): number {
    const moved = this.db
      .prepare('UPDATE tasks SET pipeline_id = ?, updated_at = ? WHERE pipeline_id = ?')
      .run(DEFAULT_PIPELINE_ID, now, id).changes;
    this.db.prepare('DELETE FROM pipelines WHERE id = ?').run(id);
    return moved;
  }

  /** Task counts per status for one pipeline. */
  pipelineCounts(id: string): Record<TaskStatus, number> {
    const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
    const rows = this.db.prepare('SELECT status, COUNT(*) AS n FROM tasks WHERE pipeline_id = ? GROUP BY status').all(id) as {
      status: string;
      n: number;
    }[];
    for (const r of rows) if (r.status in counts) counts[r.status as TaskStatus] = r.n;
    return counts;
  }

  // ---- delegations

  upsertDelegation(d: Omit<DelegationRecord, 'id'>): DelegationRecord {
    this.db
      .prepare(
        `INSERT INTO delegations (manager_agent_id, target_agent_id, can_publish, can_p2p, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (manager_agent_id, target_agent_id) DO UPDATE SET can_publish = excluded.can_publish, can_p2p = excluded.can_p2p`,
      )
      .run(d.manager_agent_id, d.target_agent_id, d.can_publish ? 1 : 0, d.can_p2p ? 1 : 0, d.created_at);
    return this.getDelegation(d.manager_agent_id, d.target_agent_id) as DelegationRecord;
  }

  getDelegation(managerId: string, targetId: string): DelegationRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM delegations WHERE manager_agent_id = ? AND target_agent_id = ?')
      .get(managerId, targetId) as Row | undefined;
    return row ? toDelegation(row) : undefined;
  }

  /** Delegations where the agent is the manager or the target. */
  delegationsOf(agentId: string): DelegationRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM delegations WHERE manager_agent_id = ? OR target_agent_id = ? ORDER BY id')
        .all(agentId, agentId) as Row[]
    ).map(toDelegation);
  }

  removeDelegation(managerId: string, targetId: string): boolean {
    return this.db.prepare('DELETE FROM delegations WHERE manager_agent_id = ? AND target_agent_id = ?').run(managerId, targetId).changes > 0;
  }
}
