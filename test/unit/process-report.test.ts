import { createActor, createMachine, enqueueActions, fromCallback, setup, stopChild, type AnyActorRef } from 'xstate';
import { describe, expect, it } from 'vitest';
import { countActors, processReport } from '../../src/runtime/process-report.js';

const leaf = fromCallback(() => () => undefined);
const parent = setup({ actors: { inner: createMachine({ invoke: { src: leaf } }) } }).createMachine({ invoke: { src: 'inner', id: 'inner' } });

describe('process report', () => {
  it('counts the live actors of a system, spawned ones included, and drops stopped ones', () => {
    const m = setup({
      types: { events: {} as { type: 'SPAWN'; id: string } | { type: 'STOP'; id: string } },
      actors: { leaf, parent },
    }).createMachine({
      on: {
        SPAWN: { actions: enqueueActions(({ enqueue, event }) => enqueue.spawnChild('leaf', { id: event.id })) },
        STOP: { actions: stopChild(({ event }) => event.id) },
      },
      invoke: { src: 'parent', id: 'parent' },
    });
    // The root, `parent`, its `inner` machine and the callback `inner` invokes.
    const root = createActor(m).start();
    expect(countActors(root as AnyActorRef)).toBe(4);
    root.send({ type: 'SPAWN', id: 'a' });
    root.send({ type: 'SPAWN', id: 'b' });
    expect(countActors(root as AnyActorRef)).toBe(6);
    root.send({ type: 'STOP', id: 'a' });
    expect(countActors(root as AnyActorRef)).toBe(5);
    root.stop();
    expect(countActors(root as AnyActorRef)).toBe(0);
  });

  it('reports memory, handles and the outbox depth (pending + held)', () => {
    const root = createActor(createMachine({})).start();
    const r = processReport(root as AnyActorRef, { pending: 3, held: 2, sent: 10, failed: 1, dropped: 0, digested: 0 });
    expect(r.rss_mb).toBeGreaterThan(0);
    expect(r.heap_used_mb).toBeGreaterThan(0);
    expect(r.handles).toBe(process.getActiveResourcesInfo().length);
    expect(r).toMatchObject({ actors: 1, outbox_depth: 5 });
    expect(processReport(root as AnyActorRef, null).outbox_depth).toBe(0);
  });
});
