/**
 * `wtt hub [--host 127.0.0.1] [--port 8787] [--data DIR] [--auth required|legacy] [--rate-limit N]`:
 * runs the local hub until SIGINT/SIGTERM. Prints exactly one line on stdout: `listening on http://HOST:PORT`.
 */
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { isWttError } from '../errors.js';
import { createLogger } from '../log.js';
import { buildHub, type HubOptions } from './index.js';
import { flagName, flagValue, LIMIT_USAGE, takeLimitFlag, wholeArg } from './limit-args.js';
import type { HubLimits } from './limits.js';

export const USAGE = `usage: wtt hub [--host HOST] [--port PORT] [--data DIR] [--auth required|legacy] [--rate-limit N] [limits]
  --host        address to bind (default WTT_HUB_HOST or 127.0.0.1)
  --port        port, 0 = any free port (default WTT_HUB_PORT or 8787)
  --data        data directory (default <state dir>/hub)
  --auth        required (default): agent calls need the agent token; legacy: trust agent_id/sender_id
  --rate-limit  requests per minute per agent, 0 = off (default 6000)
limits (docs/hub.md, "Every limit"; a list flag may be repeated, '' empties it):
${LIMIT_USAGE}
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
    const flag = flagName(arg);
    const value = (): string => {
      const v = flagValue(argv, i);
      i = v.last;
      return v.value;
    };
    switch (flag) {
      case '--host': out.host = value(); break;
      case '--port': out.port = wholeArg('--port', value(), 65535); break;
      case '--data': out.data = value(); break;
      case '--auth': {
        const v = value();
        if (v !== 'required' && v !== 'legacy') throw new Error(`--auth must be required or legacy, got '${v}'`);
        out.auth = v;
        break;
      }
      case '--rate-limit': out.rateLimit = wholeArg('--rate-limit', value(), 1_000_000_000); break;
      default: {
        const last = takeLimitFlag(argv, i, (out.limits ??= {}));
        if (last === undefined) throw new Error(`unknown argument '${arg}'`);
        i = last;
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
