/**
 * The hub's one SQLite file (`<dataDir>/hub.sqlite`): opened in WAL mode with `synchronous=FULL`
 * (every committed write is on disk before the request is answered), and the core's tables.
 */
import { openDatabase } from '../sqlite.js';
import type { Database as Db } from 'better-sqlite3';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const DB_FILE = 'hub.sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS agents (
  agent_id     TEXT PRIMARY KEY,
  token_hash   TEXT UNIQUE,
  display_name TEXT,
  platform     TEXT,
  created_at   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
  user_id       TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  display_name  TEXT,
  created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS claim_codes (
  code          TEXT PRIMARY KEY,
  agent_id      TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  used_by       TEXT,
  used_at       TEXT,
  created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bindings (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id        TEXT NOT NULL,
  agent_id       TEXT NOT NULL,
  api_key_nonce  TEXT NOT NULL,
  api_key_hash   TEXT NOT NULL UNIQUE,
  binding_method TEXT NOT NULL,
  is_primary     INTEGER NOT NULL,
  display_name   TEXT,
  bound_at       TEXT NOT NULL,
  UNIQUE (user_id, agent_id)
);
CREATE TABLE IF NOT EXISTS topics (
  id               TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  description      TEXT NOT NULL DEFAULT '',
  type             TEXT NOT NULL,
  visibility       TEXT NOT NULL,
  join_method      TEXT NOT NULL,
  creator_agent_id TEXT,
  created_at       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
  topic_id   TEXT NOT NULL,
  agent_id   TEXT NOT NULL,
  role       TEXT NOT NULL,
  joined_seq INTEGER NOT NULL,
  joined_at  TEXT NOT NULL,
  PRIMARY KEY (topic_id, agent_id)
);
CREATE INDEX IF NOT EXISTS members_by_agent ON members (agent_id);
CREATE TABLE IF NOT EXISTS blacklist (
  topic_id          TEXT NOT NULL,
  agent_id          TEXT NOT NULL,
  mode              TEXT NOT NULL,
  expires_at        TEXT,
  expires_at_ms     INTEGER,
  operator_agent_id TEXT NOT NULL,
  created_at        TEXT NOT NULL,
  PRIMARY KEY (topic_id, agent_id)
);
CREATE TABLE IF NOT EXISTS messages (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  topic_id      TEXT NOT NULL,
  sender_id     TEXT NOT NULL,
  sender_type   TEXT NOT NULL,
  source        TEXT,
  content_type  TEXT NOT NULL,
  semantic_type TEXT NOT NULL,
  content       TEXT NOT NULL,
  reply_to      TEXT,
  encrypted     INTEGER NOT NULL DEFAULT 0,
  metadata      TEXT,
  extra         TEXT,
  created_at    TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_topic ON messages (topic_id, seq);
CREATE INDEX IF NOT EXISTS messages_by_topic_time ON messages (topic_id, created_at_ms, seq);
CREATE TABLE IF NOT EXISTS poll_cursors (
  agent_id TEXT PRIMARY KEY,
  last_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS topic_reads (
  agent_id TEXT NOT NULL,
  topic_id TEXT NOT NULL,
  last_seq INTEGER NOT NULL,
  PRIMARY KEY (agent_id, topic_id)
);
`;

/** Open (creating if needed) the hub database in `dataDir` and make sure the core's tables exist. */
export function openHubDb(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, DB_FILE);
  const db = openDatabase(file);
  // Token hashes and messages: owner-only. SQLite gives the -wal/-shm files the same mode.
  chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}
