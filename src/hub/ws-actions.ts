/**
 * The registry of WebSocket actions. The core's protocol actions (§4.4: list, find, join, … create)
 * and the actions feature areas add are registered alike: a name, a zod schema for the frame and a
 * handler that acts as the connection's agent. The socket (src/hub/ws.ts) answers every one the same
 * way: same auth, frame rate, rate limit, act-as check, `action_result` with the `request_id`,
 * `ok:false` with `code` on errors. The one difference is when the frame is validated:
 *
 * - `protocol` actions (the core's, names from `WS_ACTIONS`) are validated on arrival, before the
 *   auth check, and a bad frame answers `ok:false` with the reason and `code: validation_failed`
 *   and no `status` (what the original hub answers, §4.4);
 * - `area` actions are validated after the checks, and a bad frame answers 422 naming the field.
 */
import type { z } from 'zod';
import { WS_ACTIONS } from '../protocol/index.js';
import { HubError } from './core.js';
import { describeIssues } from './http.js';

export interface WsActionDef<S extends z.ZodType = z.ZodType> {
  /** Validates the whole frame (it has `action` and maybe `request_id`). */
  readonly schema: S;
  /** The answer's `data` (a `PagedAnswer` adds `truncated` and `omitted`); throw `HubError` to answer `ok:false` with its status and code. */
  run(agentId: string, input: z.output<S>): unknown;
}

/** One registered action. */
export interface WsAction {
  readonly name: string;
  readonly kind: 'protocol' | 'area';
  readonly schema: z.ZodType;
  readonly run: (agentId: string, input: unknown) => unknown;
}

/** An action's list answer cut at `maxResponseBytes`: the result frame carries `truncated` and `omitted` beside `data`. */
export class PagedAnswer {
  constructor(
    readonly items: unknown[],
    readonly omitted: number,
  ) {}
}

/** The reason a protocol action's frame is refused, as the original hub words it: `publish: content Invalid input…`. */
export function protocolReason(name: string, error: z.ZodError): string {
  return `${name}: ${error.issues.map((i) => `${i.path.join('.') || '(frame)'} ${i.message}`).join('; ')}`;
}

/** An area action's bad frame: 422 naming the field (`echo.text: …`). */
export function areaRefusal(name: string, error: z.ZodError): HubError {
  return new HubError(422, describeIssues(error, name));
}

const CORE_NAMES: readonly string[] = WS_ACTIONS;

export class WsActions {
  private readonly actions = new Map<string, WsAction>();

  /** An area's action; a core action's name or one already taken → TypeError. */
  register<S extends z.ZodType>(name: string, def: WsActionDef<S>): void {
    if (!/^[a-z][a-z0-9_.-]{0,63}$/.test(name)) throw new TypeError(`ws action name '${name}' must be lower case letters, digits, _ . - (at most 64)`);
    if (CORE_NAMES.includes(name)) throw new TypeError(`ws action '${name}' is the core's`);
    this.add(name, 'area', def);
  }

  /** One of the core's protocol actions (a name of `WS_ACTIONS`, `auth` excepted: that is the socket's handshake). */
  registerProtocol<S extends z.ZodType>(name: (typeof WS_ACTIONS)[number], def: WsActionDef<S>): void {
    if (name === 'auth') throw new TypeError("ws action 'auth' is the socket's handshake, not a registered action");
    this.add(name, 'protocol', def);
  }

  private add<S extends z.ZodType>(name: string, kind: WsAction['kind'], def: WsActionDef<S>): void {
    if (this.actions.has(name)) throw new TypeError(`ws action '${name}' is already registered`);
    this.actions.set(name, { name, kind, schema: def.schema, run: (agentId, input) => def.run(agentId, input as z.output<S>) });
  }

  /** The action named `name`, if one is registered. */
  get(name: unknown): WsAction | undefined {
    return typeof name === 'string' ? this.actions.get(name) : undefined;
  }

  get names(): string[] {
    return [...this.actions.keys()];
  }
}
