/**
 * The control socket's client side (protocol in src/runtime/control.ts): one JSON line out, one
 * back. Node built-ins only, so that `wtt <command words>` reaches a running daemon without loading
 * zod or the configuration (src/commands/fast-path.ts). The answer is checked field by field
 * against the two shapes the daemon sends; the daemon validates the request with zod.
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export const CONTROL_SOCKET = 'control.sock';
/** The longest answer read back. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export interface DaemonAnswer {
  text: string;
  exitCode: 0 | 1 | 2;
}

export function controlSocketPath(stateDir: string): string {
  return join(stateDir, CONTROL_SOCKET);
}

/** One answer line → the answer, `'mismatch'` (a daemon serving another agent), or `undefined` when it is neither. */
export function readAnswer(line: string): DaemonAnswer | 'mismatch' | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).length;
  if (o.mismatch === true && keys === 1) return 'mismatch';
  if (typeof o.text === 'string' && (o.exitCode === 0 || o.exitCode === 1 || o.exitCode === 2) && keys === 2) return { text: o.text, exitCode: o.exitCode };
  return undefined;
}

/**
 * Asks the daemon to run `argv`. Undefined when no daemon answers (no socket, refused, stale
 * file, a daemon of another agent): the caller then does the work itself. Rejects when a daemon
 * took the command but gave no usable answer (running it again could do it twice).
 */
export function askDaemon(path: string, agentId: string | undefined, argv: readonly string[], timeoutMs: number): Promise<DaemonAnswer | undefined> {
  if (!existsSync(path)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let settled = false;
    let connected = false;
    let buf = '';
    const sock = connect(path);
    const done = (v: DaemonAnswer | undefined, err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(v);
    };
    const timer = setTimeout(() => done(undefined, new Error(`the wtt daemon did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    sock.once('connect', () => {
      connected = true;
      sock.write(`${JSON.stringify({ v: 1, agent_id: agentId ?? null, argv: [...argv] })}\n`);
    });
    sock.once('error', (e) => done(undefined, connected ? e : undefined));
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const a = readAnswer(buf.slice(0, nl));
        if (a === undefined) done(undefined, new Error('the wtt daemon sent an answer this CLI cannot read (different versions?)'));
        else done(a === 'mismatch' ? undefined : a);
      } else if (Buffer.byteLength(buf) > MAX_ANSWER_BYTES) {
        done(undefined, new Error('the wtt daemon sent an oversized answer'));
      }
    });
    sock.once('end', () => done(undefined, connected ? new Error('the wtt daemon closed the control socket without answering') : undefined));
  });
}
