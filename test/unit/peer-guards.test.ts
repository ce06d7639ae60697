/**
 * PeerGuards with a real state file: WTT_PEERS, hops and the hourly budget; the chat's answers
 * (continue / mute / block / unblock) kept in the store and read by every check.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { PeerGuards, applyChoice, loadChoices } from '../../src/runtime/peer-guards.js';
import { StateStore } from '../../src/runtime/store.js';

const stores: StateStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function guards(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wtt-guards-'));
  const config = loadConfig({ env: { HOME: dir, WTT_SKILL_DIR: dir, ...env }, ignoreEnvFile: true });
  const store = StateStore.open({ stateDir: dir });
  stores.push(store);
  let now = 1_000_000;
  const notices: Array<[string, string]> = [];
  const g = new PeerGuards({ config: () => config, store, log: createLogger({ level: 'silent' }), now: () => now, notice: (k, t) => void notices.push([k, t]) });
  return { g, store, notices, advance: (ms: number) => (now += ms), now: () => now };
}

describe('peer guards', () => {
  it('applies WTT_PEERS, always allows itself, and stops chains beyond WTT_MAX_HOPS', () => {
    const { g } = guards({ WTT_PEERS: '!mallory,team-*', WTT_MAX_HOPS: '2' });
    expect(g.check('mallory', 'me')).toMatchObject({ allowed: false, limit: 'peer' });
    expect(g.check('stranger', 'me')).toMatchObject({ allowed: false, limit: 'peer' });
    expect(g.check('me', 'me')).toMatchObject({ allowed: true });
    expect(g.check('team-a', 'me', { content: 'x', metadata: { wtt_hops: 1 } })).toEqual({ allowed: true, hops: 2 });
    expect(g.check('team-a', 'me', { content: 'x', metadata: { wtt_hops: 2 } })).toMatchObject({ allowed: false, limit: 'hops' });
  });

  it('counts runs per peer per hour; continue gives a fresh hour and one pass; the hour slides', () => {
    const { g, store, advance, now } = guards({ WTT_PEER_RUNS_PER_HOUR: '2' });
    expect(g.check('alice', 'me').allowed).toBe(true);
    expect(g.check('alice', 'me').allowed).toBe(true);
    expect(g.check('alice', 'me')).toMatchObject({ allowed: false, limit: 'budget' });
    expect(g.check('bob', 'me').allowed).toBe(true);
    applyChoice(store, 'continue', 'alice', now());
    expect(g.check('alice', 'me').allowed).toBe(true);
    expect(g.check('alice', 'me').allowed).toBe(true);
    // over again: the one pass lets it through, then it is used up
    expect(g.check('alice', 'me').allowed).toBe(true);
    expect(loadChoices(store).passes).toEqual([]);
    expect(g.check('alice', 'me')).toMatchObject({ allowed: false, limit: 'budget' });
    advance(60 * 60 * 1000 + 1);
    expect(g.check('alice', 'me').allowed).toBe(true);
  });

  it('block stops a peer until unblock; mute silences the questions for an hour, not the refusal', () => {
    const { g, store, notices, advance, now } = guards({ WTT_PEER_RUNS_PER_HOUR: '1' });
    applyChoice(store, 'block', 'eve', now());
    const r = g.check('eve', 'me');
    expect(r).toMatchObject({ allowed: false, limit: 'peer', reason: 'eve is blocked (wtt guard unblock eve lifts it)' });
    applyChoice(store, 'unblock', 'eve', now());
    expect(g.check('eve', 'me').allowed).toBe(true);
    const over = g.check('eve', 'me');
    expect(over.allowed).toBe(false);
    if (over.allowed) return;
    g.refuse('t1', 'eve', over, 'Task t1');
    expect(notices.map(([, t]) => t)).toEqual([expect.stringContaining('Continue, mute or block eve?')]);
    applyChoice(store, 'mute', 'eve', now());
    g.refuse('t2', 'eve', over, 'Task t2');
    expect(notices).toHaveLength(1);
    advance(60 * 60 * 1000 + 1);
    g.refuse('t3', 'eve', over, 'Task t3');
    expect(notices).toHaveLength(2);
  });
});
