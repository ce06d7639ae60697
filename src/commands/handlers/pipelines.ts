/** pipeline list|create|add|status|update|delete|run. */
import { PipelineUpdateBody, type Pipeline } from '../../protocol/index.js';
import { WttError } from '../../errors.js';
import type { CommandOf } from '../command.js';
import type { CommandContext } from '../context.js';
import {
  formatPipelineAdded,
  formatPipelineCreated,
  formatPipelineDeleted,
  formatPipelineList,
  formatPipelineStarted,
  formatPipelineStatus,
  formatPipelineUpdated,
  type AddedStage,
} from '../format.js';
import { lastStages, stageRows } from '../stages.js';
import { validFields } from './fields.js';

export type PipelineCommand = CommandOf<
  'pipeline.list' | 'pipeline.create' | 'pipeline.add' | 'pipeline.status' | 'pipeline.update' | 'pipeline.delete' | 'pipeline.run'
>;

/** A pipeline named by id, or by its name when exactly one pipeline has it (any case). */
async function resolvePipeline(ctx: CommandContext, ref: string): Promise<Pipeline> {
  const all = await ctx.api.listPipelines();
  const byId = all.find((p) => p.id === ref);
  if (byId) return byId;
  const byName = all.filter((p) => p.name.toLowerCase() === ref.toLowerCase());
  if (byName.length === 1) return byName[0] as Pipeline;
  const why = byName.length > 1 ? `${byName.length} pipelines are named '${ref}': use the id` : `pipeline ${ref} not found (see: wtt pipeline list)`;
  throw new WttError('WTT_ERR_NOT_FOUND', { message: why });
}

export async function handlePipeline(cmd: PipelineCommand, ctx: CommandContext): Promise<string> {
  const { api } = ctx;
  switch (cmd.kind) {
    case 'pipeline.list':
      return formatPipelineList(await api.listPipelines());
    case 'pipeline.create':
      return formatPipelineCreated(await api.createPipeline({ name: cmd.name, description: cmd.description }));
    case 'pipeline.update': {
      const body = validFields(PipelineUpdateBody, { ...cmd.fields }, 'pipeline update');
      await api.updatePipeline(cmd.pipeline_id, body);
      return formatPipelineUpdated(cmd.pipeline_id);
    }
    case 'pipeline.delete':
      await api.deletePipeline(cmd.pipeline_id);
      return formatPipelineDeleted(cmd.pipeline_id);
    case 'pipeline.run': {
      const r = await api.executePipeline({ pipeline_id: cmd.pipeline_id });
      return formatPipelineStarted(cmd.pipeline_id, r.count);
    }
    case 'pipeline.add':
      return addStages(ctx, cmd.pipeline_id, cmd.titles);
    case 'pipeline.status': {
      const p = await resolvePipeline(ctx, cmd.pipeline_id);
      const [graph, progress] = await Promise.all([api.taskGraph({ pipeline_id: p.id, limit: 1000 }), api.taskProgress()]);
      // In the daemon, a pipeline this agent follows answers from its actor (its stage progress).
      const live = await ctx.tasks?.pipelineRows(p.id, graph);
      return formatPipelineStatus(p, live ? live.rows : stageRows(graph.nodes, graph.edges, progress));
    }
  }
}

/**
 * One task per title (task_mode pipeline), each depending on the one before; the first depends on
 * the pipeline's current last stages, so repeated `add`s extend the chain.
 */
async function addStages(ctx: CommandContext, ref: string, titles: readonly string[]): Promise<string> {
  const { api } = ctx;
  const p = await resolvePipeline(ctx, ref);
  const graph = await api.taskGraph({ pipeline_id: p.id, limit: 1000 });
  let previous = lastStages(graph.nodes, graph.edges);
  const added: AddedStage[] = [];
  try {
    for (const title of titles) {
      const task = await api.createTask({ title, task_mode: 'pipeline', pipeline_id: p.id });
      for (const dep of previous) await api.addDependency(task.id, { depends_on_task_id: dep });
      added.push({ task, after: previous });
      previous = [task.id];
    }
  } catch (e) {
    if (added.length === 0) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new WttError(e instanceof WttError ? e.code : 'WTT_ERR_HTTP', {
      message: `${formatPipelineAdded(p.id, added)}\nStopped before stage ${added.length + 1} ('${titles[added.length]}'): ${msg}`,
      cause: e,
    });
  }
  return formatPipelineAdded(p.id, added);
}
