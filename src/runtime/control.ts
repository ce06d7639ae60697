/**
 * The daemon's control socket: a Unix socket `<stateDir>/control.sock` (mode 0600, so only this
 * user) through which `wtt <command words>` asks the running daemon to run a command. The daemon
 * runs it with its own context: its live WebSocket (WS-first commands share the link) and its
 * connection state (shown by `whoami`). One request per connection, one JSON line each way.
 *
 *   request  {"v":1,"agent_id":"agent-…","argv":["list"]}
 *   response {"text":"…","exitCode":0}
 *
 * A daemon serving another agent answers {"mismatch":true} and the CLI does the work itself.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import type { Logger } from '../log.js';

export { CONTROL_SOCKET, askDaemon, controlSocketPath } from './control-client.js';
/** Unix socket paths are limited to about 107 bytes on Linux (103 on macOS). */
const MAX_SOCKET_PATH = 100;
const MAX_REQUEST_BYTES = 1024 * 1024;

export const ControlRequest = z.object({
  v: z.literal(1),
  agent_id: z.string().nullable(),
  argv: z.array(z.string().max(MAX_REQUEST_BYTES)).max(10_000),
});
export type ControlRequest = z.infer<typeof ControlRequest>;

export const ControlResponse = z.union([
  z.object({ text: z.string(), exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]) }),
  z.object({ mismatch: z.literal(true) }),
]);
export type ControlResponse = z.infer<typeof ControlResponse>;

export interface ControlServerOptions {
  path: string;
  /** The agent served (a function when it may change while the server runs). */
  agentId: string | (() => string);
  handle(argv: string[]): Promise<{ text: string; exitCode: 0 | 1 | 2 }>;
  log?: Logger | undefined;
}

function readLine(sock: Socket, maxBytes: number, onLine: (line: string) => void, onTooBig: () => void): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    const nl = buf.indexOf('\n');
    if (nl >= 0) {
      sock.removeAllListeners('data');
      onLine(buf.slice(0, nl));
    } else if (Buffer.byteLength(buf) > maxBytes) {
      sock.removeAllListeners('data');
      onTooBig();
    }
  });
}

/** Does a daemon answer on this control socket? (A file left by a crashed daemon does not.) */
export function daemonAnswers(path: string): Promise<boolean> {
  return existsSync(path) ? probe(path) : Promise.resolve(false);
}

/** Is something answering on this socket path? (A file left by a crashed daemon is not.) */
function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Listens on the control socket. Refuses when another daemon already answers there; removes a
 * stale socket file left by a crash. Resolves with the server, or undefined when the path is too
 * long for a Unix socket (the CLI then works over REST, as without a daemon).
 */
export async function startControlServer(opts: ControlServerOptions): Promise<Server | undefined> {
  if (opts.path.length > MAX_SOCKET_PATH) {
    opts.log?.warn({ path: opts.path }, 'state dir path too long for a control socket; commands will not share the live link');
    return undefined;
  }
  if (existsSync(opts.path)) {
    if (await probe(opts.path)) throw new Error(`another wtt daemon is already running for this state dir (${opts.path})`);
    unlinkSync(opts.path);
  }
  const server = createServer((sock) => {
    sock.on('error', () => sock.destroy());
    readLine(
      sock,
      MAX_REQUEST_BYTES,
      (line) => {
        void answer(line).then((res) => sock.end(`${JSON.stringify(res)}\n`));
      },
      () => sock.end(`${JSON.stringify({ text: 'control request too large', exitCode: 1 })}\n`),
    );
  });
  const answer = async (line: string): Promise<ControlResponse> => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return { text: 'control request is not JSON', exitCode: 1 };
    }
    const req = ControlRequest.safeParse(raw);
    if (!req.success) return { text: 'control request has the wrong shape', exitCode: 1 };
    if (req.data.agent_id !== (typeof opts.agentId === 'function' ? opts.agentId() : opts.agentId)) return { mismatch: true };
    try {
      return await opts.handle(req.data.argv);
    } catch (e) {
      opts.log?.error({ err: e instanceof Error ? e.message : String(e) }, 'control command failed');
      return { text: 'the daemon failed to run the command', exitCode: 1 };
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(opts.path, 0o600);
  server.on('close', () => {
    try {
      unlinkSync(opts.path);
    } catch {
      // already gone
    }
  });
  return server;
}
