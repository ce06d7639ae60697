import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArgv, parseCommand, UsageError } from '../../src/commands/grammar.js';
import { joinWords, splitWords } from '../../src/commands/tokenize.js';

const WORDS = [
  '@wtt', '/wtt', '@WTT', 'list', 'ls', 'find', 'create', 'new', 'delete', 'detail', 'subscribed', 'join', 'leave', 'history',
  'publish', 'post', 'poll', 'p2p', 'dm', 'feed', 'inbox', 'task', 'pipeline', 'pipe', 'memory', 'recall', 'talk', 'rich', 'export',
  'preview', 'delegate', 'blacklist', 'ban', 'bind', 'config', 'whoami', 'help', 'create', 'update', 'assign', 'run', 'review',
  'deps', 'graph', 'progress', 'add', 'status', 'remove', 'read', 'approve', 'reject', 'block', 'auto', '--help', '-h', '--type',
  '--type=image', 'limit=5', 'status=todo', 'auto_review=yes', 'mode=distilled', 'title=x', 'k=v', '=', '"', "'", '\\', '"a b"',
  "'c d'", '0', '1000', '1001', '-1', 'constructor', '__proto__', '\n', '\t', 'https://example.org', 'file:///x', 't1',
];

/** Command-shaped strings: known words, random words and quoting characters, joined by random whitespace. */
const commandText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 })), fc.constantFrom(' ', '  ', '\n', '\t', '')), {
      maxLength: 10,
    })
    .map((parts) => parts.map(([w, sep]) => w + sep).join('')),
);

function outcome(run: () => unknown): 'command' | 'usage' {
  try {
    const c = run() as { kind?: unknown };
    expect(typeof c.kind).toBe('string');
    return 'command';
  } catch (e) {
    if (e instanceof UsageError) {
      expect(e.message).toContain('\nUsage: wtt ');
      expect(e.code).toBe('WTT_ERR_USAGE');
      return 'usage';
    }
    throw e;
  }
}

describe('grammar (property)', () => {
  it('returns a Command or throws a UsageError when given any of 10,000 random strings', () => {
    const seen = { command: 0, usage: 0 };
    fc.assert(
      fc.property(commandText, (text) => {
        seen[outcome(() => parseCommand(text))]++;
      }),
      { numRuns: 10_000 },
    );
    // The generator reaches both outcomes, so the property is not vacuous.
    expect(seen.command).toBeGreaterThan(100);
    expect(seen.usage).toBeGreaterThan(100);
  });

  it('returns a Command or throws a UsageError when given random argv arrays', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 20 })), { maxLength: 8 }), (argv) => {
        outcome(() => parseArgv(argv));
      }),
      { numRuns: 2_000 },
    );
  });

  it('splits joined words back into the same words when any strings are quoted', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 8 }), (words) => {
        expect(splitWords(joinWords(words)).map((w) => w.value)).toEqual(words);
      }),
      { numRuns: 5_000 },
    );
  });

  it('keeps task titles and descriptions exactly when they come through argv', () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => s.trim() !== '' && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(s));
    fc.assert(
      fc.property(text, text, (title, description) => {
        const c = parseArgv(['task', 'create', title, description]);
        expect(c).toEqual({ kind: 'task.create', title, description, fields: {} });
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps publish content exactly when it comes as one argv word', () => {
    const content = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }).filter((s) => s.trim() !== '' && !/^\s*--type(=|\s|$)/.test(s));
    fc.assert(
      fc.property(content, (c) => {
        expect(parseArgv(['publish', 't1', c])).toEqual({ kind: 'publish', topic_id: 't1', content_type: 'text', content: c });
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps p2p content as written when the whole command is one string', () => {
    const content = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 200 })
      .filter((s) => s === s.trim() && s !== '' && !/^["']/.test(s));
    fc.assert(
      fc.property(content, (c) => {
        expect(parseCommand(`@wtt p2p agent-2 ${c}`)).toEqual({ kind: 'p2p', agent_id: 'agent-2', content: c });
      }),
      { numRuns: 2_000 },
    );
  });
});
