/**
 * Hop count of agent-to-agent chains: work that an agent starts because another agent's work
 * asked for it carries `hops` one higher than its cause. Read from message metadata `wtt_hops`
 * (a number) or a `hops=<n>` token on a tagged first line; beyond `maxHops` the work stops and
 * the chat is asked. Pure.
 */
export const DEFAULT_MAX_HOPS = 4;

export function readHops(m: { content?: string | null | undefined; metadata?: unknown }): number {
  const meta = m.metadata;
  if (meta && typeof meta === 'object' && !Array.isArray(meta)) {
    const v = (meta as Record<string, unknown>).wtt_hops;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  }
  const first = (m.content ?? '').split('\n', 1)[0] ?? '';
  const t = /(?:^|\s)hops=(\d{1,4})(?:\s|$)/u.exec(first);
  return t ? Number(t[1]) : 0;
}

/** The hop count of work caused by a message with `hops`. */
export function nextHops(hops: number): number {
  return hops + 1;
}

export type HopVerdict = { allowed: true; hops: number } | { allowed: false; hops: number; reason: string };

/** May work caused by a message with `hops` start? (The caused work would be at `hops + 1`.) */
export function hopVerdict(hops: number, maxHops = DEFAULT_MAX_HOPS): HopVerdict {
  const next = nextHops(hops);
  if (next > maxHops) return { allowed: false, hops: next, reason: `chain of ${next} agent hops exceeds the limit of ${maxHops}` };
  return { allowed: true, hops: next };
}
