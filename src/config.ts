/**
 * Configuration, once: the process environment over `<skill dir>/.env` → one zod schema → a frozen
 * `Config`. Every variable the runtime reads is in `EnvSchema` (and documented in .env.example and
 * docs/configuration.md). Errors name the key, where the value came from and the bad value — never
 * the value of a secret.
 */
import { DEFAULT_NOTIFY_POLICY, notifyKinds, quietHours, type NotifyPolicy } from './runtime/notify-policy.js';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseEnvText } from './env-file.js';
import { WttError } from './errors.js';
import { isHttpUrl, safeUrlText, targetProblem } from './im/channels.js';
import { parseCommandLine } from './executor/argv.js';
import { EXECUTOR_NAMES, isExecutorName } from './executor/names.js';
import { parsePeers } from './guards/peers.js';
import { AGENT_ID_RE, REPO_ROOT, expandHome, homeOf, skillDirFrom, stateDirFrom } from './state-location.js';

export { REPO_ROOT, skillDirFrom };

const HUB_HOST = '127.0.0.1';
const HUB_PORT = 8787;

/** Defaults, with units in the names. */
export const DEFAULTS = Object.freeze({
  /** The local hub at hubHost:hubPort; the public WTT network is https://www.waxbyte.com. */
  apiUrl: localHubUrl(HUB_HOST, HUB_PORT),
  pollIntervalS: 30,
  heartbeatS: 15,
  /** A restart or an outage of the live link shorter than this is not reported in the chat. */
  awayReportS: 60,
  livenessS: 35,
  httpTimeoutS: 30,
  maxConcurrentTasks: 4,
  taskMaxRuntimeS: 600,
  taskStaleTimeoutS: 900,
  /** Reruns caused by rejects are spaced at least this far apart. */
  rejectRerunCooldownS: 120,
  /** Agent-to-agent chains longer than this stop and ask the chat. */
  maxHops: 4,
  /** Runs (tasks and auto-replies) one peer may cause per hour. */
  peerRunsPerHour: 20,
  /** First wait before retrying a failed registration; doubles up to `registerRetryMaxS`. */
  registerRetryS: 30,
  registerRetryMaxS: 600,
  hubHost: HUB_HOST,
  hubPort: HUB_PORT,
  openclawAgentId: 'main',
  logLevel: 'info',
  /** Where `--inspect` sends actor events: a Stately inspector's WebSocket on loopback. */
  inspectUrl: 'ws://127.0.0.1:8080',
  /** The daemon's local status page: 0 = any free port (printed at start and by `wtt status`). */
  statusPort: 0,
});

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why `url` is not a ws:// URL on this machine's loopback (the inspector never talks to anything else). */
export function loopbackWsProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `not a URL: '${url}'`;
  }
  if (u.protocol !== 'ws:') return `only ws://, got ${u.protocol}//`;
  if (!LOOPBACK_HOSTS.has(u.hostname)) return `only 127.0.0.1, ::1 or localhost, got ${u.hostname}`;
  if (u.username || u.password) return 'no user name or password';
  return undefined;
}

/** Where a value came from, for error messages. */
type Origin = (key: string) => string;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const blank = (v: string | undefined): v is undefined => v === undefined || v.trim() === '';

function numberOf(key: string, min: number, max: number, def: number, integer: boolean, unit: string) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v)) return def;
      const n = Number(v.trim());
      if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
        const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
        ctx.addIssue({ code: 'custom', message: `${key} must be ${integer ? 'a whole number' : 'a number'}${unit} ${range}, got '${v}'` });
        return z.NEVER;
      }
      return n;
    });
}

const seconds = (key: string, min: number, def: number) => numberOf(key, min, Infinity, def, false, ' of seconds');
const count = (key: string, min: number, def: number, max = Infinity) => numberOf(key, min, max, def, true, '');

const optionalText = z
  .string()
  .optional()
  .transform((v) => (blank(v) ? undefined : v.trim()));

/** A free-text value matching `re`; the message names the expected shape. */
const pattern = (key: string, re: RegExp, what: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v)) return undefined;
      const t = v.trim();
      if (!re.test(t)) {
        ctx.addIssue({ code: 'custom', message: `${key} must be ${what}, got '${v}'` });
        return z.NEVER;
      }
      return t;
    });

/** A secret: one printable word; the message never repeats the value. */
const secret = (key: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v)) return undefined;
      const t = v.trim();
      if (!/^[\x21-\x7e]+$/.test(t) || t.length > 4096) {
        ctx.addIssue({ code: 'custom', message: `${key} must be one word of printable characters without spaces (the value is hidden)` });
        return z.NEVER;
      }
      return t;
    });

const url = (key: string, schemes: readonly string[]) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v)) return undefined;
      let u: URL;
      try {
        u = new URL(v.trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: `${key} must be a URL (${schemes.join(' or ')}), got '${v}'` });
        return z.NEVER;
      }
      if (!schemes.includes(u.protocol.replace(':', ''))) {
        ctx.addIssue({ code: 'custom', message: `${key} must use ${schemes.join(' or ')}, got '${v}'` });
        return z.NEVER;
      }
      if (u.username || u.password) {
        ctx.addIssue({ code: 'custom', message: `${key} must not carry a user name or password (use the token variables)` });
        return z.NEVER;
      }
      return v.trim().replace(/\/+$/, '');
    });

const ROUTE_WORD = /^[A-Za-z0-9_.:@+-]{1,200}$/;

/**
 * One route target: a chat id or handle, a webhook URL (for slack, dingtalk, feishu, lark, wecom,
 * webhook) or an absolute file path (for file). A webhook URL carries its token, so a message about
 * a bad target never repeats more of a URL than its host.
 */
function targetShapeProblem(t: string): string | undefined {
  if (isHttpUrl(t)) {
    try {
      new URL(t);
    } catch {
      return `not a valid URL (${safeUrlText(t)})`;
    }
    return t.length > 2048 ? `a URL longer than 2048 characters (${safeUrlText(t)})` : undefined;
  }
  if (t.startsWith('/')) return /[\n\r\0]/.test(t) || t.length > 1024 ? 'a path with a line break or over 1024 characters' : undefined;
  return ROUTE_WORD.test(t) ? undefined : `'${t}'`;
}

const targets = (key: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v)) return undefined;
      const list = v.split(',').map((s) => s.trim()).filter(Boolean);
      for (const t of list) {
        const p = targetShapeProblem(t);
        if (p) {
          ctx.addIssue({ code: 'custom', message: `${key} must be a comma list of chat ids or handles, webhook URLs or absolute file paths, got ${p}` });
          return z.NEVER;
        }
      }
      return list;
    });

export interface ImRoute {
  channel: string;
  target: string;
}

const fallbacks = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const out: ImRoute[] = [];
    if (blank(v)) return out;
    for (const part of v.split(',').map((s) => s.trim()).filter(Boolean)) {
      const i = part.indexOf(':');
      const channel = part.slice(0, i);
      const target = part.slice(i + 1).trim();
      if (i <= 0 || !/^[A-Za-z0-9_-]+$/.test(channel) || /^https?$/i.test(channel) || target === '' || targetShapeProblem(target) !== undefined) {
        ctx.addIssue({ code: 'custom', message: `WTT_IM_FALLBACKS must be a comma list of channel:target, got '${isHttpUrl(target) ? `${channel}:${safeUrlText(target)}` : isHttpUrl(part) ? safeUrlText(part) : part}'` });
        return z.NEVER;
      }
      out.push({ channel, target });
    }
    return out;
  });

/** Every environment variable the runtime reads (see .env.example). */
export const EnvSchema = z.object({
  WTT_SKILL_DIR: optionalText,
  WTT_STATE_DIR: optionalText,
  WTT_AGENT_ID: pattern('WTT_AGENT_ID', AGENT_ID_RE, 'an agent id (letters, digits and . _ : @ -)'),
  WTT_AGENT_TOKEN: secret('WTT_AGENT_TOKEN'),
  WTT_API_URL: url('WTT_API_URL', ['http', 'https']),
  WTT_WS_URL: url('WTT_WS_URL', ['ws', 'wss']),
  WTT_BEARER_TOKEN: secret('WTT_BEARER_TOKEN'),
  WTT_IM_CHANNEL: pattern('WTT_IM_CHANNEL', /^[A-Za-z0-9_-]{1,64}$/, 'a channel name such as telegram'),
  WTT_IM_TARGET: targets('WTT_IM_TARGET'),
  WTT_IM_TARGETS: targets('WTT_IM_TARGETS'),
  WTT_IM_FALLBACKS: fallbacks,
  WTT_WEBHOOK_SECRET: secret('WTT_WEBHOOK_SECRET'),
  WTT_NOTIFY: notifyKinds,
  WTT_QUIET_HOURS: quietHours,
  WTT_DIGEST_BURST: count('WTT_DIGEST_BURST', 0, DEFAULT_NOTIFY_POLICY.digestBurst),
  WTT_DIGEST_WINDOW_S: seconds('WTT_DIGEST_WINDOW_S', 1, DEFAULT_NOTIFY_POLICY.digestWindowMs / 1000),
  WTT_CHAT_RATE_PER_MIN: count('WTT_CHAT_RATE_PER_MIN', 0, DEFAULT_NOTIFY_POLICY.chatRatePerMin),
  WTT_AWAY_REPORT_S: seconds('WTT_AWAY_REPORT_S', 0, DEFAULTS.awayReportS),
  WTT_POLL_INTERVAL: seconds('WTT_POLL_INTERVAL', 1, DEFAULTS.pollIntervalS),
  WTT_HEARTBEAT_S: seconds('WTT_HEARTBEAT_S', 1, DEFAULTS.heartbeatS),
  WTT_LIVENESS_S: seconds('WTT_LIVENESS_S', 2, DEFAULTS.livenessS),
  WTT_HTTP_TIMEOUT_S: seconds('WTT_HTTP_TIMEOUT_S', 1, DEFAULTS.httpTimeoutS),
  WTT_MAX_CONCURRENT_TASKS: count('WTT_MAX_CONCURRENT_TASKS', 1, DEFAULTS.maxConcurrentTasks),
  WTT_TASK_MAX_RUNTIME: seconds('WTT_TASK_MAX_RUNTIME', 1, DEFAULTS.taskMaxRuntimeS),
  WTT_TASK_STALE_TIMEOUT: seconds('WTT_TASK_STALE_TIMEOUT', 1, DEFAULTS.taskStaleTimeoutS),
  WTT_EXECUTOR: pattern('WTT_EXECUTOR', /^[a-z][a-z0-9_-]{0,31}$/, 'the name of an executor such as command'),
  WTT_EXECUTOR_COMMAND: optionalText,
  WTT_REJECT_RERUN_COOLDOWN: seconds('WTT_REJECT_RERUN_COOLDOWN', 0, DEFAULTS.rejectRerunCooldownS),
  WTT_PEERS: optionalText,
  WTT_MAX_HOPS: count('WTT_MAX_HOPS', 1, DEFAULTS.maxHops, 100),
  WTT_PEER_RUNS_PER_HOUR: count('WTT_PEER_RUNS_PER_HOUR', 1, DEFAULTS.peerRunsPerHour),
  WTT_AUTO_REPLY: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v) || /^(0|off|false|no)$/i.test(v.trim())) return false;
      if (/^(1|on|true|yes)$/i.test(v.trim())) return true;
      ctx.addIssue({ code: 'custom', message: `WTT_AUTO_REPLY must be on or off, got '${v}'` });
      return z.NEVER;
    }),
  WTT_REGISTER_RETRY_S: seconds('WTT_REGISTER_RETRY_S', 1, DEFAULTS.registerRetryS),
  WTT_AGENT_NAME: optionalText,
  WTT_DISPLAY_NAME: optionalText,
  WTT_INSPECT: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v) || /^(0|off|false|no)$/i.test(v.trim())) return undefined;
      const t = v.trim();
      if (/^(1|on|true|yes)$/i.test(t)) return DEFAULTS.inspectUrl;
      const problem = loopbackWsProblem(t);
      if (problem) {
        ctx.addIssue({ code: 'custom', message: `WTT_INSPECT must be on, off or a ws:// URL on loopback (${problem})` });
        return z.NEVER;
      }
      return t;
    }),
  WTT_STATUS_PORT: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v)) return DEFAULTS.statusPort;
      const t = v.trim();
      if (/^off$/i.test(t)) return null;
      const n = Number(t);
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `WTT_STATUS_PORT must be a port from 0 to 65535 or off, got '${v}'` });
        return z.NEVER;
      }
      return n;
    }),
  WTT_LOG_LEVEL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (blank(v)) return DEFAULTS.logLevel;
      const t = v.trim().toLowerCase();
      if (!(LOG_LEVELS as readonly string[]).includes(t)) {
        ctx.addIssue({ code: 'custom', message: `WTT_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${v}'` });
        return z.NEVER;
      }
      return t;
    }),
  WTT_HUB_HOST: optionalText,
  WTT_HUB_PORT: count('WTT_HUB_PORT', 0, DEFAULTS.hubPort, 65535),
  OPENCLAW_HOME: optionalText,
  OPENCLAW_STATE_DIR: optionalText,
  OPENCLAW_CONFIG_PATH: optionalText,
  OPENCLAW_AGENT_ID: pattern('OPENCLAW_AGENT_ID', /^[A-Za-z0-9_-]{1,100}$/, 'an OpenClaw agent id such as main'),
  OPENCLAW_GATEWAY_URL: url('OPENCLAW_GATEWAY_URL', ['http', 'https']),
  OPENCLAW_GATEWAY_TOKEN: secret('OPENCLAW_GATEWAY_TOKEN'),
  OPENCLAW_BIN: optionalText,
});

/** The variables the runtime reads, in documentation order. */
export const ENV_KEYS: readonly string[] = Object.freeze(Object.keys(EnvSchema.shape));

export interface Config {
  skillDir: string;
  envFile: string;
  stateDir: string;
  agentId: string | undefined;
  agentToken: string | undefined;
  apiUrl: string;
  /** True when WTT_API_URL is unset: the runtime talks to the local hub at hubHost:hubPort. */
  apiUrlIsLocalHub: boolean;
  wsUrl: string;
  bearerToken: string | undefined;
  imChannel: string | undefined;
  imTargets: readonly string[];
  imFallbacks: readonly ImRoute[];
  /** Signs DingTalk webhook posts (WTT_WEBHOOK_SECRET). */
  webhookSecret: string | undefined;
  /** What reaches the chat (WTT_NOTIFY, WTT_QUIET_HOURS, WTT_DIGEST_*, WTT_CHAT_RATE_PER_MIN). */
  notify: NotifyPolicy;
  /** A restart or a live-link outage at least this long gets one short report in the chat (WTT_AWAY_REPORT_S). */
  awayReportMs: number;
  pollIntervalMs: number;
  heartbeatMs: number;
  livenessMs: number;
  httpTimeoutMs: number;
  maxConcurrentTasks: number;
  taskMaxRuntimeMs: number;
  taskStaleTimeoutMs: number;
  /** WTT_EXECUTOR: which executor runs tasks (src/executor/registry.ts); undefined: this agent runs no tasks. */
  executor: string | undefined;
  /** WTT_EXECUTOR_COMMAND: the command of the `command` executor (argv, no shell). */
  executorCommand: string | undefined;
  rejectRerunCooldownMs: number;
  /** WTT_PEERS as written (parsed by src/guards/peers.ts). */
  peers: string | undefined;
  maxHops: number;
  peerRunsPerHour: number;
  /** WTT_AUTO_REPLY: answer @-mentions and p2p messages through the executor. */
  autoReply: boolean;
  /** First wait before a failed registration is retried (doubles up to registerRetryMaxMs). */
  registerRetryMs: number;
  registerRetryMaxMs: number;
  /** Sent as `display_name` when registering (WTT_DISPLAY_NAME). */
  displayName: string | undefined;
  mentionNames: readonly string[];
  logLevel: string;
  /** `--inspect` / WTT_INSPECT: the Stately inspector's WebSocket URL (loopback only), or undefined (off). */
  inspectUrl: string | undefined;
  /** The local status page's port on 127.0.0.1 (0 = any free port), or null (off). */
  statusPort: number | null;
  hubHost: string;
  hubPort: number;
  /** OpenClaw's state directory (`~/.openclaw`; OPENCLAW_STATE_DIR, or `$OPENCLAW_HOME/.openclaw`). */
  openclawHome: string;
  openclawConfigPath: string;
  openclawAgentId: string;
  gatewayUrl: string | undefined;
  gatewayToken: string | undefined;
  openclawBin: string | undefined;
}

/** The local hub's URL as a client dials it (a wildcard bind address is dialled on loopback). */
export function localHubUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** `http://h/x` → `ws://h/x/ws` (§4.1). */
export function deriveWsUrl(apiUrl: string): string {
  return `${apiUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/ws`;
}

/** `~` and `~/x` → the home directory. */

/**
 * Reads `<skillDir>/.env` as key → value with each key's line number; a missing file → {}. A file
 * that does not parse throws WTT_ERR_ENV_PARSE naming the line.
 */
function readEnvFile(path: string): { values: Record<string, string>; lineOf: Map<string, number> } {
  if (!existsSync(path)) return { values: {}, lineOf: new Map() };
  const parsed = parseEnvText(readFileSync(path, 'utf8'), path);
  const lineOf = new Map<string, number>();
  parsed.lines.forEach((l, i) => {
    if (l.kind === 'pair') lineOf.set(l.key, i + 1);
  });
  return { values: parsed.values, lineOf };
}

/** Levenshtein distance, for "did you mean" on misspelt variable names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j] as number;
      row[j] = Math.min(cur + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length] as number;
}

/** A variable that looks like a misspelling of one we read (`WTT_API_ULR` → `WTT_API_URL`). */
export function misspeltKey(key: string): string | undefined {
  if (!key.startsWith('WTT_') && !key.startsWith('OPENCLAW_')) return undefined;
  if (ENV_KEYS.includes(key)) return undefined;
  let best: string | undefined;
  let bestD = 3;
  for (const k of ENV_KEYS) {
    const d = distance(key, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

/** A target that does not fit its channel (a chat id on slack, a URL on telegram, a relative file path). */
function routeProblems(e: z.output<typeof EnvSchema>, origin: Origin): string[] {
  const out: string[] = [];
  const key = e.WTT_IM_TARGETS ? 'WTT_IM_TARGETS' : 'WTT_IM_TARGET';
  const channel = e.WTT_IM_CHANNEL;
  if (channel) {
    for (const t of e.WTT_IM_TARGETS ?? e.WTT_IM_TARGET ?? []) {
      const p = targetProblem(channel, t);
      if (p) out.push(`${key}: ${p} (WTT_IM_CHANNEL=${channel}; from ${origin(key)})`);
    }
  }
  for (const f of e.WTT_IM_FALLBACKS) {
    const p = targetProblem(f.channel, f.target);
    if (p) out.push(`WTT_IM_FALLBACKS: ${p} (from ${origin('WTT_IM_FALLBACKS')})`);
  }
  return [...out, ...taskProblems(e, origin)];
}

/** An unknown executor, a command executor without a usable command, a malformed peer list. */
function taskProblems(e: z.output<typeof EnvSchema>, origin: Origin): string[] {
  const out: string[] = [];
  if (e.WTT_EXECUTOR !== undefined && !isExecutorName(e.WTT_EXECUTOR)) {
    out.push(`WTT_EXECUTOR must be one of ${EXECUTOR_NAMES.join(', ')}, got '${e.WTT_EXECUTOR}' (from ${origin('WTT_EXECUTOR')})`);
  }
  if (e.WTT_EXECUTOR === 'command') {
    const argv = e.WTT_EXECUTOR_COMMAND === undefined ? { ok: false as const, problem: 'WTT_EXECUTOR=command needs WTT_EXECUTOR_COMMAND' } : parseCommandLine(e.WTT_EXECUTOR_COMMAND);
    if (!argv.ok) out.push(`${argv.problem} (from ${origin(e.WTT_EXECUTOR_COMMAND === undefined ? 'WTT_EXECUTOR' : 'WTT_EXECUTOR_COMMAND')})`);
  }
  const peers = parsePeers(e.WTT_PEERS);
  if (!peers.ok) out.push(`${peers.problem} (from ${origin('WTT_PEERS')})`);
  return out;
}

export interface LoadConfigOptions {
  /** The process environment (default `process.env`); it wins over `.env`. */
  env?: NodeJS.ProcessEnv;
  /** Skip reading `<skillDir>/.env` (tests that pass the whole environment). */
  ignoreEnvFile?: boolean;
}

/** Environment + `<skill dir>/.env` (never overriding the environment) → a validated, frozen Config. */
export function loadConfig(opts: LoadConfigOptions = {}): Readonly<Config> {
  const env = opts.env ?? process.env;
  const home = homeOf(env);
  const skillDir = skillDirFrom(env);
  const envFile = join(skillDir, '.env');
  const file = opts.ignoreEnvFile ? { values: {}, lineOf: new Map<string, number>() } : readEnvFile(envFile);
  const merged: Record<string, string | undefined> = { ...file.values };
  const fromEnv = new Set<string>();
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined) {
      merged[k] = v;
      fromEnv.add(k);
    }
  }
  const origin: Origin = (key) => (fromEnv.has(key) ? 'the environment' : `${envFile} line ${file.lineOf.get(key) ?? '?'}`);

  const problems: string[] = [];
  for (const k of Object.keys(file.values)) {
    const near = misspeltKey(k);
    if (near) problems.push(`${k} is not a variable wtt reads; did you mean ${near}? (${origin(k)})`);
  }
  const r = EnvSchema.safeParse(merged);
  if (!r.success) {
    for (const i of r.error.issues) {
      const key = String(i.path[0]);
      const msg = i.message.includes(key) ? i.message : `${key}: ${i.message}`;
      problems.push(`${msg} (from ${origin(key)})`);
    }
  }
  if (r.success) problems.push(...routeProblems(r.data, origin));
  if (!r.success || problems.length > 0) {
    throw new WttError('WTT_ERR_CONFIG', { message: `Configuration error:\n- ${problems.join('\n- ')}` });
  }
  const e = r.data;
  const hubHost = e.WTT_HUB_HOST ?? DEFAULTS.hubHost;
  // Unset WTT_API_URL means the local hub: the URL follows WTT_HUB_HOST / WTT_HUB_PORT.
  const apiUrl = e.WTT_API_URL ?? localHubUrl(hubHost, e.WTT_HUB_PORT);
  const openclawHome = e.OPENCLAW_STATE_DIR
    ? resolve(expandHome(e.OPENCLAW_STATE_DIR, home))
    : join(e.OPENCLAW_HOME ? resolve(expandHome(e.OPENCLAW_HOME, home)) : home, '.openclaw');
  const stateDir = stateDirFrom(e.WTT_STATE_DIR, skillDir, home);
  const config: Config = {
    skillDir,
    envFile,
    stateDir,
    agentId: e.WTT_AGENT_ID,
    agentToken: e.WTT_AGENT_TOKEN,
    apiUrl,
    apiUrlIsLocalHub: e.WTT_API_URL === undefined,
    wsUrl: e.WTT_WS_URL ?? deriveWsUrl(apiUrl),
    bearerToken: e.WTT_BEARER_TOKEN,
    imChannel: e.WTT_IM_CHANNEL,
    imTargets: Object.freeze([...(e.WTT_IM_TARGETS ?? e.WTT_IM_TARGET ?? [])]),
    imFallbacks: Object.freeze(e.WTT_IM_FALLBACKS.map((f) => Object.freeze(f))),
    webhookSecret: e.WTT_WEBHOOK_SECRET,
    notify: Object.freeze({
      kinds: e.WTT_NOTIFY,
      quietHours: e.WTT_QUIET_HOURS,
      digestBurst: e.WTT_DIGEST_BURST,
      digestWindowMs: e.WTT_DIGEST_WINDOW_S * 1000,
      chatRatePerMin: e.WTT_CHAT_RATE_PER_MIN,
    }),
    awayReportMs: e.WTT_AWAY_REPORT_S * 1000,
    pollIntervalMs: e.WTT_POLL_INTERVAL * 1000,
    heartbeatMs: e.WTT_HEARTBEAT_S * 1000,
    livenessMs: e.WTT_LIVENESS_S * 1000,
    httpTimeoutMs: e.WTT_HTTP_TIMEOUT_S * 1000,
    maxConcurrentTasks: e.WTT_MAX_CONCURRENT_TASKS,
    taskMaxRuntimeMs: e.WTT_TASK_MAX_RUNTIME * 1000,
    taskStaleTimeoutMs: e.WTT_TASK_STALE_TIMEOUT * 1000,
    executor: e.WTT_EXECUTOR,
    executorCommand: e.WTT_EXECUTOR_COMMAND,
    rejectRerunCooldownMs: e.WTT_REJECT_RERUN_COOLDOWN * 1000,
    peers: e.WTT_PEERS,
    maxHops: e.WTT_MAX_HOPS,
    peerRunsPerHour: e.WTT_PEER_RUNS_PER_HOUR,
    autoReply: e.WTT_AUTO_REPLY,
    registerRetryMs: e.WTT_REGISTER_RETRY_S * 1000,
    registerRetryMaxMs: Math.max(e.WTT_REGISTER_RETRY_S, DEFAULTS.registerRetryMaxS) * 1000,
    displayName: e.WTT_DISPLAY_NAME,
    mentionNames: Object.freeze([e.WTT_AGENT_NAME, e.WTT_DISPLAY_NAME].filter((x): x is string => Boolean(x))),
    logLevel: e.WTT_LOG_LEVEL,
    inspectUrl: e.WTT_INSPECT,
    statusPort: e.WTT_STATUS_PORT,
    hubHost,
    hubPort: e.WTT_HUB_PORT,
    openclawHome,
    openclawConfigPath: e.OPENCLAW_CONFIG_PATH ? resolve(expandHome(e.OPENCLAW_CONFIG_PATH, home)) : join(openclawHome, 'openclaw.json'),
    openclawAgentId: e.OPENCLAW_AGENT_ID ?? DEFAULTS.openclawAgentId,
    gatewayUrl: e.OPENCLAW_GATEWAY_URL,
    gatewayToken: e.OPENCLAW_GATEWAY_TOKEN,
    openclawBin: e.OPENCLAW_BIN,
  };
  return Object.freeze(config);
}

/** `abcd…wxyz` (or `a…z` for tokens of 8 characters or fewer); never the whole secret. */
export function maskToken(token: string | undefined): string {
  if (!token) return '(unset)';
  if (token.length <= 8) return `${token.slice(0, 1)}…${token.slice(-1)}`;
  return `${token.slice(0, 4)}…${token.slice(-4)}`;
}
