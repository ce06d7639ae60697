/**
 * The file route (`file:/path`, wtt-protocol.md §9.1 "notification file"): each message is appended
 * as `\n--- [YYYY-MM-DD HH:MM:SS UTC] ---\n<text>\n` in ONE write to a file opened with O_APPEND, so
 * entries from several writers never interleave. A new file is created with mode 0600 (messages are
 * private), its directory with 0700. A path that cannot be written (permissions, a directory) is a
 * `config` error; a full disk or an I/O error is `transient`.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DeliveryError, type AdapterDeps, type ImAdapter, type SendRequest, type SendResult } from './delivery.js';

export const FILE_ADAPTER = 'file';
const CONFIG_ERRNO = new Set(['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EROFS', 'ELOOP', 'ENAMETOOLONG']);

/** `2026-12-02 07:09:11 UTC`. */
export function stampOf(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function fileEntry(text: string, ms: number): string {
  return `\n--- [${stampOf(ms)}] ---\n${text}\n`;
}

export class FileAdapter implements ImAdapter {
  readonly name = FILE_ADAPTER;
  readonly maxChars = 1_000_000;

  constructor(private readonly deps: AdapterDeps) {}

  async send(req: SendRequest): Promise<SendResult> {
    const path = req.route.target;
    const entry = Buffer.from(fileEntry(req.text, (this.deps.now ?? Date.now)()), 'utf8');
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const fh = await open(path, 'a', 0o600);
      try {
        let off = 0;
        while (off < entry.length) off += (await fh.write(entry, off, entry.length - off)).bytesWritten;
      } finally {
        await fh.close();
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      const kind = CONFIG_ERRNO.has(code) ? 'config' : 'transient';
      throw new DeliveryError(kind, FILE_ADAPTER, `cannot append to ${path} (${code})${kind === 'config' ? '; fix the path or its permissions' : ''}`);
    }
    this.deps.log.debug({ route: req.route.key, adapter: FILE_ADAPTER, chars: req.text.length }, 'delivered');
    return { adapter: FILE_ADAPTER };
  }
}
