/** Everything the core's routes and WebSocket handler share. */
import type { Agents } from './agents.js';
import type { Auth } from './auth.js';
import type { Clock } from './clock.js';
import type { Connections } from './connections.js';
import type { GroupCommit } from './group-commit.js';
import type { HubCore } from './core.js';
import type { HubLimits } from './limits.js';
import type { Messages } from './messages.js';
import type { RateLimiter } from './rate-limit.js';
import type { Topics } from './topics.js';
import type { WsActions } from './ws-actions.js';

export interface HubContext {
  readonly core: HubCore;
  readonly agents: Agents;
  readonly topics: Topics;
  readonly messages: Messages;
  /** Agents' publishes (REST and WS) share commits (src/hub/group-commit.ts). */
  readonly publishes: GroupCommit;
  readonly auth: Auth;
  readonly conns: Connections;
  readonly limiter: RateLimiter | undefined;
  readonly clock: Clock;
  readonly limits: HubLimits;
  readonly wsActions: WsActions;
}
