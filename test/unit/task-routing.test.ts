/**
 * The pure parts of the task side of the runtime: what a task-topic message means, whether a
 * message asks for an auto-reply, the bucket a task lives in, and a bucket parent that spawns,
 * restores (from a persisted snapshot, timers re-armed by RESTORED) and stops task actors.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, type AnyActorRef } from 'xstate';
import { TASK_BUCKETS, bucketOf, restorable, taskBucketMachine } from '../../machines/task-bucket.machine.js';
import { taskMachine, type NotifyInput, type SetStatusInput, type TaskSnapshot } from '../../machines/task.machine.js';
import { Message } from '../../src/protocol/index.js';
import { parseTaskMessage } from '../../src/runtime/task-messages.js';
import { wantsReply } from '../../src/runtime/conversations.js';

const msg = (over: Record<string, unknown>) => Message.parse({ id: 'm1', topic_id: 't1', sender_id: 'alice', sender_type: 'agent', content: '', ...over });

describe('task-topic messages', () => {
  it('reads [TASK_RUN] as a hint with its task id and runner, whoever sent it', () => {
    expect(parseTaskMessage(msg({ content: '[TASK_RUN] task_id=T1 runner=bob exec_mode=do\ntitle=x' }))).toEqual({ kind: 'run', taskId: 'T1', runner: 'bob' });
    expect(parseTaskMessage(msg({ content: '[TASK_RUN] title=no id' }))).toEqual({ kind: 'other' });
  });

  it('reads [TASK_REVIEW] only from the hub (system sender), with the comment to the end', () => {
    const content = '[TASK_REVIEW] action=reject task_id=T1 by=carol\ntitle=x\ndescription=y\ncomment=more detail\nand tables';
    expect(parseTaskMessage(msg({ content, sender_type: 'system', sender_id: 'system' }))).toEqual({ kind: 'review', taskId: 'T1', action: 'reject', by: 'carol', comment: 'more detail\nand tables' });
    expect(parseTaskMessage(msg({ content }))).toEqual({ kind: 'other' });
    expect(parseTaskMessage(msg({ content: '[TASK_REVIEW] action=frob task_id=T1', sender_type: 'system' }))).toEqual({ kind: 'other' });
  });

  it('treats an untagged human message as a follow-up, never a tagged one', () => {
    expect(parseTaskMessage(msg({ content: 'please add charts', sender_type: 'human', sender_id: 'u1' }))).toEqual({ kind: 'human', from: 'u1', text: 'please add charts' });
    expect(parseTaskMessage(msg({ content: '[TASK_SUMMARY] x', sender_type: 'human' }))).toEqual({ kind: 'other' });
    expect(parseTaskMessage(msg({ content: 'an agent talking' }))).toEqual({ kind: 'other' });
  });
});

describe('auto-reply triggers (§9.6)', () => {
  const none = () => false;
  it('answers humans in p2p, agents only when mentioned; mentions in discussion and collaborative topics', () => {
    expect(wantsReply(msg({ topic_type: 'p2p', sender_type: 'human', content: 'hi' }), 'bob', [], none)).toEqual({ reply: true, kind: 'human' });
    expect(wantsReply(msg({ topic_type: 'p2p', content: 'hi' }), 'bob', [], none)).toMatchObject({ reply: false });
    expect(wantsReply(msg({ topic_type: 'p2p', content: '@bob hi' }), 'bob', [], none)).toEqual({ reply: true, kind: 'agent' });
    expect(wantsReply(msg({ topic_type: 'discussion', content: 'hey @all' }), 'bob', [], none)).toEqual({ reply: true, kind: 'agent' });
    expect(wantsReply(msg({ topic_type: 'collaborative', content: 'ask @Bobby' }), 'bob', ['Bobby'], none)).toEqual({ reply: true, kind: 'agent' });
    expect(wantsReply(msg({ topic_type: 'discussion', content: 'no one' }), 'bob', [], none)).toMatchObject({ reply: false });
  });

  it('never for broadcast, task topics, system senders, tagged or own messages', () => {
    expect(wantsReply(msg({ topic_type: 'broadcast', content: '@bob' }), 'bob', [], none)).toEqual({ reply: false, why: 'broadcast topic' });
    expect(wantsReply(msg({ topic_type: 'discussion', content: '@bob', topic_name: 'TASK-1234 x' }), 'bob', [], none)).toMatchObject({ reply: false });
    expect(wantsReply(msg({ topic_type: 'discussion', content: '@bob' }), 'bob', [], () => true)).toMatchObject({ reply: false });
    expect(wantsReply(msg({ topic_type: 'discussion', content: '@bob', sender_type: 'system' }), 'bob', [], none)).toEqual({ reply: false, why: 'system sender' });
    expect(wantsReply(msg({ topic_type: 'discussion', content: '[TASK_RUN] @bob' }), 'bob', [], none)).toMatchObject({ reply: false });
    expect(wantsReply(msg({ topic_type: 'p2p', content: '@bob', sender_id: 'bob' }), 'bob', [], none)).toEqual({ reply: false, why: 'own message' });
  });
});

describe('task buckets', () => {
  it('spreads ids over the buckets, the same way every time', () => {
    const counts = new Array<number>(TASK_BUCKETS).fill(0);
    for (let i = 0; i < 10_000; i++) counts[bucketOf(`task-${i}`)] = (counts[bucketOf(`task-${i}`)] ?? 0) + 1;
    expect(Math.min(...counts)).toBeGreaterThan(50);
    expect(Math.max(...counts)).toBeLessThan(150);
    expect(bucketOf('abc')).toBe(bucketOf('abc'));
  });

  it('spawns, restores from a persisted snapshot (the timeout re-armed by RESTORED) and stops task actors', async () => {
    const statuses: SetStatusInput[] = [];
    const task = taskMachine.provide({
      actors: {
        notify: fromPromise<void, NotifyInput>(async () => {}),
        setStatus: fromPromise<void, SetStatusInput>(async ({ input }) => void statuses.push(input)),
      },
    });
    const bucket = taskBucketMachine.provide({ actors: { task: restorable(task) } });
    const input = { task: { id: 'T1', title: 'x' }, agentId: 'bob', status: 'doing' as const, at: 0, maxRuntimeMs: 60_000, staleTimeoutMs: 600_000, rejectCooldownMs: 0 };

    const clock1 = new SimulatedClock();
    const a = createActor(bucket, { clock: clock1, systemId: 'tasks:0' });
    a.start();
    a.send({ type: 'SPAWN', key: 'task:T1', kind: 'task', input });
    const t1 = a.system.get('task:T1') as AnyActorRef;
    t1.send({ type: 'EXEC.STARTED', at: 0 });
    expect((t1.getSnapshot() as TaskSnapshot).matches({ doing: { run: { running: { attempt: 'started' } } } })).toBe(true);
    const persisted = t1.getPersistedSnapshot();
    a.stop();

    // Another process: restored 30 s later; the run timeout still fires 60 s after the real start.
    const clock2 = new SimulatedClock();
    const b = createActor(bucket, { clock: clock2, systemId: 'tasks:0' });
    b.start();
    b.send({ type: 'RESTORE', key: 'task:T1', kind: 'task', snapshot: persisted });
    const t2 = b.system.get('task:T1') as AnyActorRef;
    expect((t2.getSnapshot() as TaskSnapshot).context.task.id).toBe('T1');
    t2.send({ type: 'RESTORED', at: 30_000 });
    clock2.increment(29_999);
    expect((t2.getSnapshot() as TaskSnapshot).matches('doing')).toBe(true);
    clock2.increment(1);
    expect((t2.getSnapshot() as TaskSnapshot).matches('blocked')).toBe(true);
    expect((t2.getSnapshot() as TaskSnapshot).context.reason?.kind).toBe('timeout');
    await new Promise((r) => setImmediate(r));
    expect(statuses.map((s) => s.status)).toEqual(['blocked']);

    b.send({ type: 'STOP', key: 'task:T1' });
    expect(b.system.get('task:T1')).toBeUndefined();
    expect(Object.keys(b.getSnapshot().children)).toEqual([]);
  });
});
