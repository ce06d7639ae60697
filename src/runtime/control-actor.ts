/**
 * The `control` child: the Unix control socket (src/runtime/control.ts) as an actor. Each request
 * becomes a COMMAND event to `commands`; the COMMAND.REPLY event that comes back is the answer.
 * Stopping the actor closes the socket (and removes its file).
 */
import type { Server } from 'node:net';
import { fromCallback, type AnyActorRef } from 'xstate';
import type { IdentityEvent } from '../../machines/runtime.machine.js';
import type { Logger } from '../log.js';
import type { CommandReply } from './commands-actor.js';
import { startControlServer } from './control.js';

export interface ControlDeps {
  path: string;
  /** The agent this daemon serves now (requests for another agent are told to run themselves). */
  agentId(): string | undefined;
  log: Logger;
  /** How long a command may take before the CLI is told the daemon failed. */
  commandTimeoutMs: number;
}

export function controlLogic(deps: ControlDeps) {
  return fromCallback<CommandReply | IdentityEvent>(({ receive, self, system }) => {
    const pending = new Map<string, (r: CommandReply) => void>();
    let seq = 0;
    let agentId = deps.agentId() ?? '';
    let server: Server | undefined;
    let stopped = false;
    receive((event) => {
      if (event.type === 'IDENTITY') agentId = event.agentId;
      else pending.get(event.requestId)?.(event);
    });
    startControlServer({
      path: deps.path,
      agentId: () => agentId,
      log: deps.log,
      handle: (argv) =>
        new Promise((resolve) => {
          const commands = system.get('commands') as AnyActorRef | undefined;
          if (!commands) {
            resolve({ text: 'the daemon is restarting its command handler; try again in a moment', exitCode: 1 });
            return;
          }
          const requestId = `ctl-${++seq}`;
          const t = setTimeout(() => {
            pending.delete(requestId);
            resolve({ text: `the daemon did not finish the command within ${Math.round(deps.commandTimeoutMs / 1000)} s`, exitCode: 1 });
          }, deps.commandTimeoutMs);
          pending.set(requestId, (r) => {
            clearTimeout(t);
            pending.delete(requestId);
            resolve({ text: r.text, exitCode: r.exitCode });
          });
          commands.send({ type: 'COMMAND', requestId, argv, replyTo: self });
        }),
    }).then(
      (s) => {
        if (stopped) s?.close();
        else server = s;
      },
      (e: unknown) => deps.log.error({ err: e instanceof Error ? e.message : String(e) }, 'control socket not started: `wtt` commands will not share the live link'),
    );
    return () => {
      stopped = true;
      server?.close();
      pending.clear();
    };
  });
}
