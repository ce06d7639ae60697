/** ActorTree: the status page's view of the actor system, from inspection events and live snapshots. */
import { createActor, createMachine, fromPromise, setup, spawnChild, stopChild } from 'xstate';
import { describe, expect, it } from 'vitest';
import { activePaths, ActorTree, eventLabel } from '../../src/inspect/actor-tree.js';

const machine = setup({ actors: { work: fromPromise(() => new Promise<void>(() => undefined)) } }).createMachine({
  id: 'demo',
  initial: 'idle',
  states: {
    idle: { on: { GO: 'busy' } },
    busy: {
      type: 'parallel',
      invoke: { src: 'work', systemId: 'worker' },
      on: { STOP: 'idle' },
      states: { a: { initial: 'one', states: { one: { after: { 1000: 'two' } }, two: {} } }, b: { initial: 'x', states: { x: {} } } },
    },
  },
});

describe('ActorTree', () => {
  it('lists the actors with their states, drops stopped ones, and keeps the last events newest first', () => {
    const tree = new ActorTree();
    const actor = createActor(machine, { systemId: 'root', inspect: tree.observer }).start();
    expect(tree.actors()).toEqual([expect.objectContaining({ id: 'root', parent: null, machine: 'demo', value: 'idle', active: ['idle'] })]);
    actor.send({ type: 'GO' });
    const busy = tree.actors();
    expect(busy.find((a) => a.id === 'root')?.active).toEqual(['busy', 'busy.a', 'busy.a.one', 'busy.b', 'busy.b.x']);
    expect(busy.find((a) => a.id === 'worker')).toMatchObject({ parent: busy.find((a) => a.id === 'root')?.session, machine: null, value: null });
    actor.send({ type: 'STOP' });
    expect(tree.actors().map((a) => a.id)).toEqual(['root']);
    expect(tree.events(3).map((e) => `${e.to}:${e.type}`)).toEqual(['root:STOP', 'worker:xstate.init', 'root:GO']);
    actor.stop();
    expect(tree.actors()).toEqual([]);
  });

  it('lists a grouping machine (a task bucket) only while it holds a child', () => {
    const child = createMachine({ id: 'leaf', initial: 'on', states: { on: {} } });
    const bucket = setup({ actors: { leaf: child } }).createMachine({
      id: 'taskBucket',
      on: {
        ADD: { actions: spawnChild('leaf', { id: 'one', systemId: 'task:one' }) },
        DROP: { actions: stopChild('one') },
      },
    });
    const tree = new ActorTree();
    const actor = createActor(bucket, { systemId: 'tasks:0', inspect: tree.observer }).start();
    expect(tree.actors()).toEqual([]);
    actor.send({ type: 'ADD' });
    expect(tree.actors().map((a) => a.id).sort()).toEqual(['task:one', 'tasks:0']);
    actor.send({ type: 'DROP' });
    expect(tree.actors()).toEqual([]);
    actor.stop();
  });

  it('draws the machine from its definition, with readable transition labels', () => {
    const tree = new ActorTree();
    const actor = createActor(machine, { inspect: tree.observer }).start();
    const chart = tree.charts().demo;
    expect(chart?.children.map((c) => c.path)).toEqual(['idle', 'busy']);
    expect(chart?.children[0]?.edges).toEqual([{ event: 'GO', target: 'busy' }]);
    const one = chart?.children[1]?.children[0]?.children[0];
    expect(one).toMatchObject({ path: 'busy.a.one', edges: [{ event: 'after 1000', target: 'busy.a.two' }] });
    actor.stop();
  });
});

describe('activePaths / eventLabel', () => {
  it('turns state values into key paths and xstate event types into labels', () => {
    expect(activePaths('idle')).toEqual(['idle']);
    expect(activePaths({ open: 'live' })).toEqual(['open', 'open.live']);
    expect(eventLabel('xstate.after.pollInterval.connection.polling')).toBe('after pollInterval');
    expect(eventLabel('xstate.done.actor.0.connection.open.catchingUp')).toBe('done');
    expect(eventLabel('xstate.error.actor.x')).toBe('error');
    expect(eventLabel('SOCKET.OPENED')).toBe('SOCKET.OPENED');
    expect(createMachine({}).id).toBe('(machine)');
  });
});
