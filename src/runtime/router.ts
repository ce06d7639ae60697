/**
 * The `router` child: where committed inbound work goes next. It turns
 *   COMMITTED (the intake committed messages and the outbox rows they caused) → OUTBOX.WAKE to `notifier`;
 *   FRAME (task_status and other live frames)                               → events for task actors (src/runtime/tasks.ts);
 *   MESSAGES (every committed inbound message)                               → task-topic events ([TASK_RUN], [TASK_REVIEW],
 *                                                                              follow-ups) and conversations (auto-replies);
 *   CONNECTION.STATUS (from the root)                                        → alerts in the chat (a refused token);
 *   CAUGHT_UP (a catch-up finished)                                          → one short report after a restart or an outage.
 * It owns no state worth persisting; everything durable is already in the store when it hears of it.
 */
import { fromCallback, type AnyActorRef } from 'xstate';
import type { ConnectionStatus } from '../../machines/connection.machine.js';
import type { Message, ServerFrame } from '../protocol/index.js';
import type { Logger } from '../log.js';
import type { AwayDue, AwayTracker } from './away.js';

export interface CommittedEvent {
  type: 'COMMITTED';
  /** Routes that got new outbox rows in this commit. */
  routeKeys: readonly string[];
  messages: number;
}
export interface FrameEvent {
  type: 'FRAME';
  frame: ServerFrame;
}
export interface MessagesEvent {
  type: 'MESSAGES';
  /** Committed (recorded once) inbound messages, in order. */
  messages: readonly Message[];
}
export interface CaughtUpEvent {
  type: 'CAUGHT_UP';
  /** Messages the catch-up handed on. */
  delivered: number;
}
export type RouterEvent = CommittedEvent | FrameEvent | MessagesEvent | CaughtUpEvent | { type: 'CONNECTION.STATUS'; status: ConnectionStatus };

export interface RouterAway {
  tracker: AwayTracker;
  now(): number;
  /** Queue the report (durably) for the chat. */
  report(due: AwayDue): void;
  /** A sign of life for the next run's report, every `aliveEveryMs`. */
  alive(): void;
  aliveEveryMs: number;
}

export interface RouterDeps {
  log?: Logger | undefined;
  /** A chat notice for a condition the user must act on (queued durably; the notifier sends it). */
  alert(kind: string, text: string): void;
  /** Live frames other than messages (task_status, …), for the task actors. */
  onFrame?: ((frame: ServerFrame, system: { get(id: string): AnyActorRef | undefined }) => void) | undefined;
  /** The report after a restart or an outage (absent: none). */
  away?: RouterAway | undefined;
  /** Committed inbound messages, for the task actors and conversations. */
  onMessages?: ((messages: readonly Message[]) => void) | undefined;
}

export function routerLogic(deps: RouterDeps) {
  return fromCallback<RouterEvent>(({ receive, system }) => {
    const notifier = () => system.get('notifier') as AnyActorRef | undefined;
    let lastAlert: string | undefined;
    const away = deps.away;
    const heartbeat = away ? setInterval(() => away.alive(), away.aliveEveryMs) : undefined;
    heartbeat?.unref?.();
    receive((event) => {
      switch (event.type) {
        case 'COMMITTED':
          notifier()?.send({ type: 'OUTBOX.WAKE', routeKeys: [...event.routeKeys] });
          return;
        case 'FRAME':
          deps.onFrame?.(event.frame, system);
          return;
        case 'CAUGHT_UP': {
          if (!away) return;
          const due = away.tracker.caughtUp(event.delivered, away.now());
          if (due) {
            away.report(due);
            notifier()?.send({ type: 'OUTBOX.WAKE' });
          }
          return;
        }
        case 'MESSAGES':
          deps.onMessages?.(event.messages);
          return;
        case 'CONNECTION.STATUS': {
          const s = event.status;
          away?.tracker.status(s, away.now());
          if (s.state === 'unauthorized') {
            const text = `⚠️ WTT: the server refused this agent's token (${s.reason}). Nothing is received until WTT_AGENT_TOKEN is fixed (or run \`wtt config auto\`).`;
            // One alert per distinct refusal, not one per re-check.
            if (lastAlert !== text) {
              lastAlert = text;
              deps.alert('auth', text);
              notifier()?.send({ type: 'OUTBOX.WAKE' });
            }
          } else if (s.state === 'live') {
            lastAlert = undefined;
          }
          return;
        }
      }
    });
    return () => {
      if (heartbeat) clearInterval(heartbeat);
    };
  });
}
