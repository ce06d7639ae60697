/** Every command module. Adding a verb: write its module, list it here. */
import { guard } from './guard.js';
import { notify } from './notify.js';
import { outbox } from './outbox.js';
import { taskCancel } from './task-cancel.js';
import { trace } from './trace.js';

export const MODULES = [trace, outbox, notify, taskCancel, guard] as const;
export type ModuleName = (typeof MODULES)[number]['name'];

/** `{ kind: 'trace', args: { message_id } } | …`: module commands in the `Command` union. */
export type ModuleCommand = {
  [M in (typeof MODULES)[number] as M['name']]: { kind: M['name']; args: Parameters<M['run']>[0] };
}[ModuleName];

export function moduleFor(name: string): (typeof MODULES)[number] | undefined {
  return MODULES.find((m) => m.name === name);
}
