/**
 * The `wtt <command words>` CLI. Help is answered before anything heavy loads (no config, no
 * undici/ws/zod): `wtt help` and `wtt <cmd> --help` work offline and start fast. Everything else
 * builds a REST context and calls `run`. (A running daemon has answered before this loads:
 * src/commands/fast-path.ts.) Output on stdout, exit 0; failures on stderr, exit 1;
 * wrong usage on stderr, exit 2.
 *
 * argv rule: one argument holding whitespace is the whole command as written
 * (`wtt 'publish t1 "hello world"'`: quotes and newlines inside it count as in chat); otherwise the
 * arguments are the words the shell split, re-joined with double quotes put back around words that
 * need them, and a content argument is the remaining words joined by one space (see `parseArgv`).
 */
import { setFlagsFromString } from 'node:v8';
import type { Command } from './command.js';
import { parseArgv } from './grammar.js';
import { helpFor, isUsageError, overview } from './usage.js';

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

export async function main(argv: string[]): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseArgv(argv);
  } catch (e) {
    if (!isUsageError(e)) throw e;
    err(e.message);
    return 2;
  }
  if (cmd.kind === 'help') {
    out(cmd.topic ? helpFor(cmd.topic) : overview());
    return 0;
  }
  // A one-shot process: keep undici's WASM HTTP parser at V8's baseline tier. Optimising it
  // (TurboFan) finishes only after our single request, and V8 waits for that at exit: ~50 ms of a
  // ~250 ms `wtt list` (scripts/bench-cli.mjs). Must run before undici compiles the parser.
  setFlagsFromString('--liftoff-only');
  const { loadConfig } = await import('../config.js');
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    return 1;
  }
  const { createContext } = await import('./cli-context.js');
  let ctx;
  try {
    ctx = await createContext(process.env, config);
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    return 1;
  }
  const { run } = await import('./run.js');
  const r = await run(cmd, ctx);
  if (r.exitCode === 0) out(r.text);
  else err(r.text);
  return r.exitCode;
}
