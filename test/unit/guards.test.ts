import { describe, expect, it } from 'vitest';
import { guardQuestion } from '../../src/guards/ask.js';
import { mayReply, recordReply, seeMessage, type ReplyGuardState } from '../../src/guards/auto-reply.js';
import { pruneBudget, takeRun, type BudgetState } from '../../src/guards/budget.js';
import { hopVerdict, readHops } from '../../src/guards/hops.js';
import { OPEN_POLICY, parsePeers, peerVerdict, type PeerPolicy } from '../../src/guards/peers.js';

const policy = (text: string): PeerPolicy => {
  const r = parsePeers(text);
  if (!r.ok) throw new Error(r.problem);
  return r.policy;
};

describe('guards/peers', () => {
  it.each([
    ['', 'mallory', true],
    ['!mallory', 'mallory', false],
    ['!mallory', 'alice', true],
    ['alice,bob', 'bob', true],
    ['alice,bob', 'carol', false],
    ['team-*', 'team-7', true],
    ['team-*', 'teammate', false],
    ['*,!team-*', 'team-7', false],
    ['*,!team-*', 'anyone', true],
    ['alice,!alice', 'alice', false],
    ['!*', 'anyone', false],
    ['!*', 'me', true],
  ])('WTT_PEERS=%j lets %s in: %s', (text, who, allowed) => {
    expect(peerVerdict(policy(text), who, 'me').allowed).toBe(allowed);
  });

  it('says why a peer is refused and names a bad entry', () => {
    expect(peerVerdict(policy('!mal*'), 'mallory', 'me')).toEqual({ allowed: false, reason: 'mallory is denied by WTT_PEERS (!mal*)' });
    expect(peerVerdict(policy('alice'), 'bob', 'me')).toEqual({ allowed: false, reason: 'bob is not in the WTT_PEERS allow list' });
    expect(parsePeers('alice, bad id')).toEqual({ ok: false, problem: "WTT_PEERS: 'bad id' is not an agent id, a prefix pattern (name*), * or !<one of these>" });
    expect(parsePeers(undefined)).toEqual({ ok: true, policy: OPEN_POLICY });
    expect(parsePeers(' alice , ,!bob ')).toEqual({ ok: true, policy: { allow: ['alice'], deny: ['bob'] } });
  });
});

describe('guards/hops', () => {
  it('reads the hop count from metadata or a first-line token, 0 otherwise', () => {
    expect(readHops({ content: 'x', metadata: { wtt_hops: 3 } })).toBe(3);
    expect(readHops({ content: '[TASK_RUN] task_id=1 hops=2\ntitle=x' })).toBe(2);
    expect(readHops({ content: 'first line\nhops=9' })).toBe(0);
    expect(readHops({ content: 'x', metadata: { wtt_hops: -1 } })).toBe(0);
    expect(readHops({ content: null, metadata: 'str' })).toBe(0);
  });

  it('stops work that would exceed the hop limit', () => {
    expect(hopVerdict(0, 4)).toEqual({ allowed: true, hops: 1 });
    expect(hopVerdict(3, 4)).toEqual({ allowed: true, hops: 4 });
    expect(hopVerdict(4, 4)).toEqual({ allowed: false, hops: 5, reason: 'chain of 5 agent hops exceeds the limit of 4' });
  });
});

describe('guards/budget', () => {
  it('allows runs per peer per hour in a sliding window and says when the next frees up', () => {
    let s: BudgetState = {};
    const t0 = 10_000_000;
    for (let i = 0; i < 3; i++) {
      const v = takeRun(s, 'bob', t0 + i * 1000, 3);
      expect(v).toMatchObject({ allowed: true, remaining: 2 - i });
      s = v.state;
    }
    const refused = takeRun(s, 'bob', t0 + 5_000, 3);
    expect(refused).toMatchObject({ allowed: false, resetAt: t0 + 3_600_000, reason: 'bob used its 3 runs for this hour' });
    expect(takeRun(s, 'carol', t0 + 5_000, 3).allowed).toBe(true);
    expect(takeRun(s, 'bob', t0 + 3_600_000, 3).allowed).toBe(true); // the first run left the window
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(pruneBudget({ ...s, old: [1] }, t0 + 10_000)).toEqual(s);
    expect(pruneBudget(s, t0 + 2 * 3_600_000)).toEqual({});
  });
});

describe('guards/auto-reply', () => {
  const T = 50_000;
  it('allows one auto-reply per topic per 15 s', () => {
    let s: ReplyGuardState = {};
    expect(mayReply(s, 't', 'human', T)).toEqual({ allowed: true });
    s = recordReply(s, 't', 'human', T);
    expect(mayReply(s, 't', 'human', T + 14_999)).toEqual({ allowed: false, reason: 'rate', text: 'at most one auto-reply per 15 s in a topic', retryAt: T + 15_000 });
    expect(mayReply(s, 'other', 'human', T + 1).allowed).toBe(true);
    expect(mayReply(s, 't', 'human', T + 15_000).allowed).toBe(true);
  });

  it('locks a topic after 2 replies to agents until a human speaks', () => {
    let s: ReplyGuardState = {};
    s = recordReply(s, 't', 'agent', T);
    s = recordReply(s, 't', 'agent', T + 20_000);
    const later = T + 60_000;
    expect(mayReply(s, 't', 'agent', later)).toMatchObject({ allowed: false, reason: 'locked' });
    // a human may still be answered; an agent message does not unlock
    expect(mayReply(s, 't', 'human', later).allowed).toBe(true);
    s = seeMessage(s, 't', 'agent');
    expect(mayReply(s, 't', 'agent', later).allowed).toBe(false);
    s = seeMessage(s, 't', 'human');
    expect(mayReply(s, 't', 'agent', later)).toEqual({ allowed: true });
    expect(seeMessage(s, 'untouched', 'human')).toBe(s);
  });

  it('two agents mentioning each other stop at the limit', () => {
    let s: ReplyGuardState = {};
    let now = T;
    let replies = 0;
    for (let turn = 0; turn < 20; turn++) {
      now += 16_000;
      if (mayReply(s, 't', 'agent', now).allowed) {
        s = recordReply(s, 't', 'agent', now);
        replies++;
      }
    }
    expect(replies).toBe(2);
  });
});

describe('guards/ask', () => {
  it('asks continue / mute / block with callback values within 64 bytes', () => {
    const q = guardQuestion('budget', 'bob', 'bob used its 20 runs for this hour');
    expect(q?.buttons.map((b) => b.value)).toEqual(['wtt guard continue bob', 'wtt guard mute bob', 'wtt guard block bob']);
    expect(q?.text).toBe('⚠ Work stopped: a peer used up its budget. bob used its 20 runs for this hour. Continue, mute or block bob?');
    expect(guardQuestion('hops', 'x'.repeat(60), 'r')).toBeUndefined();
  });
});
