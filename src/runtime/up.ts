/**
 * `wtt up`: the main job. Starts the embedded local hub (unless WTT_API_URL names another server),
 * makes sure this agent is registered, then runs the daemon: the connection and lossless intake,
 * printing each message as it arrives and each connection state change.
 */
import type { Server } from 'node:net';
import { join } from 'node:path';
import { deriveWsUrl, loadConfig, localHubUrl, type Config } from '../config.js';
import { WttError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import type { Message } from '../protocol/index.js';
import type { ConnectionStatus } from '../../machines/connection.machine.js';
import { prelude } from './prelude.js';
import { Link } from './link.js';
import { runUntilSignal } from './until-signal.js';

export const UP_USAGE = `usage: wtt up [--no-hub] [--json]

Runs the main job: the embedded local WTT hub on WTT_HUB_HOST:WTT_HUB_PORT (default 127.0.0.1:8787,
data in <state dir>/hub) unless WTT_API_URL names another server or --no-hub is given; registers this
agent if WTT_AGENT_ID is empty (written to <skill dir>/.env); then stays connected, printing every
message once (--json: one JSON line per message). Ctrl-C or SIGTERM stops it cleanly.`;

interface UpFlags {
  hub: boolean;
  json: boolean;
}

export function parseUpArgs(argv: readonly string[]): UpFlags {
  const flags: UpFlags = { hub: true, json: false };
  for (const a of argv) {
    if (a === '--no-hub') flags.hub = false;
    else if (a === '--json') flags.json = true;
    else throw new WttError('WTT_ERR_USAGE', { message: `unknown option '${a}'` });
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

async function startHub(config: Readonly<Config>, log: Logger): Promise<RunningHub> {
  const { buildHub } = await import('../hub/index.js');
  const hub = await buildHub({ dataDir: join(config.stateDir, 'hub'), logger: log.child({}, { level: 'warn' }) });
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

function withServer(config: Readonly<Config>, url: string): Readonly<Config> {
  return Object.freeze({ ...config, apiUrl: url, wsUrl: deriveWsUrl(url) });
}

/** Registers this agent (through `config auto`) when it has no id, or when the hub we started forgot it. */
async function ensureAgent(config: Readonly<Config>, log: Logger, out: (s: string) => void, hub: RunningHub | undefined): Promise<Readonly<Config>> {
  let current = config;
  if (config.agentId && hub?.knows && !hub.knows(config.agentId)) {
    if (process.env.WTT_AGENT_ID || process.env.WTT_AGENT_TOKEN) {
      throw new WttError('WTT_ERR_NO_AGENT', {
        message: `the local hub does not know ${config.agentId} (its data was reset), and WTT_AGENT_ID/WTT_AGENT_TOKEN are set in the environment: unset them to register a new agent`,
      });
    }
    out(`⚠️ The local hub does not know ${config.agentId} (its data was reset): registering a new agent.`);
    current = withServer(loadConfig({ env: { ...process.env, WTT_AGENT_ID: '', WTT_AGENT_TOKEN: '' } }), config.apiUrl);
  }
  if (current.agentId) return current;
  const { configAuto } = await import('../onboarding/commands.js');
  // This process is the daemon and reloads the values itself.
  out(await configAuto({ config: current, log, reloadsConfig: true }));
  const next = withServer(loadConfig(), config.apiUrl);
  if (!next.agentId) throw new WttError('WTT_ERR_NO_AGENT', { message: 'registration did not complete: see the lines above' });
  return next;
}

/** `wtt <command words>` from other processes, run here with the live link (WS-first) and its state. */
async function serveCommands(config: Readonly<Config>, link: Link, log: Logger): Promise<Server | undefined> {
  const { startControlServer, controlSocketPath } = await import('./control.js');
  const cmdLog = log.child({ systemId: 'commands' });
  return startControlServer({
    path: controlSocketPath(config.stateDir),
    agentId: config.agentId ?? '',
    log: cmdLog,
    handle: async (argv) => {
      const { parseArgv } = await import('../commands/grammar.js');
      const { isUsageError } = await import('../commands/usage.js');
      const { run } = await import('../commands/run.js');
      let cmd;
      try {
        cmd = parseArgv(argv);
      } catch (e) {
        if (isUsageError(e)) return { text: e.message, exitCode: 2 };
        throw e;
      }
      return run(cmd, { config, api: link.api, socket: link.socket, log: cmdLog, connectionState: link.status?.state ?? 'starting' });
    },
  });
}

export async function main(argv: string[]): Promise<number> {
  const pre = prelude('up', UP_USAGE, argv, parseUpArgs);
  if (!pre.ok) return pre.exitCode;
  const flags: UpFlags = pre.flags;
  let config: Readonly<Config> = pre.config;
  const log = createLogger({ level: config.logLevel, name: 'wtt' });
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const err = (s: string) => process.stderr.write(`${s}\n`);

  let hub: RunningHub | undefined;
  let link: Link | undefined;
  let control: Server | undefined;
  const shutdown = async () => {
    await new Promise<void>((resolve) => (control ? control.close(() => resolve()) : resolve()));
    await link?.stop().catch(() => undefined);
    await hub?.close().catch(() => undefined);
  };
  try {
    if (flags.hub && config.apiUrlIsLocalHub) {
      hub = await startHub(config, log);
      config = withServer(config, hub.url);
      out(hub.knows ? `hub: listening on ${hub.url} (data in ${join(config.stateDir, 'hub')})` : `hub: using the wtt hub already running on ${hub.url}`);
    } else {
      out(`hub: not started; using ${config.apiUrl}`);
    }
    config = await ensureAgent(config, log, out, hub);
    const active = config;
    link = new Link({
      config: active,
      log: log.child({ systemId: 'connection' }),
      onMessage: (m) => out(flags.json ? JSON.stringify(m) : messageText(m)),
    });
    link.onStatus((s) => err(statusText(s)));
    control = await serveCommands(active, link, log);
    out(`agent: ${active.agentId} · state in ${active.stateDir}`);
    out(`try:   bin/wtt create demo "a first topic"   ·   bin/wtt list   ·   bin/wtt help`);
  } catch (e) {
    err(`wtt up: ${e instanceof Error ? e.message : String(e)}`);
    await shutdown();
    return 1;
  }
  const running = link;
  return runUntilSignal({
    start: () => running.start(),
    shutdown,
    onSignal: () => err('wtt up: stopping'),
  });
}
