/**
 * A bucket parent of task and pipeline actors (issue 10, scale). The root spawns `TASK_BUCKETS`
 * of them (`systemId: 'tasks:<k>'`); the actor for task `<id>` lives in bucket `bucketOf(id)`
 * with `systemId: 'task:<id>'` (pipelines: `pipeline:<id>`), so `system.get('task:<id>')` finds
 * it anywhere in the ONE system. XState's spawn cost grows with the children a parent already
 * has; 100 parents keep each one small, so 10,000 actors start in well under a second.
 *
 *   SPAWN   { key, kind, input }      a fresh actor (input of the task or pipeline machine)
 *   RESTORE { key, kind, snapshot }   an actor from its persisted snapshot (its invoked and spawned
 *                                     children come back too; the spawner sends RESTORED after)
 *   STOP    { key }                   stops the actor and removes it from this bucket
 */
import { enqueueActions, setup, type AnyActorLogic, type AnyStateMachine, type Snapshot } from 'xstate';
import { pipelineMachine, type PipelineInput } from './pipeline.machine.js';
import { taskMachine, type TaskMachineInput } from './task.machine.js';

export const TASK_BUCKETS = 100;

/** FNV-1a of the id, modulo the bucket count: stable across restarts. */
export function bucketOf(id: string, buckets = TASK_BUCKETS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % buckets;
}

export const bucketSystemId = (k: number): string => `tasks:${k}`;
export type ActorKind = 'task' | 'pipeline';
export const actorKey = (kind: ActorKind, id: string): string => `${kind}:${id}`;

/** Input of a restorable logic: a fresh start, or a persisted snapshot to continue from. */
export type Restorable<I> = { fresh: I } | { restore: Snapshot<unknown> };

/**
 * The same machine, started either from input or from a persisted snapshot (XState's spawn takes no
 * snapshot; this logic turns one given as input into the actor's first snapshot, children included).
 */
export function restorable<M extends AnyStateMachine>(machine: M): AnyActorLogic {
  const logic = Object.create(machine) as AnyStateMachine;
  Object.defineProperty(logic, 'getInitialSnapshot', {
    value(this: AnyStateMachine, scope: Parameters<M['getInitialSnapshot']>[0], input: Restorable<unknown>) {
      if ('restore' in input) return machine.restoreSnapshot.call(this, input.restore, scope);
      return machine.getInitialSnapshot.call(this, scope, input.fresh);
    },
  });
  return logic;
}

export type BucketEvent =
  | { type: 'SPAWN'; key: string; kind: 'task'; input: TaskMachineInput }
  | { type: 'SPAWN'; key: string; kind: 'pipeline'; input: PipelineInput }
  | { type: 'RESTORE'; key: string; kind: ActorKind; snapshot: Snapshot<unknown> }
  | { type: 'STOP'; key: string };

export const taskBucketMachine = setup({
  types: { events: {} as BucketEvent },
  actors: {
    task: restorable(taskMachine),
    pipeline: restorable(pipelineMachine),
  },
}).createMachine({
  id: 'taskBucket',
  description: 'Holds up to ~1% of the task and pipeline actors; spawns, restores and stops them by key.',
  on: {
    SPAWN: {
      actions: enqueueActions(({ event, enqueue, self }) => {
        if (self.getSnapshot().children[event.key]) return;
        const input = { fresh: event.input };
        if (event.kind === 'task') enqueue.spawnChild('task', { id: event.key, systemId: event.key, input });
        else enqueue.spawnChild('pipeline', { id: event.key, systemId: event.key, input });
      }),
    },
    RESTORE: {
      actions: enqueueActions(({ event, enqueue, self }) => {
        if (self.getSnapshot().children[event.key]) return;
        const input = { restore: event.snapshot };
        if (event.kind === 'task') enqueue.spawnChild('task', { id: event.key, systemId: event.key, input });
        else enqueue.spawnChild('pipeline', { id: event.key, systemId: event.key, input });
      }),
    },
    STOP: {
      actions: enqueueActions(({ event, enqueue, self }) => {
        if (self.getSnapshot().children[event.key]) enqueue.stopChild(event.key);
      }),
    },
  },
});
