/**
 * The logger: pino, JSON lines. Where the lines go (createLogger options):
 *   - `file`: a rotated file in the state dir (pino-roll: `<dir>/wtt.<n>.log` and `current.log`
 *     linking to the newest, rolled by size and daily, at most `keep` files);
 *   - the console (stderr, so that stdout stays the command's output): pretty (pino-pretty) when
 *     stderr is a terminal, JSON otherwise; when a file is written too, a console that is not a
 *     terminal (a service's captured stderr) gets only warnings and errors;
 *   - or `destination`: one stream instead of the console (tests).
 * Secrets never reach any of them: pino's path redaction first (REDACT_PATHS), then every line is
 * scrubbed again before it is written: keys that name a credential at any depth, text that looks
 * like one (Bearer/Basic, `wtt_sk_…`, JWTs, bot tokens, `token=` in URLs, user:password@), and the
 * configured secret values themselves (`secrets`, `addLogSecrets`).
 */
import { mkdirSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

const REDACTED = '[Redacted]';

/** Keys whose values never reach a log line (pino's path redaction; the line scrub covers any depth). */
export const REDACT_PATHS = [
  'token', 'agent_token', 'access_token', 'api_key', 'password', 'authorization', 'Authorization',
  'x-agent-token', 'X-Agent-Token', 'bearer', 'gatewayToken', 'agentToken', 'bearerToken', 'botToken',
  'secret', 'webhookSecret', 'webhook_secret', 'apiKey',
  '*.token', '*.agent_token', '*.access_token', '*.api_key', '*.password', '*.authorization', '*.Authorization',
  '*.gatewayToken', '*.agentToken', '*.bearer', '*.bearerToken', '*.botToken', '*.secret', '*.webhookSecret',
  '*.webhook_secret', '*.apiKey',
  'headers.authorization', 'headers["x-agent-token"]', 'req.headers.authorization', 'req.headers["x-agent-token"]',
  'config.agentToken', 'config.gatewayToken', 'config.bearerToken', 'config.webhookSecret',
];

/** Whether an object key names a credential (any depth): `token`, `agent_token`, `gatewayToken`, `x-api-key`, … */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z]/g, '');
  if (k === 'authorization' || k === 'proxyauthorization' || k === 'cookie' || k === 'setcookie' || k === 'bearer') return true;
  if (k.includes('password') || k.includes('passwd') || k.includes('secret')) return true;
  // `max_tokens`, `tokens_used` are counts, not tokens.
  if (k.endsWith('token')) return true;
  return k.endsWith('apikey') || k.endsWith('privatekey') || k.endsWith('accesskey') || k.endsWith('authkey');
}

const TEXT_PATTERNS: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1$2${REDACTED}`],
  [/\bwtt_sk_[A-Za-z0-9_-]+/g, `wtt_sk_${REDACTED}`],
  // JWTs: three base64url parts, the first a JSON header.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Telegram bot tokens (`123456789:AA…`), also inside Bot API URLs.
  [/(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}/g, REDACTED],
  [/([?&#](?:[a-z_]*token|api[_-]?key|key|secret|password|sig|signature|code)=)[^&\s"'#]+/gi, `$1${REDACTED}`],
  // `token: x`, `"agent_token":"x"`, `password=x` inside free text.
  [/(\b(?:[a-z_-]*token|[a-z_-]*secret|password|passwd|api[_-]?key|x-agent-token|authorization)\\?["']?\s*[:=]\s*\\?["']?)(?!\[Redacted\])(?!Bearer\b|Basic\b)[^\s"'\\,;&}]{4,}/gi, `$1${REDACTED}`],
  // user:password@host in URLs.
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${REDACTED}@`],
];

/** Scrub anything that looks like a credential, and the given secret values, out of free text. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    out = out.split(s).join(REDACTED);
    // The same value as it appears inside a JSON string (quotes, backslashes escaped).
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) out = out.split(escaped).join(REDACTED);
  }
  for (const [re, to] of TEXT_PATTERNS) out = out.replace(re, to);
  return out;
}

/** A copy of a parsed log line with every credential key and credential-looking text redacted. */
export function scrubValue(value: unknown, secrets: readonly (string | undefined)[] = [], depth = 0): unknown {
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[scrubSecrets(k, secrets)] = isSecretKey(k) && v !== null && v !== '' && typeof v !== 'boolean' ? REDACTED : scrubValue(v, secrets, depth + 1);
  }
  return out;
}

export interface LogFileOptions {
  /** The folder of the log files (created when missing), e.g. `<stateDir>/logs`. */
  dir: string;
  /** Base name: `<name>.<n>.log`; default `wtt`. */
  name?: string;
  /** Roll when the file reaches this size: a number of bytes or `'10m'`, `'500k'`; default `'10m'`. */
  size?: number | string;
  /** Roll also by time: `'daily'` (default), `'hourly'`, a number of ms, or `false`. */
  frequency?: 'daily' | 'hourly' | number | false;
  /** Files kept, the current one included; older ones are deleted. Default 7. */
  keep?: number;
  /**
   * Open the file only after this many ms (default 0: at once). pino-roll loads date-fns whole
   * (~250 modules, 50–300 ms here), so the daemon opens its file after it is live rather than on
   * its start-up path. Lines before are kept in memory (in order, up to 10,000) and written first;
   * `closeLogger` opens the file at once if it is not open yet; a process that exits before it
   * opened writes those lines to stderr instead, so that none is lost.
   */
  openAfterMs?: number;
}

export interface LogOptions {
  level?: string;
  name?: string;
  /** One stream instead of the console (tests); the file, if any, is still written. */
  destination?: DestinationStream;
  /** Also write to a rotated file. */
  file?: LogFileOptions;
  /** The console on stderr: `'auto'` (default: pretty in a terminal, JSON otherwise), `'pretty'`, `'json'`, or `false`. */
  console?: 'auto' | 'pretty' | 'json' | false;
  /** Level of the console; default: `level`, or `warn` when a file is written and stderr is not a terminal. */
  consoleLevel?: string;
  /** Secret values (agent token, gateway token, bearer, webhook secret) removed from every line. */
  secrets?: readonly (string | undefined)[];
}

interface Target {
  min: number;
  write(line: string): void;
}

/** The fan-out behind a logger: scrubs each line, then writes it to every target whose level it reaches. */
class ScrubbingDestination {
  readonly secrets = new Set<string>();
  readonly targets: Target[] = [];
  /** Settles when the file (if any) is open and every line queued before is written. */
  ready: Promise<void> = Promise.resolve();
  close: () => Promise<void> = async () => {};
  /** Opens a deferred log file now (a no-op once it is open or when there is none). */
  openNow: () => Promise<void> = () => this.ready;

  write(line: string): boolean {
    const secrets = [...this.secrets];
    let out: string;
    let level = Number.POSITIVE_INFINITY;
    try {
      const obj = JSON.parse(line) as unknown;
      if (obj && typeof obj === 'object' && 'level' in obj && typeof obj.level === 'number') level = obj.level;
      out = `${JSON.stringify(scrubValue(obj, secrets))}\n`;
    } catch {
      out = scrubSecrets(line, secrets);
    }
    for (const t of this.targets) if (level >= t.min) t.write(out);
    return true;
  }
}

const SCRUBBER = Symbol.for('wtt.log.scrubber');
type WithScrubber = Logger & { [SCRUBBER]?: ScrubbingDestination };

const require = createRequire(import.meta.url);

function levelValue(level: string): number {
  return level === 'silent' ? Number.POSITIVE_INFINITY : (pino.levels.values[level] ?? pino.levels.values.info ?? 30);
}

function consoleTarget(kind: 'pretty' | 'json', min: number): Target {
  if (kind === 'pretty') {
    try {
      // Loaded only when wanted: a terminal.
      const pretty = require('pino-pretty') as (o: Record<string, unknown>) => NodeJS.WritableStream;
      const stream = pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
      return { min, write: (l) => void stream.write(l) };
    } catch {
      // fall back to JSON
    }
  }
  const stream = pino.destination({ fd: 2, sync: true });
  return { min, write: (l) => void stream.write(l) };
}

interface RollStream {
  write(s: string): boolean;
  on(ev: 'error', f: (e: Error) => void): unknown;
  flushSync(): void;
  end(): void;
  once(ev: 'close', f: () => void): unknown;
}

function fileTarget(o: LogFileOptions, dest: ScrubbingDestination, min: number): Target {
  mkdirSync(o.dir, { recursive: true });
  const queue: string[] = [];
  let stream: RollStream | undefined;
  let failed = false;
  const warn = (e: unknown) => {
    if (failed) return;
    failed = true;
    process.stderr.write(`wtt: cannot write the log file in ${o.dir}: ${e instanceof Error ? e.message : String(e)}\n`);
  };
  const keep = Math.max(1, o.keep ?? 7);
  let markReady: () => void = () => undefined;
  dest.ready = new Promise<void>((resolve) => (markReady = resolve));
  let timer: NodeJS.Timeout | undefined;
  let opening: Promise<void> | undefined;
  // Exiting before the file opened: the queued lines go to stderr rather than nowhere.
  const spill = () => {
    if (stream || queue.length === 0) return;
    try {
      writeSync(2, queue.splice(0).join(''));
    } catch {
      // stderr is closed: nothing more can be done
    }
  };
  const open = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    opening ??= (async () => {
      const roll = require('pino-roll') as (o: Record<string, unknown>) => Promise<RollStream>;
      return roll({
        file: join(o.dir, o.name ?? 'wtt'),
        extension: '.log',
        size: o.size ?? '10m',
        ...(o.frequency === false ? {} : { frequency: o.frequency ?? 'daily' }),
        limit: { count: keep, removeOtherLogFiles: true },
        symlink: true,
        mkdir: true,
        sync: true,
      });
    })().then(
      (s) => {
        stream = s;
        s.on('error', warn);
        for (const l of queue.splice(0)) s.write(l);
      },
      (e: unknown) => {
        warn(e);
        queue.length = 0;
      },
    ).finally(() => {
      process.off('exit', spill);
      markReady();
    });
    return opening;
  };
  dest.openNow = open;
  const delay = o.openAfterMs ?? 0;
  if (delay <= 0) {
    void open();
  } else {
    process.once('exit', spill);
    timer = setTimeout(() => void open(), delay);
    timer.unref();
  }
  dest.close = async () => {
    await dest.openNow();
    const s = stream;
    if (!s) return;
    stream = undefined;
    await new Promise<void>((resolve) => {
      s.once('close', () => resolve());
      try {
        s.flushSync();
      } catch {
        // nothing buffered
      }
      s.end();
    });
  };
  return {
    min,
    write(l) {
      if (stream) stream.write(l);
      else if (!failed && queue.length < 10_000) queue.push(l);
    },
  };
}

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? process.env.WTT_LOG_LEVEL ?? 'info';
  const dest = new ScrubbingDestination();
  for (const s of opts.secrets ?? []) if (s && s.length >= 4) dest.secrets.add(s);
  const base = levelValue(level);
  if (opts.file) dest.targets.push(fileTarget(opts.file, dest, base));
  if (opts.destination) {
    const d = opts.destination;
    dest.targets.push({ min: base, write: (l) => void d.write(l) });
  } else if (opts.console !== false) {
    const tty = process.stderr.isTTY === true;
    const kind = opts.console === 'pretty' || opts.console === 'json' ? opts.console : tty ? 'pretty' : 'json';
    const consoleLevel = opts.consoleLevel ?? (opts.file && !tty ? 'warn' : level);
    dest.targets.push(consoleTarget(kind, Math.max(base, levelValue(consoleLevel))));
  }
  const options: LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    base: opts.name ? { name: opts.name } : null,
  };
  const log = pino(options, dest) as WithScrubber;
  log[SCRUBBER] = dest;
  return log;
}

/** Adds secret values learnt later (a token from registration) to a logger and its children. */
export function addLogSecrets(log: Logger, secrets: readonly (string | undefined)[]): void {
  const dest = (log as WithScrubber)[SCRUBBER];
  if (dest) for (const s of secrets) if (s && s.length >= 4) dest.secrets.add(s);
}

/** Waits until the log file is open and every line so far is written, then closes it (at shutdown). */
export async function closeLogger(log: Logger): Promise<void> {
  await (log as WithScrubber)[SCRUBBER]?.close();
}

/** Settles when the log file (if any) is open and the lines queued before are in it. */
export function loggerReady(log: Logger): Promise<void> {
  return (log as WithScrubber)[SCRUBBER]?.ready ?? Promise.resolve();
}

export type { Logger };
