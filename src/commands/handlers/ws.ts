/**
 * The WebSocket path of a command: used only when the context carries an OPEN socket, and then
 * exclusively (never REST as well for the same command). Results are validated like REST ones.
 */
import type { z } from 'zod';
import type { WttSocket } from '../../client/socket.js';
import { WttError } from '../../errors.js';
import type { CommandContext } from '../context.js';

/** The live socket, or undefined when the command should go over REST. */
export function liveSocket(ctx: CommandContext): WttSocket | undefined {
  return ctx.socket?.isOpen ? ctx.socket : undefined;
}

/** Send one action and validate its `data` with the protocol schema. */
export async function wsCall<S extends z.ZodType>(socket: WttSocket, action: string, payload: Record<string, unknown>, schema: S): Promise<z.output<S>> {
  const data = await socket.request(action, payload);
  const r = schema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new WttError('WTT_ERR_BAD_RESPONSE', {
      message: `the WTT server answered '${action}' with data that does not match the protocol${issue ? ` (${issue.path.join('.') || 'data'}: ${issue.message})` : ''}`,
    });
  }
  return r.data;
}
