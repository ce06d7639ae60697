/**
 * `wtt hub [--host 127.0.0.1] [--port 8787] [--data DIR] [--auth required|legacy] [--rate-limit N]`:
 * runs the local hub until SIGINT/SIGTERM. Prints exactly one line on stdout: `listening on http://HOST:PORT`.
 */
import { join, resolve } from 'node:path';
import { loadConfig } from '../config.js';
import { isWttError } from '../errors.js';
import { createLogger } from '../log.js';
import { buildHub, type HubOptions } from './index.js';

export const USAGE = `usage: wtt hub [--host HOST] [--port PORT] [--data DIR] [--auth required|legacy] [--rate-limit N]
  --host        address to bind (default WTT_HUB_HOST or 127.0.0.1)
  --port        port, 0 = any free port (default WTT_HUB_PORT or 8787)
  --data        data directory (default <state dir>/hub)
  --auth        required (default): agent calls need the agent token; legacy: trust agent_id/sender_id
  --rate-limit  requests per minute per agent, 0 = off (default 6000)
`;

export interface HubArgs {
  host?: string;
  port?: number;
  data?: string;
  auth?: 'required' | 'legacy';
  rateLimit?: number;
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
      default: throw new Error(`unknown argument '${arg}'`);
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
  };
  if (opts.rateLimit === undefined) delete opts.rateLimit;
  const hub = await buildHub(opts);
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
