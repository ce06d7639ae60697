import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partBody, renderDigest, renderMessage, safeText, splitText } from '../../src/im/render.js';
import type { Message } from '../../src/protocol/index.js';
import { DEFAULT_NOTIFY_POLICY, inQuietHours, notifyKinds, quietEndsAt, quietHours, type NotifyPolicy, type TopicNotifyMode } from '../../src/runtime/notify-policy.js';
import { mentions, routeMessage } from '../../src/runtime/routing.js';

const me = { agentId: 'agent-me', mentionNames: ['Scout'] };
const msg = (over: Partial<Message> = {}): Message => ({ id: 'm1', topic_id: 't1', sender_id: 'agent-other', content: 'hello', topic_type: 'discussion', ...over }) as Message;
const ctx = (modes: Record<string, TopicNotifyMode> = {}) => ({ topicNotify: (t: string) => modes[t] });
const policy = (over: Partial<NotifyPolicy> = {}): NotifyPolicy => ({ ...DEFAULT_NOTIFY_POLICY, ...over });

describe('routing decision', () => {
  it('never delivers the agent’s own echo, whatever the policy or topic setting', () => {
    const d = routeMessage(msg({ sender_id: 'agent-me', content: '@all hi', topic_type: 'p2p' }), policy({ kinds: 'all' }), me, ctx({ t1: 'on' }));
    expect(d).toMatchObject({ deliver: false, reason: expect.stringContaining('own message') });
  });

  it('delivers by default p2p, mentions by id, by name and @all; not plain topic chatter', () => {
    expect(routeMessage(msg({ topic_type: 'p2p' }), policy(), me, ctx()).deliver).toBe(true);
    expect(routeMessage(msg({ content: 'ping @agent-me please' }), policy(), me, ctx()).deliver).toBe(true);
    expect(routeMessage(msg({ content: 'hey @scout, look' }), policy(), me, ctx()).deliver).toBe(true);
    expect(routeMessage(msg({ content: '@all standup' }), policy(), me, ctx()).deliver).toBe(true);
    expect(routeMessage(msg({ content: 'mail me at x@agent-me.com or @agent-mex' }), policy(), me, ctx())).toMatchObject({ deliver: false, reason: expect.stringContaining('policy') });
  });

  it('follows the topic setting: on and digest deliver, off mutes even mentions', () => {
    expect(routeMessage(msg(), policy(), me, ctx({ t1: 'on' }))).toMatchObject({ deliver: true, digest: false });
    expect(routeMessage(msg(), policy(), me, ctx({ t1: 'digest' }))).toMatchObject({ deliver: true, digest: true });
    expect(routeMessage(msg({ content: '@all' }), policy(), me, ctx({ t1: 'off' }))).toMatchObject({ deliver: false, reason: expect.stringContaining('muted') });
  });

  it('WTT_NOTIFY narrows and widens what is delivered', () => {
    const only = notifyKinds.parse('p2p');
    expect(routeMessage(msg({ content: '@all' }), policy({ kinds: only }), me, ctx()).deliver).toBe(false);
    expect(routeMessage(msg({ topic_type: 'p2p' }), policy({ kinds: only }), me, ctx()).deliver).toBe(true);
    expect(routeMessage(msg(), policy({ kinds: notifyKinds.parse('all') }), me, ctx()).deliver).toBe(true);
    expect(routeMessage(msg({ topic_type: 'p2p' }), policy({ kinds: notifyKinds.parse('none') }), me, ctx()).deliver).toBe(false);
    expect(notifyKinds.safeParse('p2p,gossip').error?.issues[0]?.message).toContain("got 'gossip'");
  });

  it('delivers task events only for tasks this agent owns or runs', () => {
    const own = { ...ctx(), isOwnTask: (id: string) => id === 'task-1' };
    expect(routeMessage(msg({ task_id: 'task-1' }), policy(), me, own).deliver).toBe(true);
    expect(routeMessage(msg({ task_id: 'task-2' }), policy(), me, own).deliver).toBe(false);
  });

  it('finds a mention only as a whole @name', () => {
    expect(mentions('(@Scout)', me)).toBe(true);
    expect(mentions('@Scouting', me)).toBe(false);
    expect(mentions('a@Scout', me)).toBe(false);
  });
});

describe('quiet hours', () => {
  const at = (h: number, m = 0) => new Date(2026, 11, 2, h, m).getTime();
  it('parses HH:MM-HH:MM, spans midnight, and names a bad value', () => {
    const q = quietHours.parse('22:00-07:30');
    expect(inQuietHours(q, at(23))).toBe(true);
    expect(inQuietHours(q, at(3))).toBe(true);
    expect(inQuietHours(q, at(7, 30))).toBe(false);
    expect(inQuietHours(q, at(12))).toBe(false);
    expect(quietEndsAt(q, at(23))).toBe(new Date(2026, 11, 3, 7, 30).getTime());
    expect(quietEndsAt(q, at(3))).toBe(at(7, 30));
    expect(quietEndsAt(q, at(12))).toBe(at(12));
    expect(quietHours.safeParse('10pm-7am').error?.issues[0]?.message).toContain('HH:MM-HH:MM');
    expect(quietHours.safeParse('07:00-07:00').success).toBe(false);
  });
});

describe('rendering', () => {
  it('names the sender and topic instead of ids, and escapes markup per channel', () => {
    const m = msg({ content: 'use *bold* and <b>', topic_name: 'Ops_room' } as Partial<Message>);
    (m as Record<string, unknown>).sender_display_name = 'Ana';
    expect(renderMessage('telegram', m)).toBe('💬 Ana in Ops\\_room\nuse \\*bold\\* and <b>');
    expect(renderMessage('slack', m)).toBe('💬 Ana in Ops_room\nuse *bold* and &lt;b&gt;');
    expect(renderMessage('webhook', m)).toBe('💬 Ana in Ops_room\nuse *bold* and <b>');
    expect(renderMessage('telegram', msg({ topic_type: 'p2p' }))).toBe('✉️ agent-other (direct)\nhello');
    expect(safeText('console', '*x*')).toBe('*x*');
  });

  it('summarises held messages in one digest', () => {
    const d = renderDigest('burst', ['💬 Ana in Ops\nfirst line\nsecond', '💬 Bo in Ops\nx'.padEnd(400, 'y')]);
    expect(d.split('\n')).toHaveLength(3);
    expect(d).toContain('🗞 2 messages held (burst)');
    expect(d).toContain('• 💬 Ana in Ops: first line');
  });
});

describe('splitting long texts', () => {
  it('cuts 10,000 characters of paragraphs into numbered parts under the limit, at paragraph boundaries, losing nothing', () => {
    const paras = Array.from({ length: 40 }, (_, i) => `${i}: ${'word '.repeat(48)}`.trim());
    const text = paras.join('\n\n');
    expect(text.length).toBeGreaterThan(9_000);
    const parts = splitText(text, 3_800);
    expect(parts.length).toBe(3);
    parts.forEach((p, i) => {
      expect(p.length).toBeLessThanOrEqual(3_800);
      expect(p.startsWith(`(${i + 1}/3) `)).toBe(true);
    });
    expect(parts.map(partBody).join('')).toBe(text);
    // Each part but the last ends at a paragraph break.
    for (const p of parts.slice(0, -1)) expect(p.endsWith('\n\n')).toBe(true);
  });

  it('keeps any text whole across its parts and every part under the limit', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3_000 }), fc.integer({ min: 20, max: 400 }), (text, max) => {
        const parts = splitText(text, max);
        for (const p of parts) expect(p.length).toBeLessThanOrEqual(max);
        expect(parts.length === 1 ? parts[0] : parts.map(partBody).join('')).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
