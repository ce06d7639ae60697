/**
 * The state store a delivery command works on: the daemon's own (over the control socket the
 * command runs inside the daemon), or, with no daemon running, the state file opened for this one
 * command (the next daemon start sends what it queued).
 */
import type { CommandContext } from '../context.js';
import type { StateStore } from '../../runtime/store.js';

export async function withStore<T>(ctx: CommandContext, fn: (store: StateStore, wake: () => void) => T): Promise<T> {
  if (ctx.store) return fn(ctx.store, ctx.wakeNotifier ?? (() => undefined));
  const { StateStore: Store } = await import('../../runtime/store.js');
  const store = Store.open({ stateDir: ctx.config.stateDir, log: ctx.log });
  try {
    return fn(store, () => undefined);
  } finally {
    store.close();
  }
}

export function when(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function preview(text: string, max = 60): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
