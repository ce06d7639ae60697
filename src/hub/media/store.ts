/**
 * Media uploads: the `media` table and the files under `<dataDir>/media/`. A file is named by its
 * random id only (never by the client's file name), so a client never chooses a path on disk.
 * States: `signed` (a size is reserved) → `uploaded` (bytes on disk) → `committed` (served).
 * Uncommitted uploads lapse after `PENDING_TTL_MS` and are swept.
 */
import type { Database } from 'better-sqlite3';
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PENDING_TTL_MS = 60 * 60 * 1000;
/** The owner of media signed by an anonymous legacy call. */
export const LEGACY_OWNER = '@legacy';

export interface MediaRow {
  id: string;
  owner: string;
  filename: string;
  mime_type: string;
  size: number;
  token_hash: string;
  state: 'signed' | 'uploaded' | 'committed';
  created_at_ms: number;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export class MediaStore {
  readonly dir: string;

  constructor(
    private readonly db: Database,
    dataDir: string,
    private readonly nowMs: () => number,
  ) {
    this.dir = join(dataDir, 'media');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    db.exec(`CREATE TABLE IF NOT EXISTS media (
      id            TEXT PRIMARY KEY,
      owner         TEXT NOT NULL,
      filename      TEXT NOT NULL,
      mime_type     TEXT NOT NULL,
      size          INTEGER NOT NULL,
      token_hash    TEXT NOT NULL UNIQUE,
      state         TEXT NOT NULL,
      created_at_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS media_owner ON media (owner, state);`);
  }

  /** Bytes the owner keeps or has reserved, and its uploads not yet committed (lapsed ones swept first). */
  usage(owner: string): { bytes: number; pending: number } {
    this.sweep();
    const r = this.db
      .prepare(`SELECT COALESCE(SUM(size), 0) AS bytes, COALESCE(SUM(state != 'committed'), 0) AS pending FROM media WHERE owner = ?`)
      .get(owner) as { bytes: number; pending: number };
    return r;
  }

  /** Reserves an upload; returns its id and the token that authorises the PUT and the commit. */
  sign(owner: string, filename: string, mimeType: string, size: number): { id: string; token: string } {
    const id = randomBytes(16).toString('hex');
    const token = randomBytes(32).toString('base64url');
    this.db
      .prepare('INSERT INTO media (id, owner, filename, mime_type, size, token_hash, state, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, owner, filename, mimeType, size, sha256(token), 'signed', this.nowMs());
    return { id, token };
  }

  byToken(token: string): MediaRow | undefined {
    const r = this.db.prepare('SELECT * FROM media WHERE token_hash = ?').get(sha256(token)) as MediaRow | undefined;
    return r && !this.lapsed(r) ? r : undefined;
  }

  committed(id: string): MediaRow | undefined {
    return this.db.prepare(`SELECT * FROM media WHERE id = ? AND state = 'committed'`).get(id) as MediaRow | undefined;
  }

  /** Writes the bytes (replacing an earlier PUT of the same upload) and records their real size. */
  store(row: MediaRow, bytes: Buffer): void {
    writeFileSync(this.path(row.id), bytes, { mode: 0o600 });
    this.db.prepare(`UPDATE media SET state = 'uploaded', size = ? WHERE id = ?`).run(bytes.length, row.id);
  }

  commit(id: string): void {
    this.db.prepare(`UPDATE media SET state = 'committed' WHERE id = ?`).run(id);
  }

  path(id: string): string {
    return join(this.dir, id);
  }

  private lapsed(r: MediaRow): boolean {
    return r.state !== 'committed' && this.nowMs() - r.created_at_ms > PENDING_TTL_MS;
  }

  private sweep(): void {
    const old = this.db
      .prepare(`SELECT id FROM media WHERE state != 'committed' AND created_at_ms < ?`)
      .all(this.nowMs() - PENDING_TTL_MS) as { id: string }[];
    for (const { id } of old) {
      rmSync(this.path(id), { force: true });
      this.db.prepare('DELETE FROM media WHERE id = ?').run(id);
    }
  }
}
