/**
 * A command module: ONE file per verb holding its grammar, usage, handler and format. Adding a verb
 * is writing its module and listing it in modules/index.ts; the grammar, help, dispatch and the
 * `Command` type pick it up from there.
 *
 * Modules must stay light at load time (`wtt help` loads them all): heavy imports go inside `run`.
 */
import type { CommandContext } from './context.js';
import type { UsageEntry } from './usage.js';

/** The part of the grammar's word reader a module uses. Every method throws a UsageError on bad input. */
export interface ArgReader {
  /** The next word, or undefined at the end. */
  optWord(): { value: string } | undefined;
  /** The next word; missing → "missing <name>". */
  word(name: string): string;
  /** The one remaining word; missing or extra → a usage error. */
  single(name: string): string;
  /** No more words allowed. */
  end(): void;
  /** A usage error with this problem. */
  problem(problem: string): never;
}

export interface CommandModule<Name extends string = string, Args = unknown> {
  /** The canonical command word (`trace`); also its help topic. */
  readonly name: Name;
  readonly usage: UsageEntry;
  /** The overview section it is listed under. */
  readonly section: string;
  parse(r: ArgReader): Args;
  /** Runs the command and returns the text to show. Throws WttError / UsageError on failure. */
  run(args: Args, ctx: CommandContext): Promise<string>;
}

export function defineCommand<const Name extends string, Args>(m: CommandModule<Name, Args>): CommandModule<Name, Args> {
  return m;
}
