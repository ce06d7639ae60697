/**
 * `wtt daemon`: the runtime's actor system from the configuration, without the embedded hub
 * (what the service scripts run). `wtt up` is the same plus the local hub.
 */
import { WttError } from '../errors.js';
import { prelude } from './prelude.js';
import { inspectFlag, runDaemon, type DaemonFlags } from './up.js';

export const DAEMON_USAGE = `usage: wtt daemon [--json] [--inspect[=ws://127.0.0.1:PORT]]

Runs the runtime against WTT_API_URL (default: the local hub at WTT_HUB_HOST:WTT_HUB_PORT, which it
does not start): onboarding (registers this agent if WTT_AGENT_ID is empty, retrying until the
server answers), the lossless connection, chat delivery and the control socket for \`wtt\` commands.
Every message is printed once (--json: one JSON line each). --inspect sends the actor system's events
to a Stately inspector on loopback (default ws://127.0.0.1:8080; also WTT_INSPECT); the status page
(WTT_STATUS_PORT) prints its URL at start. SIGINT or SIGTERM stops it cleanly.`;

export function parseDaemonArgs(argv: readonly string[]): DaemonFlags {
  const flags: DaemonFlags = { hub: false, json: false };
  for (const a of argv) {
    const inspect = inspectFlag(a);
    if (inspect) flags.inspect = inspect;
    else if (a === '--json') flags.json = true;
    else throw new WttError('WTT_ERR_USAGE', { message: `unknown option '${a}'` });
  }
  return flags;
}

export async function main(argv: string[]): Promise<number> {
  const pre = prelude('daemon', DAEMON_USAGE, argv, parseDaemonArgs);
  if (!pre.ok) return pre.exitCode;
  return runDaemon('daemon', pre.flags, pre.config);
}
