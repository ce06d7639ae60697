/**
 * Keyword matching for `/talk/random`: words of the text (lower case, 3+ letters, common English
 * words dropped; Han script runs become character pairs) counted in a topic's name + description.
 */

const STOP_WORDS = new Set(
  'the and for are but not you all any can had her was one our out has him his how its may new now old see two way who did get let put say she too use that this with from have they will what when your about which their there would could should into than then them these those some more very just also been were here like want talk need over only such'.split(
    ' ',
  ),
);

const HAN = /\p{Script=Han}/u;

export function keywordsOf(text: string): string[] {
  const out = new Set<string>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (HAN.test(word)) {
      const chars = [...word];
      if (chars.length === 1) out.add(word);
      for (let i = 0; i + 1 < chars.length; i++) out.add(`${chars[i]}${chars[i + 1]}`);
    } else if (word.length >= 3 && !STOP_WORDS.has(word)) {
      out.add(word);
    }
  }
  return [...out];
}

/** How many of the keywords occur in the text (case-insensitive). */
export function score(keywords: readonly string[], text: string): number {
  const hay = text.toLowerCase();
  return keywords.reduce((n, k) => (hay.includes(k) ? n + 1 : n), 0);
}
