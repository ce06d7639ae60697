/**
 * What reaches the chat (WTT_NOTIFY, WTT_QUIET_HOURS, the digest and pacing knobs), parsed once from
 * the environment. The policy is plain data: the routing function reads it inside the intake's
 * transaction, so it must never do I/O.
 */
import { z } from 'zod';

/** The kinds of inbound work the default policy delivers (WTT_NOTIFY is a comma list of these). */
export const NOTIFY_KINDS = ['p2p', 'mentions', 'tasks', 'topics'] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

export { TOPIC_NOTIFY_MODES, type TopicNotifyMode } from './delivery-states.js';
import type { TopicNotifyMode } from './delivery-states.js';

export interface QuietHours {
  /** Minutes after local midnight where quiet starts (inclusive) … */
  startMin: number;
  /** … and ends (exclusive). start > end spans midnight (22:00-07:00). */
  endMin: number;
}

export interface NotifyPolicy {
  /** `all`: every message on every subscribed topic; otherwise the kinds listed. */
  kinds: ReadonlySet<NotifyKind> | 'all';
  quietHours: QuietHours | undefined;
  /** More than `digestBurst` messages from one topic within `digestWindowMs` become one digest. */
  digestBurst: number;
  digestWindowMs: number;
  /** Sends per minute into one chat (a route). */
  chatRatePerMin: number;
}

export const DEFAULT_NOTIFY_POLICY: NotifyPolicy = Object.freeze({
  kinds: new Set<NotifyKind>(NOTIFY_KINDS),
  quietHours: undefined,
  digestBurst: 5,
  digestWindowMs: 10_000,
  chatRatePerMin: 20,
});

/** WTT_NOTIFY: `all`, `none`, or a comma list of p2p, mentions, tasks, topics. Unset → the default. */
export const notifyKinds = z
  .string()
  .optional()
  .transform((v, ctx): ReadonlySet<NotifyKind> | 'all' => {
    if (v === undefined || v.trim() === '') return DEFAULT_NOTIFY_POLICY.kinds;
    const s = v.trim().toLowerCase();
    if (s === 'all') return 'all';
    if (s === 'none') return new Set();
    const out = new Set<NotifyKind>();
    for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
      if (!(NOTIFY_KINDS as readonly string[]).includes(part)) {
        ctx.addIssue({ code: 'custom', message: `WTT_NOTIFY must be all, none or a comma list of ${NOTIFY_KINDS.join(', ')}; got '${part}'` });
        return z.NEVER;
      }
      out.add(part as NotifyKind);
    }
    return out;
  });

const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** WTT_QUIET_HOURS: `HH:MM-HH:MM` in the machine's local time (`22:00-07:00` spans midnight). */
export const quietHours = z
  .string()
  .optional()
  .transform((v, ctx): QuietHours | undefined => {
    if (v === undefined || v.trim() === '') return undefined;
    const [a, b, ...rest] = v.trim().split('-').map((p) => p.trim());
    const ma = a ? HHMM.exec(a) : null;
    const mb = b ? HHMM.exec(b) : null;
    if (!ma || !mb || rest.length > 0) {
      ctx.addIssue({ code: 'custom', message: `WTT_QUIET_HOURS must be HH:MM-HH:MM (for example 22:00-07:00), got '${v}'` });
      return z.NEVER;
    }
    const startMin = Number(ma[1]) * 60 + Number(ma[2]);
    const endMin = Number(mb[1]) * 60 + Number(mb[2]);
    if (startMin === endMin) {
      ctx.addIssue({ code: 'custom', message: `WTT_QUIET_HOURS starts and ends at the same time ('${v}'); unset it for no quiet hours` });
      return z.NEVER;
    }
    return { startMin, endMin };
  });

function minuteOfDay(t: number): number {
  const d = new Date(t);
  return d.getHours() * 60 + d.getMinutes();
}

export function inQuietHours(q: QuietHours | undefined, t: number): boolean {
  if (!q) return false;
  const m = minuteOfDay(t);
  return q.startMin < q.endMin ? m >= q.startMin && m < q.endMin : m >= q.startMin || m < q.endMin;
}

/** The first instant at or after `t` outside the quiet hours (t itself when not quiet). */
export function quietEndsAt(q: QuietHours | undefined, t: number): number {
  if (!inQuietHours(q, t) || !q) return t;
  const d = new Date(t);
  d.setSeconds(0, 0);
  const end = new Date(d);
  end.setHours(Math.floor(q.endMin / 60), q.endMin % 60, 0, 0);
  if (end.getTime() <= t) end.setDate(end.getDate() + 1);
  return end.getTime();
}
