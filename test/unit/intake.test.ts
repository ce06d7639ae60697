import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Intake, type IntakeSource } from '../../src/runtime/intake.js';
import { StateStore } from '../../src/runtime/store.js';
import { DEFAULT_NOTIFY_POLICY } from '../../src/runtime/notify-policy.js';
import { parseServerFrame, type Message } from '../../src/protocol/index.js';

const stores: StateStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function setup(sink?: (m: Message, source: IntakeSource) => void) {
  const store = StateStore.open({ stateDir: mkdtempSync(join(tmpdir(), 'wtt-intake-')) });
  stores.push(store);
  const got: Array<{ id: string; source: IntakeSource }> = [];
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  });
  const log = createLogger({ level: 'warn', destination: destination as unknown as DestinationStream });
  const intake = new Intake({ store, log, onMessage: sink ?? ((m, source) => got.push({ id: m.id, source })) });
  return { store, intake, got, logLines };
}

const msg = (n: number, topic = 't1') => ({ id: `m${n}`, topic_id: topic, sender_id: 'agent-a', content: `c${n}`, seq: n, created_at: new Date(1_700_000_000_000 + n).toISOString() });

describe('Intake', () => {
  it('hands a message on once when it arrives live and again from catch-up', () => {
    const { intake, got } = setup();
    expect(intake.offer(msg(1), 'live')).toBe('delivered');
    expect(intake.offer(msg(1), 'catchup')).toBe('duplicate');
    expect(intake.offer({ ...msg(1), id: undefined, message_id: 'm1' }, 'poll')).toBe('duplicate');
    expect(got).toEqual([{ id: 'm1', source: 'live' }]);
    expect(intake.counts).toEqual({ delivered: 1, duplicates: 1 + 1, invalid: 0, failed: 0 });
  });

  it('drops a message older than the topic cursor when its seq is known', () => {
    const { intake, got } = setup();
    intake.offer(msg(5), 'live');
    expect(intake.offer(msg(3), 'catchup')).toBe('duplicate');
    expect(intake.offer(msg(3, 'other-topic'), 'catchup')).toBe('delivered');
    expect(got.map((g) => g.id)).toEqual(['m5', 'm3']);
  });

  it('counts and drops a message that fails validation when fields are missing', () => {
    const { intake, got, logLines } = setup();
    expect(intake.offer({ topic_id: 't1', sender_id: 'a', content: 'no id' }, 'live')).toBe('invalid');
    expect(intake.offer({ id: 'x', sender_id: 'a', content: 'no topic' }, 'live')).toBe('invalid');
    expect(intake.offer('not an object', 'poll')).toBe('invalid');
    expect(got).toEqual([]);
    expect(intake.counts.invalid).toBe(3);
    // One warning line each, carrying the reason.
    const warnings = logLines.map((l) => JSON.parse(l) as { level: number; msg: string; reason: string; source: string });
    expect(warnings.map((w) => [w.level, w.msg, w.source])).toEqual([
      [40, 'invalid inbound message dropped', 'live'],
      [40, 'invalid inbound message dropped', 'live'],
      [40, 'invalid inbound message dropped', 'poll'],
    ]);
    expect(warnings[1]?.reason).toContain('topic_id');
    for (const w of warnings) expect(w.reason.length).toBeGreaterThan(0);
  });

  it('records nothing of a message whose commit fails, holds back its topic, and takes both again at the next catch-up', () => {
    const store = StateStore.open({ stateDir: mkdtempSync(join(tmpdir(), 'wtt-intake-')) });
    stores.push(store);
    let failOn: string | undefined = 'm1';
    const heldBack: string[] = [];
    const committed: string[] = [];
    const intake = new Intake({
      store,
      onHeldBack: (t) => heldBack.push(t),
      onCommitted: (c) => committed.push(...c.messages.map((m) => m.id)),
      planner: {
        policy: { ...DEFAULT_NOTIFY_POLICY, kinds: 'all' },
        identity: () => ({ agentId: 'me', mentionNames: [] }),
        routes: () => {
          // The routing runs inside the transaction: a throw here rolls the seen id back too.
          if (failOn) {
            const f = failOn;
            failOn = undefined;
            throw new Error(`disk full while routing ${f}`);
          }
          return [{ key: 'console:stdout', channel: 'console', maxChars: 1_000_000 }];
        },
      },
    });
    expect(intake.offer(msg(1), 'live')).toBe('failed');
    expect(store.hasSeen('m1')).toBe(false);
    // The next good message of the same topic must not move the cursor past m1.
    expect(intake.offer(msg(2), 'live')).toBe('failed');
    expect(store.hasSeen('m2')).toBe(false);
    expect(store.cursor('t1')).toBeUndefined();
    expect(heldBack).toEqual(['t1']);
    intake.beginCatchUp();
    expect(intake.acceptMany([msg(1), msg(2)].map((m) => m as unknown as Message), 'catchup')).toMatchObject({ delivered: 2 });
    expect(committed).toEqual(['m1', 'm2']);
    expect(store.outboxList({ state: 'pending' }).map((e) => e.message_id).reverse()).toEqual(['m1', 'm2']);
  });

  it('keeps a message recorded when a monitor of it throws', () => {
    const { intake, store } = setup(() => {
      throw new Error('stdout closed');
    });
    expect(intake.offer(msg(1), 'live')).toBe('delivered');
    expect(store.hasSeen('m1')).toBe(true);
    expect(intake.offer(msg(1), 'catchup')).toBe('duplicate');
  });

  it('records without handing on when skipping to start from now', () => {
    const { intake, got, store } = setup();
    intake.skip(msg(7) as unknown as Message);
    expect(got).toEqual([]);
    expect(store.cursor('t1')?.message_id).toBe('m7');
    expect(intake.offer(msg(6), 'catchup')).toBe('duplicate');
    expect(intake.offer(msg(8), 'catchup')).toBe('delivered');
  });

  it('never throws and accounts for every value when fed 10,000 random values', () => {
    const { intake } = setup();
    const value = fc.oneof(
      fc.anything(),
      fc.record({ id: fc.string(), topic_id: fc.string(), sender_id: fc.string(), content: fc.string(), seq: fc.option(fc.integer(), { nil: undefined }) }),
      fc.record({ message_id: fc.string({ minLength: 1 }), topic_id: fc.string({ minLength: 1 }), sender_id: fc.string(), content: fc.string() }),
    );
    let n = 0;
    fc.assert(
      fc.property(value, (v) => {
        n++;
        const out = intake.offer(v, 'live');
        expect(['delivered', 'duplicate', 'invalid']).toContain(out);
      }),
      { numRuns: 10_000 },
    );
    const c = intake.counts;
    expect(c.delivered + c.duplicates + c.invalid).toBe(n);
    expect(c.invalid).toBeGreaterThan(0);
    expect(c.delivered).toBeGreaterThan(0);
  });

  it('never throws when fed 10,000 random text frames through the frame parser', () => {
    const { intake } = setup();
    let invalidFrames = 0;
    const text = fc.oneof(
      fc.string(),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify({ type: 'new_message', message: v })),
      fc.jsonValue().map((v) => JSON.stringify({ type: 'task_status', data: v })),
      fc.constantFrom('ping', 'pong', '{}', '[]', 'null', '{"type":1}'),
    );
    fc.assert(
      fc.property(text, (t) => {
        const p = parseServerFrame(t);
        if (p.kind === 'invalid') {
          invalidFrames++;
          intake.invalid(p.reason, 'frame');
        } else if (p.kind === 'frame' && p.frame.type === 'new_message') intake.accept(p.frame.message, 'live');
      }),
      { numRuns: 10_000 },
    );
    expect(intake.counts.invalid).toBe(invalidFrames);
    expect(invalidFrames).toBeGreaterThan(100);
  });
});
