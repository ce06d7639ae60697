import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { WttError } from './errors.js';

/** The repository root: the skill folder unless WTT_SKILL_DIR names another. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), existsSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json')) ? '..' : '../..');

/** Defaults, with units in the names. */
export const DEFAULTS = Object.freeze({
  apiUrl: 'http://127.0.0.1:8787',
  pollIntervalS: 30,
  heartbeatS: 15,
  livenessS: 35,
  httpTimeoutS: 30,
  maxConcurrentTasks: 4,
  taskMaxRuntimeS: 600,
  taskStaleTimeoutS: 900,
  hubHost: '127.0.0.1',
  hubPort: 8787,
  openclawAgentId: 'main',
  logLevel: 'info',
});

const seconds = (key: string, min: number, def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min) {
        ctx.addIssue({ code: 'custom', message: `${key} must be a number of seconds ≥ ${min}, got '${v}'` });
        return z.NEVER;
      }
      return n;
    });

const count = (key: string, min: number, def: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: 'custom', message: `${key} must be a whole number ≥ ${min}, got '${v}'` });
        return z.NEVER;
      }
      return n;
    });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const httpUrl = (key: string, schemes: readonly string[]) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      let u: URL;
      try {
        u = new URL(v.trim());
      } catch {
        ctx.addIssue({ code: 'custom', message: `${key} must be a URL (${schemes.join(' or ')}), got '${v}'` });
        return z.NEVER;
      }
      if (!schemes.includes(u.protocol.replace(':', ''))) {
        ctx.addIssue({ code: 'custom', message: `${key} must use ${schemes.join(' or ')}, got '${u.protocol}'` });
        return z.NEVER;
      }
      return v.trim().replace(/\/+$/, '');
    });

/** Every environment variable the runtime reads (see .env.example). */
export const EnvSchema = z.object({
  WTT_AGENT_ID: optionalText,
  WTT_AGENT_TOKEN: optionalText,
  WTT_API_URL: httpUrl('WTT_API_URL', ['http', 'https']),
  WTT_WS_URL: httpUrl('WTT_WS_URL', ['ws', 'wss']),
  WTT_BEARER_TOKEN: optionalText,
  WTT_IM_CHANNEL: optionalText,
  WTT_IM_TARGET: optionalText,
  WTT_IM_TARGETS: optionalText,
  WTT_IM_FALLBACKS: optionalText,
  WTT_POLL_INTERVAL: seconds('WTT_POLL_INTERVAL', 1, DEFAULTS.pollIntervalS),
  WTT_HEARTBEAT_S: seconds('WTT_HEARTBEAT_S', 1, DEFAULTS.heartbeatS),
  WTT_LIVENESS_S: seconds('WTT_LIVENESS_S', 2, DEFAULTS.livenessS),
  WTT_HTTP_TIMEOUT_S: seconds('WTT_HTTP_TIMEOUT_S', 1, DEFAULTS.httpTimeoutS),
  WTT_MAX_CONCURRENT_TASKS: count('WTT_MAX_CONCURRENT_TASKS', 1, DEFAULTS.maxConcurrentTasks),
  WTT_TASK_MAX_RUNTIME: seconds('WTT_TASK_MAX_RUNTIME', 1, DEFAULTS.taskMaxRuntimeS),
  WTT_TASK_STALE_TIMEOUT: seconds('WTT_TASK_STALE_TIMEOUT', 1, DEFAULTS.taskStaleTimeoutS),
  WTT_AGENT_NAME: optionalText,
  WTT_DISPLAY_NAME: optionalText,
  WTT_STATE_DIR: optionalText,
  WTT_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional()
    .catch(() => DEFAULTS.logLevel as 'info'),
  WTT_HUB_HOST: optionalText,
  WTT_HUB_PORT: count('WTT_HUB_PORT', 0, DEFAULTS.hubPort),
  OPENCLAW_HOME: optionalText,
  OPENCLAW_CONFIG_PATH: optionalText,
  OPENCLAW_AGENT_ID: optionalText,
  OPENCLAW_GATEWAY_URL: httpUrl('OPENCLAW_GATEWAY_URL', ['http', 'https']),
  OPENCLAW_GATEWAY_TOKEN: optionalText,
  OPENCLAW_BIN: optionalText,
});

export interface ImRoute {
  channel: string;
  target: string;
}

export interface Config {
  skillDir: string;
  envFile: string;
  stateDir: string;
  agentId: string | undefined;
  agentToken: string | undefined;
  apiUrl: string;
  wsUrl: string;
  bearerToken: string | undefined;
  imChannel: string | undefined;
  imTargets: readonly string[];
  imFallbacks: readonly ImRoute[];
  pollIntervalMs: number;
  heartbeatMs: number;
  livenessMs: number;
  httpTimeoutMs: number;
  maxConcurrentTasks: number;
  taskMaxRuntimeMs: number;
  taskStaleTimeoutMs: number;
  mentionNames: readonly string[];
  logLevel: string;
  hubHost: string;
  hubPort: number;
  openclawHome: string;
  openclawConfigPath: string;
  openclawAgentId: string;
  gatewayUrl: string | undefined;
  gatewayToken: string | undefined;
  openclawBin: string | undefined;
}

/** `http://h/x` → `ws://h/x/ws` (§4.1). */
export function deriveWsUrl(apiUrl: string): string {
  return `${apiUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/ws`;
}

export function skillDirFrom(env: NodeJS.ProcessEnv): string {
  const d = env.WTT_SKILL_DIR?.trim();
  return d ? resolve(d) : REPO_ROOT;
}

/** Read `<skillDir>/.env` as key → value; missing file → {}. Parse problems are the .env module's job. */
export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseDotenv(readFileSync(path));
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
  const skillDir = skillDirFrom(env);
  const envFile = join(skillDir, '.env');
  const fileVars = opts.ignoreEnvFile ? {} : readEnvFile(envFile);
  const merged: Record<string, string | undefined> = { ...fileVars };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) merged[k] = v;
  const r = EnvSchema.safeParse(merged);
  if (!r.success) {
    const lines = r.error.issues.map((i) => i.message.includes(String(i.path[0])) ? i.message : `${String(i.path[0])}: ${i.message}`);
    throw new WttError('WTT_ERR_CONFIG', { message: `Configuration error:\n- ${lines.join('\n- ')}` });
  }
  const e = r.data;
  const apiUrl = e.WTT_API_URL ?? DEFAULTS.apiUrl;
  const home = env.HOME ?? process.env.HOME ?? '.';
  const openclawHome = e.OPENCLAW_HOME ?? join(home, '.openclaw');
  const stateDir = e.WTT_STATE_DIR ? (isAbsolute(e.WTT_STATE_DIR) ? e.WTT_STATE_DIR : resolve(skillDir, e.WTT_STATE_DIR)) : join(skillDir, '.wtt');
  const targets = (e.WTT_IM_TARGETS ?? e.WTT_IM_TARGET ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const fallbacks: ImRoute[] = [];
  for (const part of (e.WTT_IM_FALLBACKS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const i = part.indexOf(':');
    if (i <= 0 || i === part.length - 1) {
      throw new WttError('WTT_ERR_CONFIG', { message: `Configuration error:\n- WTT_IM_FALLBACKS must be a comma list of channel:target, got '${part}'` });
    }
    fallbacks.push({ channel: part.slice(0, i), target: part.slice(i + 1) });
  }
  const config: Config = {
    skillDir,
    envFile,
    stateDir,
    agentId: e.WTT_AGENT_ID,
    agentToken: e.WTT_AGENT_TOKEN,
    apiUrl,
    wsUrl: e.WTT_WS_URL ?? deriveWsUrl(apiUrl),
    bearerToken: e.WTT_BEARER_TOKEN,
    imChannel: e.WTT_IM_CHANNEL,
    imTargets: Object.freeze(targets),
    imFallbacks: Object.freeze(fallbacks),
    pollIntervalMs: e.WTT_POLL_INTERVAL * 1000,
    heartbeatMs: e.WTT_HEARTBEAT_S * 1000,
    livenessMs: e.WTT_LIVENESS_S * 1000,
    httpTimeoutMs: e.WTT_HTTP_TIMEOUT_S * 1000,
    maxConcurrentTasks: e.WTT_MAX_CONCURRENT_TASKS,
    taskMaxRuntimeMs: e.WTT_TASK_MAX_RUNTIME * 1000,
    taskStaleTimeoutMs: e.WTT_TASK_STALE_TIMEOUT * 1000,
    mentionNames: Object.freeze([e.WTT_AGENT_NAME, e.WTT_DISPLAY_NAME].filter((x): x is string => Boolean(x))),
    logLevel: e.WTT_LOG_LEVEL ?? DEFAULTS.logLevel,
    hubHost: e.WTT_HUB_HOST ?? DEFAULTS.hubHost,
    hubPort: e.WTT_HUB_PORT,
    openclawHome,
    openclawConfigPath: e.OPENCLAW_CONFIG_PATH ?? join(openclawHome, 'openclaw.json'),
    openclawAgentId: e.OPENCLAW_AGENT_ID ?? DEFAULTS.openclawAgentId,
    gatewayUrl: e.OPENCLAW_GATEWAY_URL,
    gatewayToken: e.OPENCLAW_GATEWAY_TOKEN,
    openclawBin: e.OPENCLAW_BIN,
  };
  return Object.freeze(config);
}

/** `abcd…wxyz` (or `a…z` for short tokens); never the whole secret. */
export function maskToken(token: string | undefined): string {
  if (!token) return '(unset)';
  if (token.length <= 8) return `${token.slice(0, 1)}…${token.slice(-1)}`;
  return `${token.slice(0, 4)}…${token.slice(-4)}`;
}
