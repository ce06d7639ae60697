/**
 * `wtt guard [continue|mute|block|unblock <peer>]`: the answer to a guard question (a peer was
 * denied, over its hourly budget, or an agent chain got too long). continue: the peer gets a fresh
 * hour and its next stopped work goes ahead once (in the daemon, its stopped tasks are dispatched
 * again); mute: no more questions about it for 1 h (its work stays stopped); block: nothing of it
 * runs until unblock. Alone: the blocked and muted peers. Kept in the state file.
 */
import { defineCommand } from '../module.js';
import { withStore, when } from './delivery-store.js';

const ACTIONS = ['continue', 'mute', 'block', 'unblock'] as const;
type Action = (typeof ACTIONS)[number];
type GuardArgs = { action?: undefined } | { action: Action; peer: string };

export const guard = defineCommand({
  name: 'guard',
  section: 'Tasks',
  usage: { args: '[continue|mute|block|unblock <agent_id>]', summary: 'Answer a guard question about a peer; alone, show blocked and muted peers' },
  parse: (r): GuardArgs => {
    const a = r.optWord()?.value.toLowerCase();
    if (a === undefined) return {};
    if (!(ACTIONS as readonly string[]).includes(a)) r.problem(`the action is continue, mute, block or unblock, got '${a}'`);
    return { action: a as Action, peer: r.single('<agent_id>') };
  },
  run: async (args, ctx) => {
    const { applyChoice, loadChoices } = await import('../../runtime/peer-guards.js');
    return withStore(ctx, (store) => {
      if (args.action === undefined) {
        const c = loadChoices(store);
        const now = Date.now();
        const muted = Object.entries(c.muted).filter(([, t]) => t > now);
        return [
          `Blocked peers: ${c.blocked.length > 0 ? c.blocked.join(', ') : 'none'}`,
          `Muted peers: ${muted.length > 0 ? muted.map(([p, t]) => `${p} (until ${when(t)})`).join(', ') : 'none'}`,
        ].join('\n');
      }
      applyChoice(store, args.action, args.peer, Date.now());
      switch (args.action) {
        case 'continue': {
          const n = ctx.tasks?.resume(args.peer) ?? 0;
          return `${args.peer}: continue — a fresh hour of runs, and its next stopped work goes ahead once${n > 0 ? ` (${n} stopped task${n === 1 ? '' : 's'} dispatched again)` : ''}.`;
        }
        case 'mute':
          return `${args.peer}: muted for 1 h — no more questions about it; its work stays stopped.`;
        case 'block':
          return `${args.peer}: blocked — nothing it sends runs here (wtt guard unblock ${args.peer} lifts it).`;
        case 'unblock':
          return `${args.peer}: unblocked.`;
      }
    });
  },
});
