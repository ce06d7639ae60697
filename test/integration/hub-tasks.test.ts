import { beforeEach, describe, expect, it } from 'vitest';
import { Message, Task, TaskStatusFrame, Topic } from '../../src/protocol/index.js';
import {
  api, isTaskMessage as isTaggedMessage, isTaskStatus as isStatus, registerAgent, useHub,
  type RegisteredAgent, type StartedHub, type TestSocket,
} from '../helpers/hub.js';

describe('hub tasks', () => {
  const fx = useHub(['alice', 'bob', 'carol']);
  let h: StartedHub;
  let alice: RegisteredAgent;
  let bob: RegisteredAgent;
  let carol: RegisteredAgent;
  beforeEach(() => {
    h = fx.h;
    [alice, bob, carol] = fx.agents;
  });

  const ws = (who: RegisteredAgent) => fx.ws(who);
  const createTaskRaw = (who: RegisteredAgent, body: Record<string, unknown>) => api(h.url, '/tasks', { body, token: who.agent_token });
  const createTask = async (who: RegisteredAgent, body: Record<string, unknown>) => {
    const r = await createTaskRaw(who, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return Task.parse(r.body);
  };
  const patch = (who: RegisteredAgent, id: string, body: Record<string, unknown>) =>
    api(h.url, `/tasks/${id}`, { method: 'PATCH', body, token: who.agent_token });
  const review = (who: RegisteredAgent, id: string, action: string, comment = '') =>
    api(h.url, `/tasks/${id}/review`, { body: { action, comment, reviewer: who.agent_id }, token: who.agent_token });
  const run = (who: RegisteredAgent, id: string, extra: Record<string, unknown> = {}) =>
    api(h.url, `/tasks/${id}/run`, { body: { trigger_agent_id: who.agent_id, ...extra }, token: who.agent_token });

  it('creates a task with its TASK- topic, subscribes owner and runner and pushes todo when posted', async () => {
    const bobWs = await ws(bob);
    const t = await createTask(alice, { title: 'Summarise the logs', description: 'last 24 h', runner_agent_id: bob.agent_id, exec_mode: 'reasoning', task_type: 'analysis', priority: 'P1' });
    expect(t).toMatchObject({ status: 'todo', owner_agent_id: alice.agent_id, runner_agent_id: bob.agent_id, created_by: alice.agent_id, pipeline_id: 'default', priority: 'P1' });
    expect(t.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const topic = Topic.parse((await api(h.url, `/topics/${t.topic_id}`, { token: bob.agent_token })).body);
    expect(topic.name).toBe(`TASK-${t.id.slice(0, 8)} Summarise the logs`);
    expect(topic.type).toBe('collaborative');
    const members = (await api(h.url, `/topics/${t.topic_id}/members`, { token: alice.agent_token })).body as { agent_id: string }[];
    expect(members.map((m) => m.agent_id).sort()).toEqual([alice.agent_id, bob.agent_id].sort());
    const frame = TaskStatusFrame.parse(await bobWs.waitFor(isStatus(t.id, 'todo')));
    expect(frame).toMatchObject({ task_id: t.id, status: 'todo', topic_id: t.topic_id, title: 'Summarise the logs', exec_mode: 'reasoning', task_type: 'analysis', runner_agent_id: bob.agent_id, pipeline_id: 'default' });
  });

  it('stores and returns every task field of §5.1 when created with all of them', async () => {
    const fields = {
      title: 'Every field', description: 'desc', task_type: 'analysis', task_mode: 'pipeline', pipeline_id: 'default', priority: 'P0',
      status: 'todo', owner_agent_id: alice.agent_id, runner_agent_id: bob.agent_id, created_by: alice.agent_id, acceptance: 'tests pass',
      exec_mode: 'plan', due_at: '2030-01-31T12:00:00Z', estimate_hours: 2.5, dependencies: 'needs the logs', notes: 'WTT_PLAN_JSON:{"goal":"g"}',
      output: '', reviewer: alice.agent_id, usage_prompt_tokens: 10, usage_completion_tokens: 20, usage_cache_read_tokens: 3,
      usage_cache_write_tokens: 4, usage_total_tokens: 37, usage_source: 'openclaw',
    };
    const t = await createTask(alice, fields);
    expect(t).toMatchObject(fields);
    expect(typeof t.topic_id).toBe('string');
    for (const k of ['created_at', 'updated_at'] as const) expect(Number.isNaN(Date.parse(t[k] as string))).toBe(false);
    expect((await api(h.url, `/tasks/${t.id}`, { token: bob.agent_token })).body).toEqual(t);
    const edited = await patch(bob, t.id, { acceptance: 'reviewed', estimate_hours: '4', usage_total_tokens: 50, due_at: '2030-02-01' });
    expect(edited.body).toMatchObject({ acceptance: 'reviewed', estimate_hours: 4, usage_total_tokens: 50, due_at: '2030-02-01', title: 'Every field' });
    expect((await createTaskRaw(alice, { title: 'bad priority', priority: 'P9' })).status).toBe(422);
  });

  it('pushes task_status to a topic member who is neither owner nor runner when the status changes', async () => {
    const carolWs = await ws(carol);
    // carol creates the task for alice (owner) and bob (runner), so she is a member of its topic.
    const t = await createTask(carol, { title: 'For others', created_by: carol.agent_id, owner_agent_id: alice.agent_id, runner_agent_id: bob.agent_id });
    expect(t).toMatchObject({ created_by: carol.agent_id, owner_agent_id: alice.agent_id, runner_agent_id: bob.agent_id });
    const members = (await api(h.url, `/topics/${t.topic_id}/members`, { token: carol.agent_token })).body as { agent_id: string; role: string }[];
    expect(Object.fromEntries(members.map((m) => [m.agent_id, m.role]))).toEqual({ [alice.agent_id]: 'owner', [bob.agent_id]: 'member', [carol.agent_id]: 'member' });
    await run(bob, t.id);
    await carolWs.waitFor(isStatus(t.id, 'doing'));
    await patch(bob, t.id, { status: 'blocked' });
    await carolWs.waitFor(isStatus(t.id, 'blocked'));
    expect(carolWs.frames.filter((f) => f.type === 'task_status' && f.task_id === t.id).map((f) => f.status)).toEqual(['todo', 'doing', 'blocked']);
  });

  it('walks todo → doing → review → done with [TASK_RUN], [TASK_REVIEW] and task_status pushes seen over WebSocket', async () => {
    const aliceWs = await ws(alice);
    const bobWs = await ws(bob);
    const t = await createTask(alice, { title: 'Ship it', description: 'release notes', runner_agent_id: bob.agent_id, exec_mode: 'reasoning', task_type: 'feature' });

    const ran = await run(alice, t.id, { note: 'today please' });
    expect(ran.status).toBe(200);
    expect(ran.body).toMatchObject({ status: 'doing' });
    expect(typeof ran.body.started_at).toBe('string');
    await bobWs.waitFor(isStatus(t.id, 'doing'));
    const dispatch = Message.parse(((await bobWs.waitFor(isTaggedMessage(t.id, '[TASK_RUN]'))) as { message: unknown }).message);
    expect(dispatch).toMatchObject({ topic_id: t.topic_id, sender_type: 'system', semantic_type: 'task_run', task_id: t.id });
    expect(dispatch.content).toBe(
      `[TASK_RUN] task_id=${t.id} runner=${bob.agent_id} exec_mode=reasoning type=feature trigger=${alice.agent_id}\ntitle=Ship it\nnote=today please\ndescription=release notes`,
    );

    const toReview = await patch(bob, t.id, { status: 'review', output: 'Done: 3 notes written' });
    expect(toReview.status).toBe(200);
    expect(toReview.body).toMatchObject({ status: 'review', output: 'Done: 3 notes written' });
    await aliceWs.waitFor(isStatus(t.id, 'review'));

    const approved = await review(alice, t.id, 'approve', 'looks good');
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'done', reviewer: alice.agent_id });
    expect(typeof approved.body.completed_at).toBe('string');
    const verdict = (await bobWs.waitFor(isTaggedMessage(t.id, '[TASK_REVIEW]'))).message as { content: string; semantic_type: string };
    expect(verdict.semantic_type).toBe('task_review');
    expect(verdict.content).toBe(
      `[TASK_REVIEW] action=approve task_id=${t.id} by=${alice.agent_id} exec_mode=reasoning type=feature\ntitle=Ship it\ndescription=release notes\ncomment=looks good`,
    );
    await bobWs.waitFor(isStatus(t.id, 'done'));
    await aliceWs.waitFor(isStatus(t.id, 'done'));

    // Each change reached each agent once, although alice is owner AND topic member.
    const statuses = (s: TestSocket) => s.frames.filter((f) => f.type === 'task_status' && f.task_id === t.id).map((f) => f.status);
    expect(statuses(aliceWs)).toEqual(['todo', 'doing', 'review', 'done']);
    expect(statuses(bobWs)).toEqual(['todo', 'doing', 'review', 'done']);
    const history = (await api(h.url, `/topics/${t.topic_id}/messages`, { token: bob.agent_token })).body as { content: string }[];
    expect(history.map((m) => m.content.split(' ')[0])).toEqual(['[TASK_RUN]', '[TASK_REVIEW]']);
  });

  it('sends the task back to doing with the reviewer comment when the review is a reject', async () => {
    const bobWs = await ws(bob);
    const t = await createTask(alice, { title: 'Draft', runner_agent_id: bob.agent_id });
    await run(alice, t.id);
    await patch(bob, t.id, { status: 'review' });
    const rejected = await review(alice, t.id, 'reject', 'Needs sources.\nAt least two.');
    expect(rejected.status).toBe(200);
    expect(rejected.body.status).toBe('doing');
    const m = (await bobWs.waitFor(isTaggedMessage(t.id, '[TASK_REVIEW]', 'action=reject'))).message as { content: string };
    expect(m.content.endsWith('comment=Needs sources.\nAt least two.')).toBe(true);
    await bobWs.waitFor(isStatus(t.id, 'doing'));
    expect(bobWs.frames.filter((f) => f.type === 'task_status' && f.task_id === t.id).map((f) => f.status)).toEqual(['todo', 'doing', 'review', 'doing']);
    const blocked = await review(alice, t.id, 'BLOCK');
    expect(blocked.body.status).toBe('blocked');
  });

  it('refuses illegal transitions with 409 naming both states and leaves the task unchanged', async () => {
    const t = await createTask(alice, { title: 'Guarded' });
    const skip = await patch(alice, t.id, { status: 'review', output: 'should not stick' });
    expect(skip.status).toBe(409);
    expect(skip.body).toEqual({ detail: `cannot move task ${t.id} from todo to review`, code: 'conflict' });
    const early = await review(alice, t.id, 'approve');
    expect(early.status).toBe(409);
    expect(early.body.detail).toBe(`cannot move task ${t.id} from todo to done`);
    const after = (await api(h.url, `/tasks/${t.id}`, { token: alice.agent_token })).body;
    expect(after).toMatchObject({ status: 'todo', output: null });
    expect((await api(h.url, `/topics/${t.topic_id}/messages`, { token: alice.agent_token })).body).toEqual([]);

    expect((await patch(alice, t.id, { status: 'cancelled' })).body.status).toBe('cancelled');
    const revive = await run(alice, t.id);
    expect(revive.status).toBe(409);
    expect(revive.body.detail).toBe(`cannot move task ${t.id} from cancelled to doing`);
  });

  it('accepts status aliases and refuses unknown statuses and review actions with 422', async () => {
    const t = await createTask(alice, { title: 'Aliases' });
    expect((await patch(alice, t.id, { status: 'in_progress' })).body.status).toBe('doing');
    expect((await patch(alice, t.id, { status: 'approved' })).body.status).toBe('done');
    const unknown = await patch(alice, t.id, { status: 'flying' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail).toMatch(/unknown task status 'flying'/);
    const badAction = await review(alice, t.id, 'maybe');
    expect(badAction.status).toBe(422);
    expect(badAction.body.detail).toMatch(/approve\|reject\|block/);
  });

  it('lets only participants see or change a task when another agent asks', async () => {
    const t = await createTask(alice, { title: 'Private work', runner_agent_id: bob.agent_id });
    const carolGet = await api(h.url, `/tasks/${t.id}`, { token: carol.agent_token });
    expect(carolGet.status).toBe(403);
    const carolPatch = await patch(carol, t.id, { status: 'doing' });
    expect(carolPatch.status).toBe(403);
    expect(carolPatch.body.detail).toMatch(/only its owner, runner, creator or task-topic members/);
    const list = (await api(h.url, '/tasks', { token: carol.agent_token })).body as { id: string }[];
    expect(list.map((x) => x.id)).not.toContain(t.id);
    const anonymous = await api(h.url, '/tasks');
    expect(anonymous.status).toBe(401);
    const impostor = await api(h.url, `/tasks/${t.id}/run`, { body: { trigger_agent_id: alice.agent_id }, token: carol.agent_token });
    expect(impostor.status).toBe(403);
    expect((await api(h.url, `/tasks/${t.id}`, { token: bob.agent_token })).body.status).toBe('todo');
  });

  it('filters the list by status, owner, runner, pipeline and mode and honours limit', async () => {
    const a = await createTask(alice, { title: 'a', task_mode: 'single' });
    const b = await createTask(alice, { title: 'b', runner_agent_id: bob.agent_id, task_mode: 'pipeline' });
    const c = await createTask(bob, { title: 'c' });
    await run(alice, b.id);
    const ids = async (q: string, who = bob) => ((await api(h.url, `/tasks${q}`, { token: who.agent_token })).body as { id: string }[]).map((x) => x.id);
    expect(await ids('?status=doing')).toEqual([b.id]);
    expect(await ids('?status=todo,in_progress')).toEqual([c.id, b.id]);
    expect(await ids(`?owner_agent_id=${alice.agent_id}`, alice)).toEqual([b.id, a.id]);
    expect(await ids(`?runner_agent_id=${bob.agent_id}`)).toEqual([c.id, b.id]);
    expect(await ids('?task_mode=pipeline')).toEqual([b.id]);
    expect(await ids('?pipeline_id=default&limit=1')).toEqual([c.id]);
    expect((await api(h.url, '/tasks?limit=0', { token: bob.agent_token })).status).toBe(422);
    expect((await api(h.url, '/tasks?status=nope', { token: bob.agent_token })).status).toBe(422);
  });

  it('assigns a new runner who joins the topic and hears task_status when /assign names it', async () => {
    const carolWs = await ws(carol);
    const t = await createTask(alice, { title: 'Hand over' });
    const r = await api(h.url, `/tasks/${t.id}/assign?agent_id=${carol.agent_id}`, { method: 'POST', token: alice.agent_token });
    expect(r.status).toBe(200);
    expect(r.body.runner_agent_id).toBe(carol.agent_id);
    const f = await carolWs.waitFor(isStatus(t.id, 'todo'));
    expect(f.runner_agent_id).toBe(carol.agent_id);
    expect((await api(h.url, `/tasks/${t.id}`, { token: carol.agent_token })).status).toBe(200);
    const nobody = await api(h.url, `/tasks/${t.id}/assign?agent_id=agent-000000000000`, { method: 'POST', token: alice.agent_token });
    expect(nobody.status).toBe(422);
  });

  it('deletes the task and its topic and tells participants it is cancelled when DELETE is called', async () => {
    const bobWs = await ws(bob);
    const t = await createTask(alice, { title: 'Short-lived', runner_agent_id: bob.agent_id });
    const keep = await createTask(alice, { title: 'Keeps its topic' });
    const r = await api(h.url, `/tasks/${t.id}?agent_id=${alice.agent_id}&delete_topic=true`, { method: 'DELETE', token: alice.agent_token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true, task_id: t.id, deleted_topic: true });
    await bobWs.waitFor(isStatus(t.id, 'cancelled'));
    expect((await api(h.url, `/tasks/${t.id}`, { token: alice.agent_token })).status).toBe(404);
    expect((await api(h.url, `/topics/${t.topic_id}`, { token: alice.agent_token })).status).toBe(404);
    await api(h.url, `/tasks/${keep.id}?delete_topic=false`, { method: 'DELETE', token: alice.agent_token });
    expect((await api(h.url, `/topics/${keep.topic_id}`, { token: alice.agent_token })).status).toBe(200);
  });

  it('posts a chat message into the task topic and starts a todo task when auto_run is set', async () => {
    const bobWs = await ws(bob);
    const t = await createTask(alice, { title: 'Chatty', runner_agent_id: bob.agent_id });
    const r = await api(h.url, `/tasks/${t.id}/chat/send`, { body: { content: 'Please include charts', sender_type: 'HUMAN', semantic_type: 'post', auto_run: true, metadata: { via: 'web' } }, token: alice.agent_token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ topic_id: t.topic_id, sender_id: alice.agent_id, sender_type: 'human', content: 'Please include charts', task_id: t.id });
    await bobWs.waitFor(isStatus(t.id, 'doing'));
    await bobWs.waitFor(isTaggedMessage(t.id, '[TASK_RUN]', 'note=Please include charts'));
    const spoof = await api(h.url, `/tasks/${t.id}/chat/send`, { body: { content: 'x', sender_type: 'system' }, token: alice.agent_token });
    expect(spoof.status).toBe(422);
  });

  it('reports progress by status and by the PATCHed progress while a task runs', async () => {
    const t = await createTask(alice, { title: 'Progressing' });
    const u = await createTask(alice, { title: 'Untouched' });
    await run(alice, t.id);
    await patch(alice, t.id, { progress: 40 });
    const p = (await api(h.url, '/tasks/progress', { token: alice.agent_token })).body;
    expect(p).toEqual({ [t.id]: 40, [u.id]: 0 });
    const over = await patch(alice, t.id, { progress: 140 });
    expect(over.status).toBe(422);
    expect(over.body.detail).toMatch(/^body\.progress: /);
    // The protocol's fields are told first, as before the route declared one schema for both.
    const both = await patch(alice, t.id, { priority: 'high', progress: 140 });
    expect(both).toMatchObject({ status: 422, body: { code: 'validation_failed' } });
    expect(both.body.detail).toMatch(/^body\.priority: /);
  });

  it('keeps tasks, topics, pipelines and edges when the hub restarts on the same data dir', async () => {
    const pipe = (await api(h.url, '/tasks/pipelines', { body: { name: 'nightly', auto_review: true }, token: alice.agent_token })).body;
    const a = await createTask(alice, { title: 'first', pipeline_id: pipe.id, runner_agent_id: bob.agent_id });
    const b = await createTask(alice, { title: 'second', pipeline_id: pipe.id, runner_agent_id: bob.agent_id });
    expect((await api(h.url, `/tasks/${b.id}/dependencies`, { body: { depends_on_task_id: a.id }, token: alice.agent_token })).status).toBe(200);
    await api(h.url, '/tasks/pipeline/execute', { body: { pipeline_id: pipe.id, trigger_agent_id: alice.agent_id }, token: alice.agent_token });
    h = await fx.restart();
    const bobWs = await ws(bob);
    expect((await api(h.url, `/tasks/${a.id}`, { token: bob.agent_token })).body).toMatchObject({ status: 'doing', topic_id: a.topic_id, runner_agent_id: bob.agent_id });
    const pipes = (await api(h.url, '/tasks/pipelines', { token: bob.agent_token })).body as { id: string; auto_review: boolean; stats: Record<string, number> }[];
    expect(pipes.map((p) => p.id)).toEqual(['default', pipe.id]);
    expect(pipes[1]).toMatchObject({ auto_review: true, stats: { todo: 1, doing: 1, review: 0, done: 0, blocked: 0, cancelled: 0 } });
    const graph = (await api(h.url, `/tasks/graph?pipeline_id=${pipe.id}`, { token: bob.agent_token })).body;
    expect(graph.edges).toEqual([expect.objectContaining({ task_id: b.id, depends_on_task_id: a.id, mode: 'finish_to_start', required: true })]);

    // The pipeline goes on after the restart: auto-review approves A and releases B.
    const r = await patch(bob, a.id, { status: 'review', output: 'first done' });
    expect(r.body.status).toBe('done');
    await bobWs.waitFor(isStatus(b.id, 'doing'));
    await bobWs.waitFor(isTaggedMessage(b.id, '[TASK_RUN]', 'Upstream completed'));
  });
});

describe('hub tasks in legacy auth mode', () => {
  const fx = useHub([], { authMode: 'legacy' });
  let h: StartedHub;
  beforeEach(() => {
    h = fx.h;
  });

  it('serves the Python skill when it creates with created_by and PATCHes without any identity', async () => {
    const me = await registerAgent(h.url, 'skill');
    const created = await api(h.url, '/tasks', { body: { title: 'legacy task', created_by: me.agent_id, description: 'from the skill' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ owner_agent_id: me.agent_id, runner_agent_id: me.agent_id, status: 'todo' });
    const id = created.body.id as string;
    expect((await api(h.url, `/tasks/${id}`, { method: 'PATCH', body: { status: 'doing' } })).body.status).toBe('doing');
    expect((await api(h.url, `/tasks/${id}`, { method: 'PATCH', body: { output: 'result text' } })).body.output).toBe('result text');
    expect((await api(h.url, `/tasks/${id}`, { method: 'PATCH', body: { status: 'review' } })).body.status).toBe('review');
    const listed = (await api(h.url, '/tasks?status=review&limit=500')).body as { id: string }[];
    expect(listed.map((t) => t.id)).toEqual([id]);
  });

  it('accepts a task from a never-registered fallback agent id when created_by names it', async () => {
    const fallback = 'agent-0123456789ab';
    const created = await api(h.url, '/tasks', { body: { title: 'from a fallback id', created_by: fallback } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ owner_agent_id: fallback, runner_agent_id: fallback });
  });

  it('still needs the target token to grant a delegation when only ids are named', async () => {
    const target = await registerAgent(h.url, 'target');
    const manager = await registerAgent(h.url, 'manager');
    const claimed = await api(h.url, `/manager/delegations?agent_id=${target.agent_id}`, { body: { manager_agent_id: manager.agent_id, target_agent_id: target.agent_id } });
    expect(claimed.status).toBe(401);
    const granted = await api(h.url, '/manager/delegations', { body: { manager_agent_id: manager.agent_id, target_agent_id: target.agent_id }, token: target.agent_token });
    expect(granted.status).toBe(200);
  });
});
