/**
 * The daemon process's own figures for `wtt status` (`process`): memory, open handles, outbox depth
 * and the number of live actors in the one system — what `npm run soak` watches for leaks (a
 * stopped XState child that is never released would show up as a growing actor count).
 */
import type { AnyActorRef } from 'xstate';
import type { OutboxCounts } from './outbox.js';

export interface ProcessReport {
  rss_mb: number;
  heap_used_mb: number;
  /** process.getActiveResourcesInfo().length: timers, sockets, file handles the event loop holds. */
  handles: number;
  /** Live actors under the root (the root included). */
  actors: number;
  /** Outbox rows not sent yet (pending + held). */
  outbox_depth: number;
}

/** Actors reachable from `root` through its snapshot's children (the root included); stopped ones drop out. */
export function countActors(root: AnyActorRef): number {
  let n = 0;
  const stack: AnyActorRef[] = [root];
  while (stack.length > 0) {
    const ref = stack.pop() as AnyActorRef;
    const snap = ref.getSnapshot() as { status?: string; children?: Record<string, AnyActorRef | undefined> } | undefined;
    if (snap?.status !== undefined && snap.status !== 'active') continue;
    n++;
    for (const child of Object.values(snap?.children ?? {})) if (child) stack.push(child);
  }
  return n;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

export function processReport(root: AnyActorRef, outbox: OutboxCounts | null): ProcessReport {
  const m = process.memoryUsage();
  return {
    rss_mb: mb(m.rss),
    heap_used_mb: mb(m.heapUsed),
    handles: process.getActiveResourcesInfo().length,
    actors: countActors(root),
    outbox_depth: outbox ? (outbox.pending ?? 0) + (outbox.held ?? 0) : 0,
  };
}
