/**
 * The CLI's daemon fast path: when a daemon runs for this agent, `wtt <command words>` forwards
 * argv over its control socket and prints the answer, loading only Node built-ins, the `.env`
 * parser and the socket client. The daemon validates the request (zod, src/runtime/control.ts) and
 * answers help and usage errors as the CLI would.
 *
 * Two values are read, by the configuration's own rules (src/state-location.ts): `WTT_STATE_DIR`
 * (where the socket is) and `WTT_AGENT_ID` (sent, so that a daemon serving another agent declines).
 * When this path cannot decide (a `.env` that does not parse, an agent id that breaks its rule) it
 * returns `undefined`, and the full CLI runs: it loads the validated configuration and names the
 * problem.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvText } from '../env-file.js';
import { askDaemon, controlSocketPath } from '../runtime/control-client.js';
import { AGENT_ID_RE, homeOf, skillDirFrom, stateDirFrom } from '../state-location.js';

export interface DaemonTarget {
  socketPath: string;
  agentId: string | undefined;
}

const blank = (v: string | undefined): v is undefined => v === undefined || v.trim() === '';

/** The control socket and agent id as `loadConfig` resolves them; `undefined` when that cannot be told cheaply. */
export function daemonTarget(env: NodeJS.ProcessEnv): DaemonTarget | undefined {
  const skillDir = skillDirFrom(env);
  const envFile = join(skillDir, '.env');
  let fileValues: Record<string, string> = {};
  if (existsSync(envFile)) {
    try {
      fileValues = parseEnvText(readFileSync(envFile, 'utf8'), envFile).values;
    } catch {
      return undefined;
    }
  }
  const pick = (key: string): string | undefined => {
    const v = env[key] ?? fileValues[key];
    return blank(v) ? undefined : v.trim();
  };
  const agentId = pick('WTT_AGENT_ID');
  if (agentId !== undefined && !AGENT_ID_RE.test(agentId)) return undefined;
  return { socketPath: controlSocketPath(stateDirFrom(pick('WTT_STATE_DIR'), skillDir, homeOf(env))), agentId };
}

/**
 * Only for a daemon that hangs: a daemon ends every command within its own timeout (2 ×
 * WTT_HTTP_TIMEOUT_S + 10 s, src/runtime/system.ts) and says so.
 */
export const HUNG_DAEMON_MS = 5 * 60_000;

/**
 * Runs `argv` through this agent's running daemon: the exit code after printing its answer, or
 * `undefined` when no daemon takes it (the full CLI then runs).
 */
export async function viaDaemon(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = HUNG_DAEMON_MS): Promise<number | undefined> {
  const target = daemonTarget(env);
  if (!target) return undefined;
  let answered;
  try {
    answered = await askDaemon(target.socketPath, target.agentId, argv, timeoutMs);
  } catch (e) {
    process.stderr.write(`wtt: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (!answered) return undefined;
  const text = answered.text.endsWith('\n') ? answered.text : `${answered.text}\n`;
  if (answered.exitCode === 0) process.stdout.write(text);
  else process.stderr.write(text);
  return answered.exitCode;
}
