import { beforeEach, describe, expect, it } from 'vitest';
import { Pipeline, PipelineExecuteResponse, Task, TaskGraph } from '../../src/protocol/index.js';
import { api, isTaskMessage, isTaskStatus as isStatus, useHub, type Frame, type RegisteredAgent, type StartedHub, type TestSocket } from '../helpers/hub.js';

const isRun = (taskId: string, needle = '') => (f: Frame) => isTaskMessage(taskId, '[TASK_RUN]', needle)(f);
const runMessages = (s: TestSocket) =>
  s.frames
    .filter((f) => f.type === 'new_message' && String((f.message as { content: string }).content).startsWith('[TASK_RUN]'))
    .map((f) => (f.message as { task_id: string }).task_id);

describe('hub tasks pipelines', () => {
  const fx = useHub(['lead', 'worker']);
  let h: StartedHub;
  let lead: RegisteredAgent;
  let worker: RegisteredAgent;
  beforeEach(() => {
    h = fx.h;
    [lead, worker] = fx.agents;
  });

  const ws = (who: RegisteredAgent) => fx.ws(who);
  const pipeline = async (body: Record<string, unknown>) => {
    const r = await api(h.url, '/tasks/pipelines', { body, token: lead.agent_token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return Pipeline.parse(r.body);
  };
  const task = async (title: string, pipelineId: string, extra: Record<string, unknown> = {}) => {
    const r = await api(h.url, '/tasks', { body: { title, pipeline_id: pipelineId, task_mode: 'pipeline', runner_agent_id: worker.agent_id, ...extra }, token: lead.agent_token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return Task.parse(r.body);
  };
  const depend = (taskId: string, on: string, extra: Record<string, unknown> = {}) =>
    api(h.url, `/tasks/${taskId}/dependencies`, { body: { depends_on_task_id: on, ...extra }, token: lead.agent_token });
  const execute = async (body: Record<string, unknown>) => {
    const r = await api(h.url, '/tasks/pipeline/execute', { body: { trigger_agent_id: lead.agent_id, ...body }, token: lead.agent_token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return PipelineExecuteResponse.parse(r.body);
  };
  const status = async (id: string) => (await api(h.url, `/tasks/${id}`, { token: lead.agent_token })).body.status as string;

  it('runs a three-stage pipeline A → B → C in order when a worker completes each dispatched task', async () => {
    const workerWs = await ws(worker);
    const p = await pipeline({ name: 'report', description: 'collect, analyse, write' });
    const a = await task('A collect', p.id);
    const b = await task('B analyse', p.id);
    const c = await task('C write', p.id);
    expect((await depend(b.id, a.id, { mode: 'finish_to_start', required: true })).status).toBe(200);
    expect((await depend(c.id, b.id, { mode: 'p2p', required: 'true' })).status).toBe(200);

    const started = await execute({ pipeline_id: p.id, note: 'go' });
    expect(started).toEqual({ count: 1, task_ids: [a.id], message: 'Pipeline started: 1 tasks' });

    // The worker: wait for each dispatch, then hand in and get approved.
    const order: string[] = [];
    for (const [t, marker] of [[a, 'Pipeline auto-start'], [b, 'Upstream completed: A collect'], [c, 'Upstream completed: B analyse']] as const) {
      await workerWs.waitFor(isStatus(t.id, 'doing'));
      const m = await workerWs.waitFor(isRun(t.id, marker));
      expect((m.message as { content: string }).content).toContain(`pipeline=${p.id}`);
      order.push(t.title);
      for (const later of [a, b, c].slice(order.length)) expect(await status(later.id)).toBe('todo');
      const handIn = await api(h.url, `/tasks/${t.id}`, { method: 'PATCH', body: { status: 'review', output: `${t.title} result` }, token: worker.agent_token });
      expect(handIn.body.status).toBe('review');
      const ok = await api(h.url, `/tasks/${t.id}/review`, { body: { action: 'approve', reviewer: lead.agent_id }, token: lead.agent_token });
      expect(ok.body.status).toBe('done');
    }
    expect(order).toEqual(['A collect', 'B analyse', 'C write']);
    expect(runMessages(workerWs)).toEqual([a.id, b.id, c.id]);
    const detail = (await api(h.url, `/tasks/pipelines/${p.id}`, { token: lead.agent_token })).body;
    expect(detail).toMatchObject({ task_count: 3, stats: { todo: 0, doing: 0, review: 0, done: 3, blocked: 0, cancelled: 0 } });
    const stats = await api(h.url, `/tasks/pipelines/${p.id}/stats`, { token: lead.agent_token });
    expect(stats.body).toEqual({ todo: 0, doing: 0, review: 0, done: 3, blocked: 0, cancelled: 0 });
    const deps = await api(h.url, `/tasks/${b.id}/dependencies`, { token: lead.agent_token });
    expect(deps.body).toMatchObject({ upstream: [expect.objectContaining({ depends_on_task_id: a.id, mode: 'finish_to_start', required: true })], downstream: [c.id] });
  });

  it('approves a task that reaches review and releases its downstream task when auto_review is on', async () => {
    const workerWs = await ws(worker);
    const p = await pipeline({ name: 'auto', auto_review: true });
    const a = await task('first', p.id);
    const b = await task('second', p.id);
    await depend(b.id, a.id);
    await execute({ pipeline_id: p.id });
    await workerWs.waitFor(isRun(a.id, 'Pipeline auto-start'));
    const handIn = await api(h.url, `/tasks/${a.id}`, { method: 'PATCH', body: { status: 'review', output: 'ok' }, token: worker.agent_token });
    expect(handIn.body).toMatchObject({ status: 'done', reviewer: 'auto-review' });
    const verdict = await workerWs.waitFor((f) => f.type === 'new_message' && String((f.message as { content: string }).content).startsWith('[TASK_REVIEW] action=approve'));
    expect((verdict.message as { content: string }).content.split('\n')[0]).toBe(`[TASK_REVIEW] action=approve task_id=${a.id} by=auto-review`);
    expect(workerWs.frames.filter((f) => f.type === 'task_status' && f.task_id === a.id).map((f) => f.status)).toEqual(['todo', 'doing', 'review', 'done']);
    await workerWs.waitFor(isStatus(b.id, 'doing'));
    await workerWs.waitFor(isRun(b.id, `Upstream completed: first (${a.id}, done)`));
  });

  it('leaves a task in review when its pipeline has auto_review off', async () => {
    const p = await pipeline({ name: 'manual' });
    const a = await task('only', p.id);
    await execute({ pipeline_id: p.id });
    const r = await api(h.url, `/tasks/${a.id}`, { method: 'PATCH', body: { status: 'review' }, token: worker.agent_token });
    expect(r.body.status).toBe('review');
  });

  it('refuses an edge that closes a cycle with 409, a self-edge and an unknown mode with 422, and a missing task with 404', async () => {
    const p = await pipeline({ name: 'loop' });
    const a = await task('a', p.id);
    const b = await task('b', p.id);
    const c = await task('c', p.id);
    await depend(b.id, a.id);
    await depend(c.id, b.id);
    const cycle = await depend(a.id, c.id);
    expect(cycle.status).toBe(409);
    expect(cycle.body.detail).toBe(`cannot make task ${a.id} depend on ${c.id}: ${c.id} already depends on ${a.id}, which would form a cycle`);
    expect((await depend(a.id, a.id)).status).toBe(422);
    const mode = await depend(c.id, a.id, { mode: 'start_to_start' });
    expect(mode.status).toBe(422);
    expect(mode.body.detail).toMatch(/finish_to_start or p2p/);
    expect((await depend(a.id, '00000000-0000-0000-0000-000000000000')).status).toBe(404);
    const graph = TaskGraph.parse((await api(h.url, `/tasks/graph?pipeline_id=${p.id}`, { token: lead.agent_token })).body);
    expect(graph.nodes.map((n) => n.title)).toEqual(['a', 'b', 'c']);
    expect(graph.edges.map((e) => [e.task_id, e.depends_on_task_id])).toEqual([[b.id, a.id], [c.id, b.id]]);
    const removed = await api(h.url, `/tasks/${c.id}/dependencies/${b.id}`, { method: 'DELETE', token: lead.agent_token });
    expect(removed.status).toBe(200);
    expect((await depend(a.id, c.id)).status).toBe(200);
    expect((await api(h.url, `/tasks/${c.id}/dependencies/${b.id}`, { method: 'DELETE', token: lead.agent_token })).status).toBe(404);
  });

  it('releases a task whose optional dependency is blocked but holds one whose required dependency is blocked', async () => {
    const workerWs = await ws(worker);
    const p = await pipeline({ name: 'optional' });
    const up = await task('flaky upstream', p.id);
    const soft = await task('soft', p.id);
    const hard = await task('hard', p.id);
    await depend(soft.id, up.id, { required: false });
    await depend(hard.id, up.id, { required: true });
    expect((await execute({ pipeline_id: p.id })).task_ids).toEqual([up.id]);
    expect(await status(soft.id)).toBe('todo');
    const blocked = await api(h.url, `/tasks/${up.id}`, { method: 'PATCH', body: { status: 'blocked' }, token: worker.agent_token });
    expect(blocked.body.status).toBe('blocked');
    await workerWs.waitFor(isRun(soft.id, `(${up.id}, blocked)`));
    expect(await status(soft.id)).toBe('doing');
    expect(await status(hard.id)).toBe('todo');
  });

  it('dispatches only the named tasks when execute gets task_ids', async () => {
    const p = await pipeline({ name: 'picked' });
    const a = await task('a', p.id);
    const b = await task('b', p.id);
    const r = await execute({ task_ids: [b.id] });
    expect(r).toMatchObject({ count: 1, task_ids: [b.id] });
    expect(await status(a.id)).toBe('todo');
    const again = await execute({ pipeline_id: p.id });
    expect(again.task_ids).toEqual([a.id]);
    expect((await api(h.url, '/tasks/pipeline/execute', { body: { pipeline_id: 'pipe-nope' }, token: lead.agent_token })).status).toBe(404);
  });

  it('keeps the default pipeline: it cannot be deleted or renamed, and deleting another moves its tasks there', async () => {
    const refuseDelete = await api(h.url, '/tasks/pipelines/default', { method: 'DELETE', token: lead.agent_token });
    expect(refuseDelete.status).toBe(409);
    expect(refuseDelete.body.detail).toBe('the default pipeline cannot be deleted');
    const refuseRename = await api(h.url, '/tasks/pipelines/default', { method: 'PATCH', body: { name: 'main' }, token: lead.agent_token });
    expect(refuseRename.status).toBe(409);
    const describe = await api(h.url, '/tasks/pipelines/default', { method: 'PATCH', body: { description: 'misc', auto_review: 'true' }, token: lead.agent_token });
    expect(describe.body).toMatchObject({ id: 'default', name: 'default', description: 'misc', auto_review: true });

    const p = await pipeline({ name: 'temporary' });
    const t = await task('orphan-to-be', p.id);
    const renamed = await api(h.url, `/tasks/pipelines/${p.id}`, { method: 'PATCH', body: { name: 'renamed' }, token: lead.agent_token });
    expect(renamed.body.name).toBe('renamed');
    const other = await api(h.url, `/tasks/pipelines/${p.id}`, { method: 'PATCH', body: { name: 'hijack' }, token: worker.agent_token });
    expect(other.status).toBe(403);
    const del = await api(h.url, `/tasks/pipelines/${p.id}`, { method: 'DELETE', token: lead.agent_token });
    expect(del.body).toEqual({ ok: true, id: p.id, moved_tasks: 1, moved_to: 'default' });
    expect((await api(h.url, `/tasks/${t.id}`, { token: lead.agent_token })).body.pipeline_id).toBe('default');
    const list = (await api(h.url, '/tasks/pipelines', { token: lead.agent_token })).body as { id: string; task_count: number }[];
    expect(list.map((x) => x.id)).toEqual(['default']);
    expect(list[0]?.task_count).toBe(1);
    expect((await api(h.url, '/tasks', { body: { title: 'x', pipeline_id: p.id }, token: lead.agent_token })).status).toBe(404);
  });
});
