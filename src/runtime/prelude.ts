/**
 * The common start of a long-running subcommand (`wtt up`, `wtt tail`): `--help`, flag parsing and
 * configuration, with usage errors on stderr (exit 2) and configuration errors (exit 1).
 */
import { loadConfig, type Config } from '../config.js';
import { WttError } from '../errors.js';

export type Prelude<T> = { ok: true; flags: T; config: Readonly<Config> } | { ok: false; exitCode: number };

export function prelude<T>(name: string, usage: string, argv: readonly string[], parse: (argv: readonly string[]) => T): Prelude<T> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    return { ok: false, exitCode: 0 };
  }
  try {
    const flags = parse(argv);
    return { ok: true, flags, config: loadConfig() };
  } catch (e) {
    const isUsage = e instanceof WttError && e.code === 'WTT_ERR_USAGE';
    process.stderr.write(`wtt ${name}: ${e instanceof Error ? e.message : String(e)}\n${isUsage ? `${usage}\n` : ''}`);
    return { ok: false, exitCode: isUsage ? 2 : 1 };
  }
}
