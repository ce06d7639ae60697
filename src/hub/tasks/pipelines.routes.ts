/** `/tasks/pipelines*` and `/tasks/pipeline/execute` (wtt-protocol.md §2.3 "Pipelines", §6). */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  DEFAULT_PIPELINE_ID,
  PipelineCreateBody,
  PipelineExecuteBody,
  PipelineUpdateBody,
} from '../../protocol/index.js';
import { HubError, type HubCore } from '../core.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { whoIs, whoIsNamed } from './access.js';
import type { PipelineRecord } from './repo.js';
import type { TaskService } from './service.js';
import { AnyObject, ok, PipelineReply } from '../responses.js';

const IdParams = z.object({ id: z.string().min(1).max(200) });
const AgentQuery = z.looseObject({ agent_id: z.string().min(1).max(200).optional() });

export function newPipelineId(): string {
  return `pipe-${randomBytes(6).toString('hex')}`;
}

export function pipelineRoutes(core: HubCore, svc: TaskService): void {
  const app = core.app.withTypeProvider<ZodTypeProvider>();
  const { repo } = svc;

  const view = (p: PipelineRecord) => {
    const stats = repo.pipelineCounts(p.id);
    return { ...p, stats, task_count: Object.values(stats).reduce((a, b) => a + b, 0) };
  };
  const find = (id: string) => {
    const p = repo.getPipeline(id);
    if (!p) throw new HubError(404, `pipeline ${id} not found`);
    return p;
  };
  /** Pipelines are shared by the hub; one with a creator is changed by that creator only. */
  const assertMayChange = (p: PipelineRecord, caller: string | undefined) => {
    if (p.creator_agent_id && caller !== undefined && caller !== p.creator_agent_id) {
      throw new HubError(403, `pipeline ${p.id} belongs to agent ${p.creator_agent_id}; only it can change or delete it`);
    }
  };

  app.get('/tasks/pipelines', { schema: { response: ok(z.array(PipelineReply)), querystring: AgentQuery } }, async (req) => {
    whoIs(core, req, req.query.agent_id);
    return repo.listPipelines().map(view);
  });

  app.get('/tasks/pipelines/:id', { schema: { response: ok(PipelineReply), params: IdParams, querystring: AgentQuery } }, async (req) => {
    const { id } = req.params;
    whoIs(core, req, req.query.agent_id);
    return view(find(id));
  });

  app.get('/tasks/pipelines/:id/stats', { schema: { response: ok(z.record(z.string(), z.number())), params: IdParams, querystring: AgentQuery } }, async (req) => {
    const { id } = req.params;
    whoIs(core, req, req.query.agent_id);
    return repo.pipelineCounts(find(id).id);
  });

  app.post('/tasks/pipelines', { schema: { response: ok(PipelineReply), body: PipelineCreateBody } }, async (req) => {
    const body = req.body;
    const caller = whoIs(core, req, body.creator_agent_id);
    const now = core.now();
    const p: PipelineRecord = {
      id: newPipelineId(),
      name: body.name,
      description: body.description,
      auto_review: body.auto_review,
      creator_agent_id: caller ?? null,
      created_at: now,
      updated_at: now,
    };
    repo.insertPipeline(p);
    return view(p);
  });

  app.patch('/tasks/pipelines/:id', { schema: { response: ok(PipelineReply), params: IdParams, body: PipelineUpdateBody, querystring: AgentQuery } }, async (req) => {
    const { id } = req.params;
    const body = req.body;
    const caller = whoIs(core, req, req.query.agent_id);
    const p = find(id);
    assertMayChange(p, caller);
    if (id === DEFAULT_PIPELINE_ID && body.name !== undefined && body.name !== p.name) {
      throw new HubError(409, 'the default pipeline cannot be renamed');
    }
    repo.updatePipeline(id, { name: body.name, description: body.description, auto_review: body.auto_review, updated_at: core.now() });
    return view(find(id));
  });

  app.delete('/tasks/pipelines/:id', { schema: { response: ok(z.looseObject({ ok: z.boolean(), id: z.string(), moved_tasks: z.number(), moved_to: z.string() })), params: IdParams, querystring: AgentQuery } }, async (req) => {
    const { id } = req.params;
    const caller = whoIs(core, req, req.query.agent_id);
    if (id === DEFAULT_PIPELINE_ID) throw new HubError(409, 'the default pipeline cannot be deleted');
    assertMayChange(find(id), caller);
    const moved = repo.transaction(() => repo.deletePipeline(id, core.now()));
    return { ok: true, id, moved_tasks: moved, moved_to: DEFAULT_PIPELINE_ID };
  });

  app.post('/tasks/pipeline/execute', { schema: { response: ok(AnyObject), body: PipelineExecuteBody } }, async (req) => {
    const body = req.body;
    return svc.executePipeline(whoIsNamed(core, req, body.trigger_agent_id), body.pipeline_id, body.task_ids, body.trigger_agent_id, body.note);
  });
}
