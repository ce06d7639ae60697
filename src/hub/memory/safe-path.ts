/**
 * Paths that clients name for memory files: always relative, never `..`, never through a symlink,
 * always inside one root directory. Every refusal is a 400 with the reason.
 */
import { closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { HubError } from '../core.js';

/** Longest file or directory name, and longest whole path below the root, in bytes (what common filesystems take). */
export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 1024;

/**
 * A filesystem error caused by the client's path, as a 4xx; anything else is rethrown.
 * (The checks in `resolveUnder` catch most of these before the disk is touched.)
 */
export function pathError(e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENAMETOOLONG': throw HubError.of('bad_path', 'target_path: a name in it is too long for the filesystem');
    case 'ENOTDIR': case 'EEXIST': throw HubError.of('bad_path', 'target_path: a part of it is a file, not a directory');
    case 'EISDIR': throw HubError.of('bad_path', 'target_path is a directory');
    case 'ELOOP': throw HubError.of('bad_path', 'target_path is a symbolic link; refused');
    case 'EINVAL': case 'EILSEQ': throw HubError.of('bad_path', 'target_path: the filesystem refuses this name');
    case 'ENOENT': throw new HubError(404, 'target_path does not exist');
    case 'EACCES': case 'EPERM': throw new HubError(403, 'target_path: permission denied');
    case 'ENOSPC': case 'EDQUOT': throw HubError.of('insufficient_storage', 'the hub has no room left on its disk');
    default: throw e;
  }
}

/** Runs `fn`, mapping path errors to 4xx (HubErrors pass through). */
export function onPath<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof HubError) throw e;
    return pathError(e);
  }
}

export interface SafePath {
  /** Absolute path on disk. */
  readonly abs: string;
  /** The path as shown to clients: `memory/<segments>`. */
  readonly shown: string;
}

/** Is `child` inside (or equal to) `root`? Both absolute and normalised. */
export function within(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Resolves a client's `target_path` (e.g. `memory/recall-memory.md`, `notes/today.md`) below `root`.
 * A leading `memory/` is dropped: the root IS the memory directory. Pure: no disk access.
 */
export function resolveUnder(root: string, target: string): SafePath {
  if (target.includes('\0')) throw HubError.of('bad_path', 'target_path must not contain NUL bytes');
  if (isAbsolute(target) || /^[a-zA-Z]:/.test(target) || target.startsWith('\\') || target.startsWith('/')) {
    throw HubError.of('bad_path', `target_path must be relative to the memory directory, got an absolute path`);
  }
  const segments = target.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw HubError.of('bad_path', "target_path must not contain '..'");
  if (segments[0] === 'memory') segments.shift();
  if (segments.length === 0) throw HubError.of('bad_path', 'target_path names no file');
  for (const seg of segments) {
    if (Buffer.byteLength(seg, 'utf8') > MAX_NAME_BYTES) throw HubError.of('bad_path', `target_path: a file or directory name is longer than ${MAX_NAME_BYTES} bytes`);
  }
  if (Buffer.byteLength(segments.join('/'), 'utf8') > MAX_PATH_BYTES) throw HubError.of('bad_path', `target_path is longer than ${MAX_PATH_BYTES} bytes`);
  const abs = join(root, ...segments);
  if (!within(root, abs) || abs === root) throw HubError.of('bad_path', 'target_path leaves the memory directory');
  return { abs, shown: ['memory', ...segments].join('/') };
}

/** Refuses when any existing component between root and the file is a symlink. */
function assertNoSymlinks(root: string, abs: string): void {
  const parts = relative(root, abs).split(sep);
  let cur = root;
  for (const p of parts) {
    cur = join(cur, p);
    if (!existsSync(cur) && !isDanglingLink(cur)) return;
    if (lstatSync(cur).isSymbolicLink()) throw HubError.of('bad_path', 'target_path goes through a symbolic link; refused');
  }
}

function isDanglingLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Creates the root (and its parents) if missing; returns its real path. */
export function ensureRoot(root: string): string {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  return realpathSync(root);
}

/** Opens `target` below `root` for writing (created/truncated), never following a symlink. Returns an fd. */
export function openForWrite(root: string, target: SafePath): number {
  return onPath(() => openForWriteRaw(root, target));
}

function openForWriteRaw(root: string, target: SafePath): number {
  const realRoot = ensureRoot(root);
  assertNoSymlinks(root, target.abs);
  mkdirSync(dirname(target.abs), { recursive: true, mode: 0o700 });
  if (!within(realRoot, realpathSync(dirname(target.abs)))) throw HubError.of('bad_path', 'target_path leaves the memory directory');
  try {
    return openSync(target.abs, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw HubError.of('bad_path', 'target_path is a symbolic link; refused');
    if (code === 'EISDIR') throw HubError.of('bad_path', 'target_path is a directory');
    throw e;
  }
}

/** Opens `target` below `root` for reading; 404 when missing, 400 when a symlink leads outside. */
export function openForRead(root: string, target: SafePath): number {
  return onPath(() => openForReadRaw(root, target));
}

function openForReadRaw(root: string, target: SafePath): number {
  const realRoot = ensureRoot(root);
  let real: string;
  try {
    real = realpathSync(target.abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new HubError(404, `${target.shown} does not exist`);
    throw e;
  }
  if (!within(realRoot, real)) throw HubError.of('bad_path', 'target_path leads outside the memory directory (symbolic link); refused');
  try {
    return openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw HubError.of('bad_path', 'target_path is a directory');
    throw e;
  }
}

export { closeSync };
