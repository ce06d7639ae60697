/**
 * `WTT_PEERS`: who may dispatch tasks to this agent and trigger its auto-replies. A comma list:
 * `alice` allows alice, `!mallory` denies mallory, `team-*` matches by prefix, `*` allows anyone.
 * Deny wins over allow. With no allow entry (unset, or only denials) everyone not denied is allowed.
 * This agent itself is always allowed. Pure.
 */
import { z } from 'zod';

export interface PeerPolicy {
  /** undefined: anyone not denied. */
  allow: readonly string[] | undefined;
  deny: readonly string[];
}

export const OPEN_POLICY: PeerPolicy = Object.freeze({ allow: undefined, deny: Object.freeze([]) as readonly string[] });

const Entry = z.string().regex(/^!?(\*|[A-Za-z0-9._:@-]{1,200}\*?)$/u);

export type PeersResult = { ok: true; policy: PeerPolicy } | { ok: false; problem: string };

export function parsePeers(text: string | undefined, key = 'WTT_PEERS'): PeersResult {
  if (text === undefined || text.trim() === '') return { ok: true, policy: OPEN_POLICY };
  const allow: string[] = [];
  const deny: string[] = [];
  for (const raw of text.split(',')) {
    const e = raw.trim();
    if (e === '') continue;
    if (!Entry.safeParse(e).success) {
      return { ok: false, problem: `${key}: '${e}' is not an agent id, a prefix pattern (name*), * or !<one of these>` };
    }
    if (e.startsWith('!')) deny.push(e.slice(1));
    else allow.push(e);
  }
  return { ok: true, policy: Object.freeze({ allow: allow.length > 0 ? Object.freeze(allow) : undefined, deny: Object.freeze(deny) }) };
}

function matches(pattern: string, agentId: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('*')) return agentId.startsWith(pattern.slice(0, -1));
  return pattern === agentId;
}

export type PeerVerdict = { allowed: true } | { allowed: false; reason: string };

export function peerVerdict(policy: PeerPolicy, agentId: string, selfAgentId: string): PeerVerdict {
  if (agentId === selfAgentId) return { allowed: true };
  const denied = policy.deny.find((p) => matches(p, agentId));
  if (denied) return { allowed: false, reason: `${agentId} is denied by WTT_PEERS (!${denied})` };
  if (policy.allow && !policy.allow.some((p) => matches(p, agentId))) {
    return { allowed: false, reason: `${agentId} is not in the WTT_PEERS allow list` };
  }
  return { allowed: true };
}
