/** `wtt trace <message_id>`: where a message went (route, adapter, attempts, chat message id), or why it did not. */
import { defineCommand } from '../module.js';
import type { OutboxEntry, Trace } from '../../runtime/outbox.js';
import { preview, when, withStore } from './delivery-store.js';

function deliveryLine(d: OutboxEntry): string {
  const what = d.kind === 'message' ? 'message' : d.kind;
  const head = `#${d.id} → ${d.route} (${what}): ${d.state}`;
  switch (d.state) {
    case 'sent':
      return `${head} via ${d.adapter ?? '?'}${d.chat_message_id ? `, chat message id ${d.chat_message_id}` : ''}, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
    case 'failed':
      return `${head} after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}: ${d.last_error ?? 'no reason recorded'}`;
    case 'held':
      return `${head} (${d.hold_reason ?? 'held'}) until ${when(d.next_at)}`;
    case 'digested':
      return `${head} into digest #${d.digest_id ?? '?'} (${d.hold_reason ?? 'held'})`;
    case 'pending':
      return `${head}${d.attempts > 0 ? ` (${d.attempts} failed attempt${d.attempts === 1 ? '' : 's'} so far: ${d.last_error ?? '?'})` : ' (waiting for its turn)'}`;
    case 'dropped':
      return `${head} (dropped by the user)`;
  }
}

export function formatTrace(messageId: string, t: Trace): string {
  if (!t.decision && t.deliveries.length === 0) {
    return `No record of message ${messageId}: it has not reached this agent, or it is older than the 7-day trace window.`;
  }
  const lines = [`Message ${messageId}${t.decision ? ` (topic ${t.decision.topic_id})` : ''}`];
  if (t.decision) lines.push(`decision: ${t.decision.delivered ? 'deliver' : 'not delivered'}: ${t.decision.reason} (${when(t.decision.at)})`);
  for (const d of t.deliveries) {
    lines.push(deliveryLine(d));
    for (const a of t.attempts.filter((x) => x.delivery_id === d.id)) {
      lines.push(`    ${when(a.at)} ${a.ok ? 'ok' : 'failed'} via ${a.adapter}${a.chat_message_id ? ` (chat message id ${a.chat_message_id})` : ''}${a.error ? `: ${a.error}` : ''}`);
    }
    if (d.kind !== 'message') lines.push(`    text: ${preview(d.text, 80)}`);
  }
  if (t.decision?.delivered && t.deliveries.length === 0) lines.push('no delivery rows (the chat routes changed since?)');
  return lines.join('\n');
}

export const trace = defineCommand({
  name: 'trace',
  section: 'Delivery',
  usage: { args: '<message_id>', summary: 'Show where a message went: route, adapter, attempts, chat message id, or why it did not go' },
  parse: (r) => ({ message_id: r.single('<message_id>') }),
  run: ({ message_id }, ctx) => withStore(ctx, (store) => formatTrace(message_id, store.trace(message_id))),
});
