/** Delivery vocabulary with no imports, so that `wtt help` (which loads every command module) stays light. */
export const DELIVERY_STATES = ['pending', 'held', 'sent', 'failed', 'dropped', 'digested'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** A topic's own setting (`@wtt notify <topic_id> on|off|digest`). */
export const TOPIC_NOTIFY_MODES = ['on', 'off', 'digest'] as const;
export type TopicNotifyMode = (typeof TOPIC_NOTIFY_MODES)[number];
