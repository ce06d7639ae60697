/**
 * `wtt up`: the main job. Starts the embedded local hub (unless WTT_API_URL names another server),
 * then runs the runtime's actor system (src/runtime/system.ts): onboarding registers the agent if
 * needed, the connection keeps the lossless link, each message is printed once as it arrives, and
 * each connection state change goes to stderr. `wtt daemon` is the same without the hub.
 */
import { join } from 'node:path';
import { DEFAULTS, deriveWsUrl, loadConfig, localHubUrl, loopbackWsProblem, type Config } from '../config.js';
import { WttError } from '../errors.js';
import { closeLogger, createLogger, type Logger } from '../log.js';
import { acquireInstanceLock, type InstanceLock } from './lock.js';
import { takeLimitFlag, LIMIT_USAGE } from '../hub/limit-args.js';
import { resolveLimits, type HubLimits } from '../hub/limits.js';
import type { Message } from '../protocol/index.js';
import type { ConnectionStatus } from '../../machines/connection.machine.js';
import { controlSocketPath, daemonAnswers } from './control.js';
import { prelude } from './prelude.js';
import { runUntilSignal } from './until-signal.js';
import { startLiveState, type LiveState } from '../inspect/live.js';

/** When the daemon's log file opens: after start-up, whose first lines wait in memory (src/log.ts). */
export const LOG_FILE_OPEN_AFTER_MS = 2_000;

export const UP_USAGE = `usage: wtt up [--no-hub] [--json] [--inspect[=ws://127.0.0.1:PORT]] [hub limits]

Runs the main job: the embedded local WTT hub on WTT_HUB_HOST:WTT_HUB_PORT (default 127.0.0.1:8787,
data in <state dir>/hub) unless WTT_API_URL names another server or --no-hub is given; registers this
agent if WTT_AGENT_ID is empty (written to <skill dir>/.env); then stays connected, printing every
message once (--json: one JSON line per message). --inspect sends the actor system's events to a
Stately inspector on loopback (default ws://127.0.0.1:8080; also WTT_INSPECT). The status page's URL
is printed at start (WTT_STATUS_PORT). Ctrl-C or SIGTERM stops it cleanly.
hub limits, passed to the embedded hub as \`wtt hub\` takes them (docs/hub.md, "Every limit"; a list
flag may be repeated):
${LIMIT_USAGE}`;

interface UpFlags {
  hub: boolean;
  json: boolean;
  /** `--inspect[=URL]`: the Stately inspector's WebSocket (wins over WTT_INSPECT). */
  inspect?: string | undefined;
  /** Limits for the embedded hub (`--max-response-bytes N`, …: every flag of `LIMIT_FLAGS`). */
  hubLimits?: Partial<HubLimits> | undefined;
}

/** `--inspect` → the default URL; `--inspect=URL` → URL (checked to be loopback when the daemon starts). */
export function inspectFlag(a: string): string | undefined {
  if (a === '--inspect') return DEFAULTS.inspectUrl;
  if (a.startsWith('--inspect=')) {
    const url = a.slice('--inspect='.length);
    const problem = loopbackWsProblem(url);
    if (problem) throw new WttError('WTT_ERR_USAGE', { message: `--inspect must be a ws:// URL on loopback (${problem})` });
    return url;
  }
  return undefined;
}

export function parseUpArgs(argv: readonly string[]): UpFlags {
  const flags: UpFlags = { hub: true, json: false };
  const limits: Partial<HubLimits> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const inspect = inspectFlag(a);
    if (inspect) flags.inspect = inspect;
    else if (a === '--no-hub') flags.hub = false;
    else if (a === '--json') flags.json = true;
    else {
      let last: number | undefined;
      try {
        last = takeLimitFlag(argv, i, limits);
      } catch (e) {
        throw new WttError('WTT_ERR_USAGE', { message: (e as Error).message });
      }
      if (last === undefined) throw new WttError('WTT_ERR_USAGE', { message: `unknown option '${a}'` });
      i = last;
    }
  }
  if (Object.keys(limits).length > 0) {
    if (!flags.hub) throw new WttError('WTT_ERR_USAGE', { message: `--no-hub starts no hub, so ${Object.keys(limits).join(', ')} would do nothing: drop one or the other` });
    try {
      resolveLimits(limits);
    } catch (e) {
      throw new WttError('WTT_ERR_USAGE', { message: (e as Error).message });
    }
    flags.hubLimits = limits;
  }
  return flags;
}

/** One readable line (continuation lines indented) for a message. */
export function messageText(m: Message): string {
  const when = (m.created_at ?? m.timestamp ?? '').slice(11, 19) || '--:--:--';
  const where = m.topic_name ?? m.topic_id;
  const body = m.content.replace(/\r?\n/g, '\n    ');
  return `[${when}] ${where} · ${m.sender_id}: ${body}`;
}

export function statusText(s: ConnectionStatus): string {
  const extra = Object.entries(s)
    .filter(([k, v]) => k !== 'state' && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `connection: ${s.state}${extra ? ` (${extra})` : ''}`;
}

interface RunningHub {
  url: string;
  close(): Promise<void>;
  /** Whether the hub knows this agent id; only for a hub this process started (a reset hub forgets agents). */
  knows?: (agentId: string) => boolean;
}

async function isWttHub(url: string): Promise<boolean> {
  const { WttApi } = await import('../client/api.js');
  try {
    const health = await new WttApi({ apiUrl: url, timeoutMs: 2000, retries: 0 }).health();
    return health.service === 'wtt-hub';
  } catch {
    return false;
  }
}

async function startHub(config: Readonly<Config>, log: Logger, limits: Partial<HubLimits> | undefined): Promise<RunningHub> {
  const { buildHub } = await import('../hub/index.js');
  const hub = await buildHub({ dataDir: join(config.stateDir, 'hub'), logger: log.child({}, { level: 'warn' }), ...(limits ? { limits } : {}) });
  try {
    const { port } = await hub.listen({ host: config.hubHost, port: config.hubPort });
    return { url: localHubUrl(config.hubHost, port), close: () => hub.close(), knows: (id) => hub.core.auth.agentExists(id) };
  } catch (e) {
    await hub.close().catch(() => undefined);
    const url = localHubUrl(config.hubHost, config.hubPort);
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      if (await isWttHub(url)) return { url, close: async () => undefined };
      throw new WttError('WTT_ERR_CONFIG', {
        message: `port ${config.hubPort} on ${config.hubHost} is taken by something that is not a wtt hub: set WTT_HUB_PORT to a free port`,
      });
    }
    throw e;
  }
}

/** Said when limits were given but this process runs no hub to apply them to. */
const ignored = (flags: DaemonFlags): string =>
  flags.hubLimits ? ` (hub limits ${Object.keys(flags.hubLimits).join(', ')} not applied: this process runs no hub)` : '';

function withServer(config: Readonly<Config>, url: string): Readonly<Config> {
  return Object.freeze({ ...config, apiUrl: url, wsUrl: deriveWsUrl(url) });
}

/**
 * The agent this run starts with: the configured one, or none when the hub this process started
 * forgot it (its data was reset): onboarding then registers a new one.
 */
function startingIdentity(config: Readonly<Config>, out: (s: string) => void, hub: RunningHub | undefined): Readonly<Config> {
  if (!config.agentId || !hub?.knows || hub.knows(config.agentId)) return config;
  if (process.env.WTT_AGENT_ID || process.env.WTT_AGENT_TOKEN) {
    throw new WttError('WTT_ERR_NO_AGENT', {
      message: `the local hub does not know ${config.agentId} (its data was reset), and WTT_AGENT_ID/WTT_AGENT_TOKEN are set in the environment: unset them to register a new agent`,
    });
  }
  out(`⚠️ The local hub does not know ${config.agentId} (its data was reset): registering a new agent.`);
  return Object.freeze({ ...config, agentId: undefined, agentToken: undefined });
}

export interface DaemonFlags {
  hub: boolean;
  json: boolean;
  inspect?: string | undefined;
  /** Limits for the embedded hub; ignored (and said so) when no hub is started here. */
  hubLimits?: Partial<HubLimits> | undefined;
}

/** `wtt up` and `wtt daemon`: the actor system (with the embedded hub unless `hub` is false). */
export async function runDaemon(name: 'up' | 'daemon', flags: DaemonFlags, initial: Readonly<Config>): Promise<number> {
  let config = initial;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const err = (s: string) => process.stderr.write(`${s}\n`);

  // One daemon per state dir: a second start says who runs and exits 0 (a service manager's
  // "start" of something already running is not a failure).
  let lock: InstanceLock;
  try {
    lock = acquireInstanceLock(config.stateDir);
  } catch (e) {
    err(`wtt ${name}: cannot take the instance lock in ${config.stateDir}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  if (!lock.acquired) {
    err(`wtt ${name}: already running (pid ${lock.heldBy}) for this state dir (${config.stateDir}); \`wtt status\` shows it`);
    return 0;
  }
  const held = lock;
  // Logs: a rotated JSON file in the state dir (never /tmp), the console only for warnings unless a terminal.
  const logDir = join(config.stateDir, 'logs');
  // The file opens 2 s after start, off the start-up path (pino-roll's load; src/log.ts openAfterMs).
  const log = createLogger({ level: config.logLevel, name: 'wtt', file: { dir: logDir, openAfterMs: LOG_FILE_OPEN_AFTER_MS }, secrets: [config.agentToken, config.bearerToken, config.gatewayToken, config.webhookSecret] });
  out(`logs: ${join(logDir, 'wtt.log')} (rotated daily and at 10 MB, 7 kept)`);
  if (await daemonAnswers(controlSocketPath(config.stateDir))) {
    err(`wtt ${name}: another wtt daemon is already running for this state dir (${controlSocketPath(config.stateDir)})`);
    held.release();
    await closeLogger(log);
    return 1;
  }
  let hub: RunningHub | undefined;
  let runtime: import('./system.js').Runtime | undefined;
  let live: LiveState | undefined;
  const shutdown = async () => {
    await runtime?.stop().catch(() => undefined);
    await live?.stop().catch(() => undefined);
    await hub?.close().catch(() => undefined);
    held.release();
    await closeLogger(log).catch(() => undefined);
  };
  try {
    if (flags.hub && config.apiUrlIsLocalHub) {
      hub = await startHub(config, log, flags.hubLimits);
      config = withServer(config, hub.url);
      out(hub.knows ? `hub: listening on ${hub.url} (data in ${join(config.stateDir, 'hub')})` : `hub: using the wtt hub already running on ${hub.url}${ignored(flags)}`);
    } else {
      out(`hub: not started; using ${config.apiUrl}${ignored(flags)}`);
    }
    config = startingIdentity(config, out, hub);
    const { createRuntime } = await import('./system.js');
    const registering = !config.agentId;
    if (registering) out(`agent: none configured yet: registering on ${config.apiUrl} (retrying by itself until the server answers)`);
    const active = config;
    let announced = false;
    live = await startLiveState({
      inspectUrl: flags.inspect ?? active.inspectUrl,
      config: active,
      runtime: () => runtime,
      log,
      out,
    });
    runtime = createRuntime({
      config: active,
      log,
      inspect: live.inspect,
      onMessage: (m) => out(flags.json ? JSON.stringify(m) : messageText(m)),
      onStatus: (s) => {
        err(statusText(s));
        const agentId = runtime?.status().agentId;
        if (!announced && agentId) {
          announced = true;
          out(`agent: ${agentId}${registering ? ` (registered; saved to ${active.envFile})` : ''} · state in ${active.stateDir}`);
          out(`try:   bin/wtt create demo "a first topic"   ·   bin/wtt list   ·   bin/wtt help`);
        }
      },
    });
  } catch (e) {
    err(`wtt ${name}: ${e instanceof Error ? e.message : String(e)}`);
    await shutdown();
    return 1;
  }
  const running = runtime;
  return runUntilSignal({
    start: () => running.start(),
    shutdown,
    onSignal: () => err(`wtt ${name}: stopping`),
  });
}

export async function main(argv: string[]): Promise<number> {
  const pre = prelude('up', UP_USAGE, argv, parseUpArgs);
  if (!pre.ok) return pre.exitCode;
  return runDaemon('up', pre.flags, pre.config);
}
