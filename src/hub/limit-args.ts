/**
 * The command-line side of the limit table (src/hub/limits.ts): `--max-body-bytes N`,
 * `--preview-allow A,B`, … read the same way by `wtt hub` and `wtt up` (which passes them to its
 * embedded hub), and the usage lines both print.
 */
import { DEFAULT_LIMITS, LIMIT_FLAGS, type HubLimits } from './limits.js';

/** One usage line per limit flag. */
export const LIMIT_USAGE = LIMIT_FLAGS.map((f) => {
  const d = DEFAULT_LIMITS[f.key];
  const shown = Array.isArray(d) ? (d.length ? d.join(',') : 'none') : String(d);
  return `  ${`${f.flag} ${f.kind === 'list' ? 'A,B' : 'N'}`.padEnd(34)} ${f.key} (default ${shown})`;
}).join('\n');

/** `--flag` of `--flag=V` or `--flag`. */
export const flagName = (arg: string): string => {
  const eq = arg.indexOf('=');
  return arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
};

/** The value of the flag at `argv[i]` (`--flag=V` or `--flag V`) and the index of the last argument it used. */
export function flagValue(argv: readonly string[], i: number): { value: string; last: number } {
  const arg = argv[i] as string;
  const eq = arg.indexOf('=');
  if (arg.startsWith('--') && eq > 0) return { value: arg.slice(eq + 1), last: i };
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value`);
  return { value: v, last: i + 1 };
}

/** A whole number from 0 to `max`, or an Error naming the flag. */
export function wholeArg(name: string, v: string, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > max) throw new Error(`${name} must be a whole number from 0 to ${max}, got '${v}'`);
  return n;
}

/**
 * Reads the limit flag at `argv[i]` into `limits` (a list flag may be repeated and adds to the
 * list; '' adds nothing). Returns the index of the last argument used, or undefined when `argv[i]`
 * is not a limit flag. A bad value → an Error whose message names the flag.
 */
export function takeLimitFlag(argv: readonly string[], i: number, limits: Partial<HubLimits>): number | undefined {
  const flag = flagName(argv[i] as string);
  const lf = LIMIT_FLAGS.find((f) => f.flag === flag);
  if (!lf) return undefined;
  const { value: v, last } = flagValue(argv, i);
  const out = limits as Record<string, unknown>;
  if (lf.kind === 'list') {
    const items = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
    out[lf.key] = [...((out[lf.key] as string[] | undefined) ?? []), ...items];
  } else {
    const n = wholeArg(flag, v, Number.MAX_SAFE_INTEGER);
    if (n < (lf.min ?? 1)) throw new Error(`${flag} must be at least ${lf.min ?? 1}, got '${v}'`);
    out[lf.key] = n;
  }
  return last;
}
