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

  it('does not record a message when handing it on throws, so it comes again', () => {
    let fail = true;
    const seen: string[] = [];
    const { intake, store } = setup((m) => {
      if (fail) throw new Error('router busy');
      seen.push(m.id);
    });
    expect(intake.offer(msg(1), 'live')).toBe('failed');
    expect(store.hasSeen('m1')).toBe(false);
    fail = false;
    expect(intake.offer(msg(1), 'catchup')).toBe('delivered');
    expect(seen).toEqual(['m1']);
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
