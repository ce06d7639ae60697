/**
 * The guards on work another agent causes here (issue 10, "Trust and guards"), shared by task
 * dispatches and auto-replies: WTT_PEERS allow/deny, the hop count of agent-to-agent chains
 * (WTT_MAX_HOPS) and each peer's runs per hour (WTT_PEER_RUNS_PER_HOUR, a sliding window kept in
 * the store's kv table). A refusal asks the chat (continue / mute / block), once per key.
 */
import { guardQuestion, type GuardLimit } from '../guards/ask.js';
import { pruneBudget, takeRun, type BudgetState } from '../guards/budget.js';
import { hopVerdict, readHops } from '../guards/hops.js';
import { OPEN_POLICY, parsePeers, peerVerdict, type PeerPolicy } from '../guards/peers.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { StateStore } from './store.js';

const BUDGET_KV = 'guards:budget';
/** The chat's answers: blocked peers, muted peers (until), peers let through once more. */
const CHOICES_KV = 'guards:choices';
export const MUTE_MS = 60 * 60 * 1000;

export interface GuardChoices {
  blocked: string[];
  muted: Record<string, number>;
  /** Peers whose next refused work may go ahead (hops and budget), once. */
  passes: string[];
}

const EMPTY_CHOICES: GuardChoices = { blocked: [], muted: {}, passes: [] };

/** Reads the store's copy (the CLI may change it while the daemon runs); bad JSON counts as none. */
export function loadChoices(store: Pick<StateStore, 'getKv'>): GuardChoices {
  try {
    const raw = store.getKv(CHOICES_KV);
    const v = raw ? (JSON.parse(raw) as Partial<GuardChoices>) : {};
    return {
      blocked: Array.isArray(v.blocked) ? v.blocked.filter((x): x is string => typeof x === 'string') : [],
      muted: v.muted && typeof v.muted === 'object' ? Object.fromEntries(Object.entries(v.muted).filter(([, t]) => typeof t === 'number')) : {},
      passes: Array.isArray(v.passes) ? v.passes.filter((x): x is string => typeof x === 'string') : [],
    };
  } catch {
    return { ...EMPTY_CHOICES };
  }
}

export function saveChoices(store: Pick<StateStore, 'setKv'>, c: GuardChoices): void {
  store.setKv(CHOICES_KV, JSON.stringify(c));
}

/** `wtt guard continue|mute|block|unblock <peer>`: the answer to a guard question, kept in the store. */
export function applyChoice(store: Pick<StateStore, 'getKv' | 'setKv'>, action: 'continue' | 'mute' | 'block' | 'unblock', peer: string, now: number): GuardChoices {
  const c = loadChoices(store);
  const without = (xs: string[]) => xs.filter((x) => x !== peer);
  const muted = { ...c.muted };
  delete muted[peer];
  let next: GuardChoices;
  switch (action) {
    case 'continue':
      next = { blocked: without(c.blocked), muted, passes: [...without(c.passes), peer] };
      // A fresh hour for this peer.
      try {
        const raw = store.getKv(BUDGET_KV);
        const budget = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
        delete budget[peer];
        store.setKv(BUDGET_KV, JSON.stringify(budget));
      } catch {
        store.setKv(BUDGET_KV, '{}');
      }
      break;
    case 'mute':
      next = { ...c, muted: { ...c.muted, [peer]: now + MUTE_MS } };
      break;
    case 'block':
      next = { blocked: [...without(c.blocked), peer], muted, passes: without(c.passes) };
      break;
    case 'unblock':
      next = { ...c, blocked: without(c.blocked) };
      break;
  }
  saveChoices(store, next);
  return next;
}

export type GuardResult = { allowed: true; hops: number } | { allowed: false; limit: GuardLimit; reason: string };

export interface PeerGuardsDeps {
  config: () => Readonly<Config>;
  store: StateStore;
  log: Logger;
  now: () => number;
  /** Queue a chat notice once per key (and wake the notifier). */
  notice: (key: string, text: string) => void;
}

export class PeerGuards {
  private readonly policy: PeerPolicy;
  private budget: BudgetState;

  constructor(private readonly deps: PeerGuardsDeps) {
    const p = parsePeers(deps.config().peers);
    this.policy = p.ok ? p.policy : OPEN_POLICY;
    this.budget = this.load();
  }

  /** May work caused by `peer` (through message `m`, when there is one) start? Takes a run from the budget. */
  check(peer: string, self: string, m?: { content?: string | null | undefined; metadata?: unknown }): GuardResult {
    const p = peerVerdict(this.policy, peer, self);
    if (!p.allowed) return { allowed: false, limit: 'peer', reason: p.reason };
    const choices = loadChoices(this.deps.store);
    if (peer !== self && choices.blocked.includes(peer)) return { allowed: false, limit: 'peer', reason: `${peer} is blocked (wtt guard unblock ${peer} lifts it)` };
    const h = hopVerdict(m ? readHops(m) : 0, this.deps.config().maxHops);
    if (peer === self) return { allowed: true, hops: h.hops };
    const pass = choices.passes.includes(peer);
    if (!h.allowed && !pass) return { allowed: false, limit: 'hops', reason: h.reason };
    const now = this.deps.now();
    // The budget is re-read: `wtt guard continue` may have reset it from another process.
    this.budget = this.load();
    const b = takeRun(pruneBudget(this.budget, now), peer, now, this.deps.config().peerRunsPerHour);
    if (pass && (!h.allowed || !b.allowed)) {
      saveChoices(this.deps.store, { ...choices, passes: choices.passes.filter((x) => x !== peer) });
      return { allowed: true, hops: h.hops };
    }
    this.budget = b.state;
    try {
      this.deps.store.setKv(BUDGET_KV, JSON.stringify(this.budget));
    } catch (e) {
      this.deps.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not save the peer budget');
    }
    if (!b.allowed) return { allowed: false, limit: 'budget', reason: b.reason };
    return { allowed: true, hops: h.hops };
  }

  /** Logs a refusal and asks the chat what to do, once per `key`. */
  refuse(key: string, peer: string, r: Extract<GuardResult, { allowed: false }>, what: string): void {
    this.deps.log.warn({ peer, limit: r.limit }, `${what} not done: ${r.reason}`);
    const mutedUntil = loadChoices(this.deps.store).muted[peer];
    if (mutedUntil !== undefined && mutedUntil > this.deps.now()) return;
    const q = guardQuestion(r.limit, peer, r.reason);
    this.deps.notice(`guard:${r.limit}:${key}`, `${q?.text ?? `⚠ Work stopped: ${r.reason}.`}\n${what} was not done.`);
  }

  private load(): BudgetState {
    try {
      const raw = this.deps.store.getKv(BUDGET_KV);
      const v = raw ? (JSON.parse(raw) as unknown) : {};
      if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
      const out: Record<string, number[]> = {};
      for (const [k, times] of Object.entries(v as Record<string, unknown>)) {
        if (Array.isArray(times)) out[k] = times.filter((x): x is number => typeof x === 'number');
      }
      return out;
    } catch {
      return {};
    }
  }
}
