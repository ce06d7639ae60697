/**
 * What one committed message puts into the outbox, inside the intake's transaction: the routing
 * decision (recorded for `@wtt trace`), then per route either numbered parts to send now or a row
 * held for a digest (a burst from one topic, a topic set to `digest`, quiet hours).
 */
import { renderMessage, splitText } from '../im/render.js';
import type { Message } from '../protocol/index.js';
import { inQuietHours, quietEndsAt, type NotifyPolicy } from './notify-policy.js';
import { routeMessage, type RoutingIdentity } from './routing.js';
import type { StateStore } from './store.js';

export interface RouteInfo {
  key: string;
  channel: string;
  /** The adapter's longest text for one send. */
  maxChars: number;
}

export interface DeliveryPlanner {
  policy: NotifyPolicy;
  identity(): RoutingIdentity;
  routes(): readonly RouteInfo[];
  isOwnTask?: ((taskId: string) => boolean) | undefined;
}

export const HOLD = Object.freeze({ quiet: 'quiet hours', burst: 'burst', digest: 'topic set to digest' });

/** Inside a transaction. Returns the routes that got rows. */
export function planDeliveries(store: StateStore, m: Message, planner: DeliveryPlanner, now: number): string[] {
  const { policy } = planner;
  const d = routeMessage(m, policy, planner.identity(), {
    topicNotify: (t) => store.topicNotify(t),
    ...(planner.isOwnTask ? { isOwnTask: planner.isOwnTask } : {}),
  });
  store.outbox.recordDecision(m.id, m.topic_id, d.deliver, d.reason);
  if (!d.deliver) return [];
  const touched: string[] = [];
  for (const route of planner.routes()) {
    const text = renderMessage(route.channel, m);
    const base = { route: route.key, kind: 'message' as const, message_id: m.id, topic_id: m.topic_id };
    let hold: { reason: string; until: number } | undefined;
    if (inQuietHours(policy.quietHours, now)) {
      hold = { reason: HOLD.quiet, until: quietEndsAt(policy.quietHours, now) };
    } else if (d.digest) {
      hold = { reason: HOLD.digest, until: store.outbox.heldUntil(route.key, m.topic_id, HOLD.digest) ?? now + policy.digestWindowMs };
    } else if (policy.digestBurst > 0 && store.outbox.recentMessages(route.key, m.topic_id, now - policy.digestWindowMs, policy.digestBurst) >= policy.digestBurst) {
      hold = { reason: HOLD.burst, until: store.outbox.heldUntil(route.key, m.topic_id, HOLD.burst) ?? now + policy.digestWindowMs };
    }
    if (hold) {
      store.outbox.insert({ ...base, key: `m:${m.id}:${route.key}`, text, state: 'held', hold_reason: hold.reason, next_at: hold.until });
    } else {
      splitText(text, route.maxChars).forEach((part, i) => store.outbox.insert({ ...base, key: `m:${m.id}:${route.key}:${i}`, text: part, state: 'pending', next_at: now }));
    }
    touched.push(route.key);
  }
  return touched;
}
