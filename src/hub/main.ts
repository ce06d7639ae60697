/**
 * `wtt hub [--host 127.0.0.1] [--port 8787] [--data DIR] [--auth required|legacy] [--rate-limit N]`:
 * runs the local hub until SIGINT/SIGTERM. Prints exactly one line on stdout: `listening on http://HOST:PORT`.
 */
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { isWttError } from '../errors.js';
import { createLogger } from '../log.js';
import { buildHub, type HubOptions } from './index.js';
import { DEFAULT_LIMITS, LIMIT_FLAGS, type HubLimits } from './limits.js';

const limitUsage = LIMIT_FLAGS.map((f) => {
  const d = DEFAULT_LIMITS[f.key];
  const shown = Array.isArray(d) ? (d.length ? d.join(',') : 'none') : String(d);
  return `  ${`${f.flag} ${f.kind === 'list' ? 'A,B' : 'N'}`.padEnd(34)} ${f.key} (default ${shown})`;
}).join('\n');

export const USAGE = `usage: wtt hub [--host HOST] [--port PORT] [--data DIR] [--auth required|legacy] [--rate-limit N] [limits]
  --host        address to bind (default WTT_HUB_HOST or 127.0.0.1)
  --port        port, 0 = any free port (default WTT_HUB_PORT or 8787)
  --data        data directory (default <state dir>/hub)
  --auth        required (default): agent calls need the agent token; legacy: trust agent_id/sender_id
  --rate-limit  requests per minute per agent, 0 = off (default 6000)
limits (docs/hub.md, "Every limit"; a list flag may be repeated, '' empties it):
${limitUsage}
`;

export interface HubArgs {
  host?: string;
  port?: number;
  data?: string;
  auth?: 'required' | 'legacy';
  rateLimit?: number;
  limits?: Partial<HubLimits>;
}

/** Parse the flags; a problem → an Error whose message names it. */
export function parseHubArgs(argv: readonly string[]): HubArgs {
  const out: HubArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
    const whole = (name: string, v: string, max: number): number => {
      const n = Number(v);
      if (!/^\d+$/.test(v) || n > max) throw new Error(`${name} must be a whole number from 0 to ${max}, got '${v}'`);
      return n;
    };
    switch (flag) {
      case '--host': out.host = value(); break;
      case '--port': out.port = whole('--port', value(), 65535); break;
      case '--data': out.data = value(); break;
      case '--auth': {
        const v = value();
        if (v !== 'required' && v !== 'legacy') throw new Error(`--auth must be required or legacy, got '${v}'`);
        out.auth = v;
        break;
      }
      case '--rate-limit': out.rateLimit = whole('--rate-limit', value(), 1_000_000_000); break;
      default: {
        const lf = LIMIT_FLAGS.find((f) => f.flag === flag);
        if (!lf) throw new Error(`unknown argument '${arg}'`);
        const v = value();
        const limits = (out.limits ??= {}) as Record<string, unknown>;
        if (lf.kind === 'list') {
          const items = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
          limits[lf.key] = [...((limits[lf.key] as string[] | undefined) ?? []), ...items];
        } else {
          const n = whole(flag, v, Number.MAX_SAFE_INTEGER);
          if (n < (lf.min ?? 1)) throw new Error(`${flag} must be at least ${lf.min ?? 1}, got '${v}'`);
          limits[lf.key] = n;
        }
      }
    }
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let args: HubArgs;
  try {
    args = parseHubArgs(argv);
  } catch (e) {
    process.stderr.write(`wtt hub: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`wtt hub: ${isWttError(e) ? e.message : String(e)}\n`);
    return 1;
  }
  const log = createLogger({ level: config.logLevel, name: 'wtt-hub' });
  const opts: HubOptions = {
    dataDir: resolve(args.data ?? join(config.stateDir, 'hub')),
    authMode: args.auth ?? 'required',
    rateLimit: args.rateLimit === 0 ? false : args.rateLimit !== undefined ? { max: args.rateLimit, windowMs: 60_000 } : undefined,
    logger: log,
    ...(args.limits ? { limits: args.limits } : {}),
  };
  if (opts.rateLimit === undefined) delete opts.rateLimit;
  let hub;
  try {
    hub = await buildHub(opts);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    process.stderr.write(`wtt hub: ${e.message}\n${USAGE}`);
    return 2;
  }
  let url: string;
  try {
    ({ url } = await hub.listen({ host: args.host ?? config.hubHost, port: args.port ?? config.hubPort }));
  } catch (e) {
    await hub.close();
    process.stderr.write(`wtt hub: cannot listen: ${(e as Error).message}\n`);
    return 1;
  }
  // Handlers first: whoever reads the line may signal at once.
  const stopped = new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'hub shutting down');
      hub.close().then(
        () => done(0),
        (err: unknown) => {
          log.error({ err }, 'hub did not close cleanly');
          done(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write(`listening on ${url}\n`);
  return stopped;
}
