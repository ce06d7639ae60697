/** `wtt outbox [list [state] | retry <id> | drop <id>]`: the chat deliveries waiting, held or failed. */
import { defineCommand } from '../module.js';
import { DELIVERY_STATES, type DeliveryState } from '../../runtime/delivery-states.js';
import type { OutboxEntry } from '../../runtime/outbox.js';
import { preview, withStore } from './delivery-store.js';

type OutboxArgs = { action: 'list'; state?: DeliveryState | undefined } | { action: 'retry' | 'drop'; id: number };

function row(e: OutboxEntry): string {
  const extra = e.state === 'held' ? ` (${e.hold_reason ?? 'held'})` : e.last_error ? ` — ${preview(e.last_error, 80)}` : '';
  return `#${e.id} ${e.state} ${e.route} ${e.kind}${e.message_id ? ` ${e.message_id}` : ''} attempts=${e.attempts}: ${preview(e.text)}${extra}`;
}

function parseId(r: { problem(p: string): never }, raw: string): number {
  const id = /^#?\d{1,12}$/.test(raw) ? Number(raw.replace('#', '')) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) r.problem(`a delivery id is a number (as in \`wtt outbox\`), got '${raw}'`);
  return id;
}

export const outbox = defineCommand({
  name: 'outbox',
  section: 'Delivery',
  usage: {
    args: '[list [pending|held|failed|sent|dropped|digested] | retry <id> | drop <id>]',
    summary: 'List chat deliveries waiting, held or failed; send a failed one again, or drop one',
  },
  parse: (r): OutboxArgs => {
    const w = r.optWord()?.value.toLowerCase();
    if (w === undefined || w === 'list' || w === 'ls') {
      const s = r.optWord()?.value.toLowerCase();
      r.end();
      if (s !== undefined && !(DELIVERY_STATES as readonly string[]).includes(s)) r.problem(`unknown state '${s}' (use ${DELIVERY_STATES.join(', ')})`);
      return { action: 'list', state: s as DeliveryState | undefined };
    }
    if (w === 'retry' || w === 'drop') {
      const id = parseId(r, r.single('<id>'));
      return { action: w, id };
    }
    return r.problem(`unknown outbox action '${w}' (use list, retry or drop)`);
  },
  run: (args, ctx) =>
    withStore(ctx, (store, wake) => {
      if (args.action === 'list') {
        const rows = store.outboxList({ state: args.state, limit: 50 });
        const c = store.outboxCounts();
        const head = `Outbox: ${c.pending} pending, ${c.held} held, ${c.failed} failed (${c.sent} sent)`;
        if (rows.length === 0) return `${head}\n${args.state ? `no ${args.state} deliveries` : 'nothing pending, held or failed'}`;
        return [head, ...rows.map(row)].join('\n');
      }
      const before = store.outbox.get(args.id);
      if (!before) throw new Error(`no delivery #${args.id} in the outbox`);
      const after = args.action === 'retry' ? store.outboxRetry(args.id) : store.outboxDrop(args.id);
      if (!after || after.state === before.state) {
        throw new Error(
          args.action === 'retry'
            ? `delivery #${args.id} is ${before.state}; only failed or dropped deliveries can be retried`
            : `delivery #${args.id} is ${before.state}; only pending, held or failed deliveries can be dropped`,
        );
      }
      if (args.action === 'retry') wake();
      return args.action === 'retry' ? `Delivery #${args.id} queued again for ${after.route}.` : `Delivery #${args.id} dropped; it will not be sent.`;
    }),
});
