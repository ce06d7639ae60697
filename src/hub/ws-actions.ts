/**
 * WebSocket actions that feature areas add beside the core's (§4.4: list, find, join, … create).
 * An area registers a name, a zod schema for the frame and a handler that acts as the connection's
 * agent; the socket then answers such frames exactly as it answers the core's: same auth, frame
 * rate, rate limit, `action_result` with the `request_id`, `ok:false` with `code` on errors.
 */
import type { z } from 'zod';
import { WS_ACTIONS } from '../protocol/index.js';
import { HubError } from './core.js';
import { describeIssues } from './http.js';

export interface WsActionDef<S extends z.ZodType = z.ZodType> {
  /** Validates the whole frame (it has `action` and maybe `request_id`); failures answer 422 naming the field. */
  readonly schema: S;
  /** The answer's `data`; throw `HubError` to answer `ok:false` with its status and code. */
  run(agentId: string, input: z.output<S>): unknown;
}

type Runner = (agentId: string, frame: Record<string, unknown>) => unknown;

export class WsActions {
  private readonly runners = new Map<string, Runner>();

  register<S extends z.ZodType>(name: string, def: WsActionDef<S>): void {
    if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(name)) throw new TypeError(`ws action name '${name}' must be lower case letters, digits, _ . - (at most 64)`);
    if ((WS_ACTIONS as readonly string[]).includes(name)) throw new TypeError(`ws action '${name}' is the core's`);
    if (this.runners.has(name)) throw new TypeError(`ws action '${name}' is already registered`);
    this.runners.set(name, (agentId, frame) => {
      const r = def.schema.safeParse(frame);
      if (!r.success) throw new HubError(422, describeIssues(r.error, name));
      return def.run(agentId, r.data);
    });
  }

  /** The runner of an area action, if `name` is one. */
  get(name: unknown): Runner | undefined {
    return typeof name === 'string' ? this.runners.get(name) : undefined;
  }

  get names(): string[] {
    return [...this.runners.keys()];
  }
}
