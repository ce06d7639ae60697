/**
 * The `.env` file: a strict parser and a safe upsert.
 *
 * Syntax (a subset of dotenv that we can also write back without loss):
 *   blank lines; `# comment` lines; `KEY=VALUE` with an optional `export ` prefix and spaces
 *   around `=`; VALUE is bare (trailing ` # comment` allowed), 'single-quoted' (literal) or
 *   "double-quoted" (escapes \n \r \t \" \\). Anything else is an error naming the line.
 *
 * The upsert is atomic (temp file + rename), keeps every other line byte for byte (comments, order,
 * unknown keys), writes mode 0600 and serialises concurrent writers — threads or processes — with
 * a lock file next to the `.env`. A stale lock (its process gone, or older than `staleLockMs`)
 * is broken.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WttError } from './errors.js';

/** One line of a `.env` file as written. */
export type EnvLine =
  | { kind: 'blank' | 'comment'; raw: string }
  | { kind: 'pair'; raw: string; key: string; value: string; exported: boolean; comment: string };

export interface ParsedEnv {
  lines: EnvLine[];
  /** Key → value; a key set twice takes its last value (as a shell `source` would). */
  values: Record<string, string>;
  /** `\r\n` when the file used it, else `\n`. */
  eol: string;
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

function parseError(file: string, lineNo: number, reason: string): WttError {
  return new WttError('WTT_ERR_ENV_PARSE', { message: `${file} line ${lineNo}: ${reason}; the file was left unchanged` });
}

/** Unescapes a double-quoted body; throws on an unknown escape. */
function unescapeDouble(body: string, where: () => WttError): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = body[++i];
    if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else if (n === 't') out += '\t';
    else if (n === '"' || n === '\\' || n === '$' || n === '`') out += n;
    else throw where();
  }
  return out;
}

/** Finds the closing double quote (not escaped) from index `from`; -1 when there is none. */
function closingDoubleQuote(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/**
 * Parses `.env` text strictly. Errors name the file and the line number and never echo the
 * line's content (it may hold a token).
 */
export function parseEnvText(text: string, file = '.env'): ParsedEnv {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const rawLines = text.split(/\r?\n/);
  if (rawLines.length > 0 && rawLines[rawLines.length - 1] === '') rawLines.pop();
  const lines: EnvLine[] = [];
  const values: Record<string, string> = {};
  rawLines.forEach((raw, idx) => {
    const lineNo = idx + 1;
    const t = raw.trim();
    if (t === '') return void lines.push({ kind: 'blank', raw });
    if (t.startsWith('#')) return void lines.push({ kind: 'comment', raw });
    let rest = t;
    let exported = false;
    if (/^export\s+/.test(rest)) {
      exported = true;
      rest = rest.replace(/^export\s+/, '');
    }
    const eq = rest.indexOf('=');
    if (eq < 0) throw parseError(file, lineNo, "expected KEY=VALUE but found no '='");
    const key = rest.slice(0, eq).trim();
    if (!KEY_RE.test(key)) {
      const shown = /^[\x21-\x7e]{1,64}$/.test(key) && !key.includes('=') ? ` '${key}'` : '';
      throw parseError(file, lineNo, `the name${shown} before '=' is not a valid variable name (letters, digits, _ and ., not starting with a digit)`);
    }
    const after = rest.slice(eq + 1).replace(/^[ \t]+/, '');
    let value: string;
    let tail: string;
    if (after.startsWith("'")) {
      const close = after.indexOf("'", 1);
      if (close < 0) throw parseError(file, lineNo, `the single-quoted value of ${key} is not closed on the same line`);
      value = after.slice(1, close);
      tail = after.slice(close + 1);
    } else if (after.startsWith('"')) {
      const close = closingDoubleQuote(after, 1);
      if (close < 0) throw parseError(file, lineNo, `the double-quoted value of ${key} is not closed on the same line`);
      value = unescapeDouble(after.slice(1, close), () => parseError(file, lineNo, `the double-quoted value of ${key} has an unknown escape (use \\n \\r \\t \\" \\\\)`));
      tail = after.slice(close + 1);
    } else {
      const hash = after.search(/(^|[ \t])#/);
      value = (hash < 0 ? after : after.slice(0, hash)).trim();
      tail = hash < 0 ? '' : after.slice(value.length);
    }
    if (tail.trim() !== '' && !/^[ \t]*#/.test(tail)) {
      throw parseError(file, lineNo, `unexpected text after the quoted value of ${key}`);
    }
    const comment = tail.trim() === '' ? '' : tail;
    values[key] = value;
    lines.push({ kind: 'pair', raw, key, value, exported, comment });
  });
  return { lines, values, eol };
}

const BARE_RE = /^[A-Za-z0-9_@%+=:,./~^-]*$/;

/**
 * A value written so that `parseEnvText` (and a POSIX shell `source`) read it back unchanged:
 * bare when safe, single quotes when it has spaces/#/$/" but no ' or line break, else double
 * quotes with escapes.
 */
export function formatEnvValue(value: string): string {
  if (BARE_RE.test(value)) return value;
  if (!/['\r\n\t]/.test(value)) return `'${value}'`;
  const body = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, '\\$')
    .replace(/`/g, '\\`')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return `"${body}"`;
}

/**
 * Applies `updates` to parsed lines: every line of an updated key gets the new value (keeping its
 * `export ` prefix and trailing comment); keys not present are appended in the order given
 * (after a blank line when the file ends with a comment). Other lines are kept as they were.
 */
export function applyEnvUpdates(parsed: ParsedEnv, updates: Readonly<Record<string, string>>): string {
  const pending = new Map(Object.entries(updates));
  for (const k of pending.keys()) {
    if (!KEY_RE.test(k)) throw new WttError('WTT_ERR_CONFIG', { message: `cannot write '${k}' to .env: not a valid variable name` });
  }
  const out: string[] = [];
  const seen = new Set<string>();
  for (const line of parsed.lines) {
    if (line.kind === 'pair' && pending.has(line.key)) {
      const v = pending.get(line.key) as string;
      seen.add(line.key);
      out.push(`${line.exported ? 'export ' : ''}${line.key}=${formatEnvValue(v)}${line.comment}`);
    } else {
      out.push(line.raw);
    }
  }
  const appended = [...pending.entries()].filter(([k]) => !seen.has(k));
  if (appended.length > 0) {
    // A block after a trailing comment gets a blank line, so it does not read as documented by it.
    const last = parsed.lines[parsed.lines.length - 1];
    if (last?.kind === 'comment') out.push('');
    for (const [k, v] of appended) out.push(`${k}=${formatEnvValue(v)}`);
  }
  return out.length === 0 ? '' : out.join(parsed.eol) + parsed.eol;
}

export interface UpsertOptions {
  /** Give up waiting for the lock after this long (default 15 s). */
  lockTimeoutMs?: number;
  /** A lock older than this is stale even if its process still runs (default 30 s; a write takes ms). */
  staleLockMs?: number;
}

export interface UpsertResult {
  path: string;
  /** Keys whose line was replaced. */
  replaced: string[];
  /** Keys appended at the end. */
  appended: string[];
}

const DEFAULT_LOCK_TIMEOUT_MS = 15_000;
const DEFAULT_STALE_LOCK_MS = 30_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockOwner {
  pid: number;
  nonce: string;
}

function parseLock(text: string): LockOwner | undefined {
  const m = /^(\d+) ([0-9a-f]+)\n?$/.exec(text);
  return m ? { pid: Number(m[1]), nonce: m[2] as string } : undefined;
}

/** Takes `<file>.lock`; resolves with a release function. */
export async function acquireEnvLock(file: string, opts: UpsertOptions = {}): Promise<() => Promise<void>> {
  const lockPath = `${file}.lock`;
  const timeoutMs = opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const staleMs = opts.staleLockMs ?? DEFAULT_STALE_LOCK_MS;
  const me = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  const started = performance.now();
  let wait = 1;
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      try {
        await fh.writeFile(me);
      } finally {
        await fh.close();
      }
      return async () => {
        // Remove only our own lock (a breaker may have replaced a lock it judged stale).
        const now = await readFile(lockPath, 'utf8').catch(() => '');
        if (now === me) await unlink(lockPath).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new WttError('WTT_ERR_CONFIG', { message: `cannot create the lock ${lockPath}: ${(e as Error).message}`, cause: e });
      }
    }
    await breakIfStale(lockPath, staleMs);
    if (performance.now() - started > timeoutMs) {
      throw new WttError('WTT_ERR_CONFIG', {
        message: `timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${lockPath}; if no other wtt process is writing, delete that file`,
      });
    }
    await sleep(wait + Math.random() * wait);
    wait = Math.min(wait * 2, 50);
  }
}

async function breakIfStale(lockPath: string, staleMs: number): Promise<void> {
  let text: string;
  let ageMs: number;
  try {
    text = await readFile(lockPath, 'utf8');
    ageMs = Date.now() - (await stat(lockPath)).mtimeMs;
  } catch {
    return; // gone already: the next attempt will take it
  }
  const owner = parseLock(text);
  // A lock being written right now is empty for a moment: give it time before judging it.
  if (!owner && ageMs < 1000) return;
  const stale = !owner || !processAlive(owner.pid) || ageMs > staleMs;
  if (!stale) return;
  // Move it aside under a unique name, then check that what we moved is the lock we judged.
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== text) {
    // We moved a fresh lock taken after our check: put it back unless someone took the lock since.
    await link(aside, lockPath).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

/**
 * Sets `updates` in the `.env` at `path` (created with mode 0600 when missing). A file that does
 * not parse is left untouched and reported with its line number (WTT_ERR_ENV_PARSE).
 */
export async function upsertEnvFile(file: string, updates: Readonly<Record<string, string>>, opts: UpsertOptions = {}): Promise<UpsertResult> {
  // A symlinked .env is updated where it points (the rename would otherwise replace the link).
  const path = await realpath(file).catch(() => file);
  const release = await acquireEnvLock(path, opts);
  try {
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const parsed = parseEnvText(text, path);
    const present = new Set(parsed.lines.flatMap((l) => (l.kind === 'pair' ? [l.key] : [])));
    const next = applyEnvUpdates(parsed, updates);
    const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      try {
        await fh.writeFile(next, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await chmod(tmp, 0o600);
      await rename(tmp, path);
    } catch (e) {
      // A full disk or a failed rename leaves the old file as it was and no temp file behind.
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    const keys = Object.keys(updates);
    return { path: file, replaced: keys.filter((k) => present.has(k)), appended: keys.filter((k) => !present.has(k)) };
  } finally {
    await release();
  }
}
