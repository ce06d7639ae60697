/**
 * `WTT_EXECUTOR_COMMAND` → argv, for `spawn` without a shell: either a JSON array of strings, or
 * words split on whitespace with '…' / "…" quoting and \ escapes. Shell operators outside quotes
 * are refused with a message (they would be passed as literal arguments, never interpreted), so
 * task data can never become shell syntax: it only ever reaches the command on stdin.
 */
import { z } from 'zod';

const JsonArgv = z.array(z.string().min(1)).min(1);
const SHELL_OPERATORS = /[|&;<>`]|\$\(/u;

export type ArgvResult = { ok: true; argv: string[] } | { ok: false; problem: string };

export function parseCommandLine(text: string, key = 'WTT_EXECUTOR_COMMAND'): ArgvResult {
  const s = text.trim();
  if (s === '') return { ok: false, problem: `${key} is empty` };
  if (s.startsWith('[')) {
    let raw: unknown;
    try {
      raw = JSON.parse(s);
    } catch {
      return { ok: false, problem: `${key} starts with [ but is not a JSON array of strings` };
    }
    const r = JsonArgv.safeParse(raw);
    return r.success ? { ok: true, argv: r.data } : { ok: false, problem: `${key} must be a JSON array of non-empty strings` };
  }
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < s.length) word += s[++i];
      else word += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < s.length) {
      word += s[++i];
      inWord = true;
    } else if (/\s/u.test(ch)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
    } else {
      if (SHELL_OPERATORS.test(ch) || (ch === '$' && s[i + 1] === '(')) {
        return { ok: false, problem: `${key} is run without a shell: '${ch === '$' ? '$(' : ch}' would not work; put the pipeline in a script and name the script` };
      }
      word += ch;
      inWord = true;
    }
  }
  if (quote) return { ok: false, problem: `${key} has an unclosed ${quote} quote` };
  if (inWord) argv.push(word);
  return argv.length > 0 ? { ok: true, argv } : { ok: false, problem: `${key} is empty` };
}
