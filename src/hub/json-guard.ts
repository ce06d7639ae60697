/**
 * Bounded JSON: the nesting depth of a JSON text, measured on the raw text before anything parses
 * or serialises it (a body nested thousands of levels deep would overflow the stack in
 * `JSON.stringify` later). Linear, no recursion, strings skipped.
 */
import { HubError } from './core.js';

/** The deepest `[`/`{` nesting in `text`, or `max + 1` as soon as it passes `max`. */
export function jsonDepth(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > max) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

export const depthMessage = (where: string, max: number): string =>
  `${where} nests JSON deeper than ${max} levels (limit maxJsonDepth, --max-json-depth)`;

/** Throws a 400 naming the limit when `text` nests deeper than `max`. */
export function assertJsonDepth(text: string, max: number, where = 'body'): void {
  if (jsonDepth(text, max) > max) throw HubError.of('json_too_deep', depthMessage(where, max));
}

/** The `request_id` of a frame that is not parsed (too deep), when it can be read off the top of the text. */
export function requestIdOf(text: string): string | undefined {
  const m = /"request_id"\s*:\s*"((?:[^"\\]|\\.){0,200})"/.exec(text);
  if (!m?.[1]) return undefined;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return undefined;
  }
}
