/**
 * `run(text | Command, ctx)`: the whole command layer as one plain function, so the CLI (REST, in
 * process) and the daemon (over its control socket, sharing its live WebSocket) serve the same
 * commands the same way. Never throws: every outcome is text plus an exit code
 * (0 done, 1 failed, 2 wrong usage). Error texts carry no stack and no secret.
 */
import { isWttError } from '../errors.js';
import { scrubSecrets } from '../log.js';
import type { Command } from './command.js';
import type { CommandContext } from './context.js';
import { parseCommand } from './grammar.js';
import { moduleFor } from './modules/index.js';
import { helpFor, isUsageError, overview } from './usage.js';

export type ExitCode = 0 | 1 | 2;

export interface RunResult {
  text: string;
  exitCode: ExitCode;
}

/** Help needs no context: `wtt help` and `wtt <cmd> --help` work offline. */
export function helpText(cmd: Extract<Command, { kind: 'help' }>): string {
  return cmd.topic ? helpFor(cmd.topic) : overview();
}

async function dispatch(cmd: Command, ctx: CommandContext): Promise<string> {
  if ('args' in cmd) {
    const mod = moduleFor(cmd.kind);
    if (!mod) throw new Error(`no command module named ${cmd.kind}`);
    return (mod.run as (args: unknown, ctx: CommandContext) => Promise<string>)(cmd.args, ctx);
  }
  switch (cmd.kind) {
    case 'help':
      return helpText(cmd);
    case 'list':
    case 'find':
    case 'create':
    case 'delete':
    case 'detail':
    case 'subscribed':
    case 'join':
    case 'leave':
      return (await import('./handlers/topics.js')).handleTopic(cmd, ctx);
    case 'history':
    case 'publish':
    case 'poll':
    case 'p2p':
    case 'feed':
    case 'inbox':
      return (await import('./handlers/messages.js')).handleMessage(cmd, ctx);
    case 'task.list':
    case 'task.create':
    case 'task.detail':
    case 'task.update':
    case 'task.assign':
    case 'task.run':
    case 'task.review':
    case 'task.delete':
    case 'task.deps.add':
    case 'task.deps.remove':
    case 'task.graph':
    case 'task.progress':
      return (await import('./handlers/tasks.js')).handleTask(cmd, ctx);
    case 'pipeline.list':
    case 'pipeline.create':
    case 'pipeline.add':
    case 'pipeline.status':
    case 'pipeline.update':
    case 'pipeline.delete':
    case 'pipeline.run':
      return (await import('./handlers/pipelines.js')).handlePipeline(cmd, ctx);
    case 'memory.export':
    case 'memory.read':
    case 'talk':
    case 'rich':
    case 'export':
    case 'preview':
      return (await import('./handlers/content.js')).handleContent(cmd, ctx);
    case 'delegate.create':
    case 'delegate.grant':
    case 'delegate.list':
    case 'delegate.remove':
    case 'delegate.publish':
    case 'delegate.p2p':
    case 'blacklist.add':
    case 'blacklist.remove':
    case 'blacklist.list':
      return (await import('./handlers/delegation.js')).handleDelegation(cmd, ctx);
    case 'bind':
    case 'config':
      return (await import('./handlers/account.js')).handleAccount(cmd, ctx);
  }
}

/**
 * The text of a failure, scrubbed of every configured secret: a usage error as it is (problem +
 * usage line); a server refusal by its `detail`; anything else by its message, never a stack.
 */
function failureText(e: unknown, ctx: CommandContext | undefined): string {
  const secrets = ctx ? [ctx.config.agentToken, ctx.config.bearerToken, ctx.config.gatewayToken] : [];
  let text: string;
  if (isUsageError(e)) text = e.message;
  else if (isWttError(e) && e.detail) text = `Error: ${e.detail}${e.status ? ` (HTTP ${e.status})` : ''}`;
  else if (isWttError(e, 'WTT_ERR_NETWORK') && ctx) text = `Error: cannot reach the WTT server at ${ctx.config.apiUrl} (${e.message})`;
  else text = `Error: ${e instanceof Error ? e.message : String(e)}`;
  return scrubSecrets(text, secrets);
}

export async function run(input: string | Command, ctx: CommandContext): Promise<RunResult> {
  let cmd: Command;
  try {
    cmd = typeof input === 'string' ? parseCommand(input) : input;
  } catch (e) {
    return { text: failureText(e, ctx), exitCode: isUsageError(e) ? 2 : 1 };
  }
  try {
    ctx.log.debug({ command: cmd.kind }, 'command');
    return { text: await dispatch(cmd, ctx), exitCode: 0 };
  } catch (e) {
    if (isUsageError(e)) return { text: failureText(e, ctx), exitCode: 2 };
    ctx.log.debug({ command: cmd.kind, code: isWttError(e) ? e.code : 'unexpected' }, 'command failed');
    return { text: failureText(e, ctx), exitCode: 1 };
  }
}
