/**
 * The tables of the tasks area (tasks, dependency edges, pipelines, delegations). Idempotent:
 * run at every hub start, so a restart on the same data dir keeps every row.
 */
import type { Database } from 'better-sqlite3';
import { DEFAULT_PIPELINE_ID } from '../../protocol/index.js';

export const TASKS_SCHEMA = `
CREATE TABLE IF NOT EXISTS tasks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  description TEXT,
  task_type TEXT,
  task_mode TEXT,
  pipeline_id TEXT NOT NULL DEFAULT '${DEFAULT_PIPELINE_ID}',
  priority TEXT,
  status TEXT NOT NULL,
  owner_agent_id TEXT,
  runner_agent_id TEXT,
  created_by TEXT,
  topic_id TEXT,
  acceptance TEXT,
  exec_mode TEXT,
  due_at TEXT,
  estimate_hours REAL,
  dependencies TEXT,
  notes TEXT,
  output TEXT,
  reviewer TEXT,
  progress INTEGER,
  usage_prompt_tokens INTEGER,
  usage_completion_tokens INTEGER,
  usage_cache_read_tokens INTEGER,
  usage_cache_write_tokens INTEGER,
  usage_total_tokens INTEGER,
  usage_source TEXT,
  created_at TEXT NOT NULL,
  started_at TEXT,
  completed_at TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_pipeline ON tasks(pipeline_id);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks(status);
CREATE INDEX IF NOT EXISTS tasks_topic ON tasks(topic_id);

CREATE TABLE IF NOT EXISTS task_dependencies (
  task_id TEXT NOT NULL,
  depends_on_task_id TEXT NOT NULL,
  mode TEXT NOT NULL,
  required INTEGER NOT NULL,
  mapping TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (task_id, depends_on_task_id)
);
CREATE INDEX IF NOT EXISTS task_dependencies_upstream ON task_dependencies(depends_on_task_id);

CREATE TABLE IF NOT EXISTS pipelines (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  auto_review INTEGER NOT NULL DEFAULT 0,
  creator_agent_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS delegations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  manager_agent_id TEXT NOT NULL,
  target_agent_id TEXT NOT NULL,
  can_publish INTEGER NOT NULL,
  can_p2p INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (manager_agent_id, target_agent_id)
);
`;

/** Creates the tables if missing and the `default` pipeline if missing. */
export function migrateTasks(db: Database, now: string): void {
  db.exec(TASKS_SCHEMA);
  db.prepare(
    `INSERT OR IGNORE INTO pipelines (id, name, description, auto_review, creator_agent_id, created_at, updated_at)
     VALUES (?, 'default', 'Tasks that belong to no other pipeline', 0, NULL, ?, ?)`,
  ).run(DEFAULT_PIPELINE_ID, now, now);
}
