/**
 * What a delivery says: names instead of bare ids, text made safe for the channel's markup, and
 * long texts split into numbered parts below the channel's limit. Pure functions.
 *
 * - OpenClaw channels: the gateway renders Markdown to HTML (and escapes `<` and `&` itself), so
 *   Markdown syntax in someone else's content is backslash-escaped.
 * - Slack: mrkdwn control characters `&`, `<`, `>` are entity-escaped.
 * - Other webhooks, the file and the console take plain text.
 */
import type { Message } from '../protocol/index.js';
import { channelKind } from './channels.js';

const MD_SPECIAL = /[\\`*_[\]~|]/g;

/** `text` made literal for `channel`. */
export function safeText(channel: string, text: string): string {
  if (channel === 'slack') return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (channelKind(channel) === 'openclaw') return text.replace(MD_SPECIAL, (c) => `\\${c}`);
  return text;
}

function senderName(m: Message): string {
  const n = (m as { sender_display_name?: unknown }).sender_display_name;
  return typeof n === 'string' && n.trim() ? n.trim() : m.sender_id;
}

function topicName(m: Message): string {
  return m.topic_name && m.topic_name.trim() ? m.topic_name.trim() : m.topic_id;
}

/** One message as the chat shows it. */
export function renderMessage(channel: string, m: Message): string {
  const who = safeText(channel, senderName(m));
  const head = m.topic_type === 'p2p' ? `✉️ ${who} (direct)` : `💬 ${who} in ${safeText(channel, topicName(m))}`;
  return `${head}\n${safeText(channel, m.content)}`;
}

/**
 * Many held deliveries as one text. Each item is an already rendered (channel-safe) delivery: its
 * first line names sender and topic, the second starts the content; the digest keeps both, short.
 */
export function renderDigest(reason: string, texts: readonly string[]): string {
  const lines = [`🗞 ${texts.length} message${texts.length === 1 ? '' : 's'} held (${reason}):`];
  for (const t of texts) {
    const [head = '', first = ''] = t.split('\n', 2);
    const short = first.length > 160 ? `${first.slice(0, 159)}…` : first;
    lines.push(`• ${head}: ${short}`);
  }
  return lines.join('\n');
}

/** Room kept for the `(12/34) ` prefix. */
const PREFIX_ROOM = 12;

/** Where to cut `s` at or before `max`: a paragraph, else a line, else a space, else `max`. */
function cutAt(s: string, max: number): number {
  const window = s.slice(0, max + 1);
  const min = Math.floor(max / 2);
  for (const sep of ['\n\n', '\n', ' ']) {
    const i = window.lastIndexOf(sep, max);
    if (i >= min) return i + sep.length;
  }
  // Never split a surrogate pair.
  const c = s.charCodeAt(max - 1);
  return c >= 0xd800 && c <= 0xdbff ? max - 1 : max;
}

/**
 * `text` as parts of at most `maxChars` each (prefix included), split at paragraph or line
 * boundaries where possible and numbered `(1/3) `. Nothing is dropped: the parts joined (without
 * their prefixes) are the text.
 */
export function splitText(text: string, maxChars: number): string[] {
  if (text.length <= maxChars) return [text];
  const budget = Math.max(1, maxChars - PREFIX_ROOM);
  const parts: string[] = [];
  let rest = text;
  while (rest.length > budget) {
    const at = cutAt(rest, budget);
    parts.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  if (rest.length > 0) parts.push(rest);
  return parts.map((p, i) => `(${i + 1}/${parts.length}) ${p}`);
}

/** A part without its `(i/n) ` prefix (for tests and trace). */
export function partBody(part: string): string {
  return part.replace(/^\(\d+\/\d+\) /, '');
}
