/**
 * What a command runs with. The CLI builds one per process (REST only); the daemon builds one that
 * also carries its live `WttSocket`, so the same commands go WebSocket-first over the shared link.
 */
import type { WttApi } from '../client/api.js';
import type { WttSocket } from '../client/socket.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { OnboardingActor } from '../onboarding/actor.js';
import type { StateStore } from '../runtime/store.js';
import type { TaskGraph } from '../protocol/index.js';
import type { StageRow } from './stages.js';

/** What commands may ask of the daemon's task actors. */
export interface TaskControl {
  cancel(taskId: string): Promise<string>;
  /** Dispatches again the tasks of `peer` the guards stopped; how many. */
  resume(peer: string): number;
  /** A followed pipeline's stage rows from its actor (after it took `graph`), or undefined. */
  pipelineRows(pipelineId: string, graph: TaskGraph): Promise<{ rows: StageRow[] } | undefined>;
}

export interface CommandContext {
  config: Readonly<Config>;
  api: WttApi;
  /** The daemon's live socket; when it is open, list/find/join/leave/subscribed/publish/poll/p2p/history/detail use it. */
  socket?: WttSocket | undefined;
  log: Logger;
  /** Shown by `config` / `whoami` (e.g. `live`, `backoff`, `not running`). */
  connectionState?: string | undefined;
  /** The daemon's long-lived onboarding actor: `config auto` and `bind` go to it by event. */
  onboarding?: OnboardingActor | undefined;
  /** The daemon's state store (delivery commands); without it they open the state file themselves. */
  store?: StateStore | undefined;
  /** The daemon's task actors (`task cancel` stops a running execution); absent in the CLI alone. */
  tasks?: TaskControl | undefined;
  /** Wakes the daemon's notifier after a command queued a delivery. */
  wakeNotifier?: (() => void) | undefined;
}
