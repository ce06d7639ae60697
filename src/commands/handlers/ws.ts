/**
 * WebSocket first: a command goes over the live socket when the context carries an OPEN one, and
 * then exclusively (never REST as well for the same command); otherwise over REST. Socket results
 * are validated like REST ones.
 */
import type { z } from 'zod';
import { WttError } from '../../errors.js';
import type { CommandContext } from '../context.js';

/** The socket request of a command: the action, its payload and the schema of its `data`. */
export interface WsRequest<S extends z.ZodType> {
  action: string;
  payload: Record<string, unknown>;
  schema: S;
}

/** Runs `ws` over the context's open socket, else `rest()`. */
export async function wsFirst<S extends z.ZodType, R>(ctx: CommandContext, ws: WsRequest<S>, rest: () => Promise<R>): Promise<z.output<S> | R> {
  const socket = ctx.socket?.isOpen ? ctx.socket : undefined;
  if (!socket) return rest();
  const data = await socket.request(ws.action, ws.payload);
  const r = ws.schema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new WttError('WTT_ERR_BAD_RESPONSE', {
      message: `the WTT server answered '${ws.action}' with data that does not match the protocol${issue ? ` (${issue.path.join('.') || 'data'}: ${issue.message})` : ''}`,
    });
  }
  return r.data;
}
