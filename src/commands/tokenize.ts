/**
 * Shell-like word splitting for `@wtt` command text (wtt-protocol.md §10.1), plus the inverse
 * (`quoteWord`) so that a list of words can be turned back into text that splits to the same words.
 *
 * Rules (a subset of POSIX shell quoting, without expansions):
 * - words are separated by whitespace;
 * - `'…'` keeps everything literally up to the next `'`;
 * - `"…"` keeps everything literally except `\"` and `\\`, which stand for `"` and `\`;
 * - outside quotes, `\x` stands for `x` (a trailing lone `\` stays a `\`);
 * - quoted and unquoted parts join into one word when nothing separates them (`key="a b"`).
 * Zero-dependency on purpose: `wtt help` loads this file and must start fast.
 */

export interface Word {
  /** The word after quote removal. */
  value: string;
  /** Offset of the word's first character in the text. */
  start: number;
  /** Offset just past the word's last character in the text. */
  end: number;
  /** The word as written (with its quotes). */
  raw: string;
}

/** A quote was opened and never closed. */
export class UnterminatedQuoteError extends Error {
  override readonly name = 'UnterminatedQuoteError';
  constructor(
    readonly quote: '"' | "'",
    readonly index: number,
  ) {
    super(`unterminated ${quote === '"' ? 'double' : 'single'} quote at character ${index + 1}`);
  }
}

const isSpace = (ch: string): boolean => /\s/u.test(ch);

/** Offset of the first non-whitespace character at or after `pos` (text.length if none). */
export function skipSpace(text: string, pos: number): number {
  let i = pos;
  while (i < text.length && isSpace(text[i] as string)) i++;
  return i;
}

/** The next word at or after `pos`, or undefined at the end of the text. Throws UnterminatedQuoteError. */
export function nextWord(text: string, pos: number): Word | undefined {
  const start = skipSpace(text, pos);
  if (start >= text.length) return undefined;
  let i = start;
  let value = '';
  while (i < text.length) {
    const ch = text[i] as string;
    if (isSpace(ch)) break;
    if (ch === "'") {
      const close = text.indexOf("'", i + 1);
      if (close < 0) throw new UnterminatedQuoteError("'", i);
      value += text.slice(i + 1, close);
      i = close + 1;
    } else if (ch === '"') {
      let j = i + 1;
      let closed = false;
      while (j < text.length) {
        const c = text[j] as string;
        if (c === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) {
          value += text[j + 1];
          j += 2;
        } else if (c === '"') {
          closed = true;
          j++;
          break;
        } else {
          value += c;
          j++;
        }
      }
      if (!closed) throw new UnterminatedQuoteError('"', i);
      i = j;
    } else if (ch === '\\') {
      if (i + 1 < text.length) {
        value += text[i + 1];
        i += 2;
      } else {
        value += ch;
        i++;
      }
    } else {
      value += ch;
      i++;
    }
  }
  return { value, start, end: i, raw: text.slice(start, i) };
}

/** Every word of the text. Throws UnterminatedQuoteError. */
export function splitWords(text: string): Word[] {
  const out: Word[] = [];
  let pos = 0;
  for (;;) {
    const w = nextWord(text, pos);
    if (!w) return out;
    out.push(w);
    pos = w.end;
  }
}

/** Text that `nextWord` reads back as exactly `value` (double quotes when needed, as people type them). */
export function quoteWord(value: string): string {
  if (value !== '' && /^[^\s'"\\]+$/u.test(value)) return value;
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/** Words → one line of text that `splitWords` turns back into the same values. */
export function joinWords(values: readonly string[]): string {
  return values.map(quoteWord).join(' ');
}
