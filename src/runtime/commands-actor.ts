/**
 * The `commands` child: runs `wtt …` requests inside the daemon, by event.
 *
 *   → { type: 'COMMAND', requestId, argv, replyTo }
 *   ← { type: 'COMMAND.REPLY', requestId, text, exitCode }   (sent to replyTo)
 *
 * For each request it asks `connection` for the live socket (SOCKET.GET → SOCKET.CURRENT) and the
 * root for the status (STATUS.GET → STATUS), so WS-first commands share the daemon's link and
 * `whoami` shows its state; `config auto` and `bind` go to the long-lived `onboarding` child.
 */
import { fromCallback, type AnyActorRef } from 'xstate';
import type { SocketCurrent } from '../../machines/connection.machine.js';
import type { IdentityEvent, RuntimeStatus } from '../../machines/runtime.machine.js';
import type { WttSocket } from '../client/socket.js';
import type { WttApi } from '../client/api.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { OnboardingActor } from '../onboarding/actor.js';
import { STATUS_REQUEST } from './status.js';
import type { StateStore } from './store.js';
import type { TaskControl } from '../commands/context.js';

export interface CommandRequest {
  type: 'COMMAND';
  requestId: string;
  argv: readonly string[];
  replyTo: AnyActorRef;
}
export interface CommandReply {
  type: 'COMMAND.REPLY';
  requestId: string;
  text: string;
  exitCode: 0 | 1 | 2;
}
type StatusReply = { type: 'STATUS'; requestId?: string; status: RuntimeStatus };
type CommandsEvent = CommandRequest | IdentityEvent | SocketCurrent<WttSocket> | StatusReply;

export interface CommandsDeps {
  /** The configuration as it is now (re-read when the identity changes: onboarding wrote .env). */
  config(): Readonly<Config>;
  api(config: Readonly<Config>): WttApi;
  log: Logger;
  /** How long to wait for the connection's and the root's answers (they are in-process). */
  askTimeoutMs?: number | undefined;
  /** The daemon's status report, for `wtt status` (JSON text). */
  report?: (() => unknown) | undefined;
  /** The daemon's state store, for the delivery commands (trace, outbox, notify). */
  store?: StateStore | undefined;
  /** The daemon's task actors, for `task cancel`. */
  tasks?: TaskControl | undefined;
}

/** The connection states shown by `whoami`. */
function connectionText(s: RuntimeStatus | undefined): string {
  if (!s) return 'starting';
  return s.connection.state;
}

export function commandsLogic(deps: CommandsDeps) {
  return fromCallback<CommandsEvent>(({ receive, self, system }) => {
    const waiting = new Map<string, (e: CommandsEvent) => void>();
    let seq = 0;
    let config = deps.config();
    const askTimeoutMs = deps.askTimeoutMs ?? 1_000;

    /** Sends `event` (with a fresh requestId and replyTo = self) and resolves with the answer, or undefined. */
    const ask = <T extends CommandsEvent>(to: AnyActorRef | undefined, event: Record<string, unknown> & { type: string }): Promise<T | undefined> => {
      if (!to) return Promise.resolve(undefined);
      const requestId = `cmd-ask-${++seq}`;
      return new Promise((resolve) => {
        const t = setTimeout(() => {
          waiting.delete(requestId);
          resolve(undefined);
        }, askTimeoutMs);
        waiting.set(requestId, (e) => {
          clearTimeout(t);
          waiting.delete(requestId);
          resolve(e as T);
        });
        to.send({ ...event, requestId, replyTo: self });
      });
    };

    const runOne = async (req: CommandRequest): Promise<Omit<CommandReply, 'type' | 'requestId'>> => {
      if (req.argv.length === 1 && req.argv[0] === STATUS_REQUEST && deps.report) return { text: JSON.stringify(deps.report()), exitCode: 0 };
      const { parseArgv } = await import('../commands/grammar.js');
      const { isUsageError } = await import('../commands/usage.js');
      const { run } = await import('../commands/run.js');
      let cmd;
      try {
        cmd = parseArgv([...req.argv]);
      } catch (e) {
        if (isUsageError(e)) return { text: e.message, exitCode: 2 };
        throw e;
      }
      const [sock, status] = await Promise.all([
        ask<SocketCurrent<WttSocket>>(system.get('connection') as AnyActorRef | undefined, { type: 'SOCKET.GET' }),
        ask<StatusReply>(system.get('runtime') as AnyActorRef | undefined, { type: 'STATUS.GET' }),
      ]);
      return run(cmd, {
        config,
        api: deps.api(config),
        socket: sock?.socket,
        log: deps.log,
        connectionState: connectionText(status?.status),
        onboarding: system.get('onboarding') as OnboardingActor | undefined,
        store: deps.store,
        tasks: deps.tasks,
        wakeNotifier: () => (system.get('notifier') as AnyActorRef | undefined)?.send({ type: 'OUTBOX.WAKE' }),
      });
    };

    receive((event) => {
      if (event.type === 'IDENTITY') {
        config = deps.config();
        return;
      }
      if (event.type === 'COMMAND') {
        runOne(event).then(
          (r) => event.replyTo.send({ type: 'COMMAND.REPLY', requestId: event.requestId, ...r } satisfies CommandReply),
          (e: unknown) => {
            deps.log.error({ err: e instanceof Error ? e.message : String(e) }, 'command failed');
            event.replyTo.send({ type: 'COMMAND.REPLY', requestId: event.requestId, text: 'the daemon failed to run the command', exitCode: 1 } satisfies CommandReply);
          },
        );
        return;
      }
      const id = 'requestId' in event ? event.requestId : undefined;
      if (id) waiting.get(id)?.(event);
    });
    return () => waiting.clear();
  });
}
