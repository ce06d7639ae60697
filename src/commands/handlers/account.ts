/** bind, config / cfg / whoami [auto|init|setup]: the onboarding engineer's functions (src/onboarding). */
import type { CommandOf } from '../command.js';
import type { CommandContext } from '../context.js';

export type AccountCommand = CommandOf<'bind' | 'config'>;

export async function handleAccount(cmd: AccountCommand, ctx: CommandContext): Promise<string> {
  const onboarding = await import('../../onboarding/commands.js');
  const octx = { config: ctx.config, log: ctx.log, connectionState: ctx.connectionState, actor: ctx.onboarding, reloadsConfig: ctx.onboarding !== undefined };
  if (cmd.kind === 'bind') return onboarding.bind(octx);
  return cmd.action === 'auto' ? onboarding.configAuto(octx) : onboarding.whoami(octx);
}
