/** task list|create|detail|update|assign|run|review|delete|deps|graph|progress. */
import { TaskCreateBody, TaskPatchBody } from '../../protocol/index.js';
import type { CommandOf } from '../command.js';
import type { CommandContext } from '../context.js';
import {
  formatDependency,
  formatTaskAssigned,
  formatTaskCancelled,
  formatTaskCreated,
  formatTaskDetail,
  formatTaskGraph,
  formatTaskList,
  formatTaskProgress,
  formatTaskReviewed,
  formatTaskStarted,
  formatTaskUpdated,
} from '../format.js';
import { validFields } from './fields.js';

export type TaskCommand = CommandOf<
  | 'task.list' | 'task.create' | 'task.detail' | 'task.update' | 'task.assign' | 'task.run' | 'task.review' | 'task.delete'
  | 'task.deps.add' | 'task.deps.remove' | 'task.graph' | 'task.progress'
>;

export async function handleTask(cmd: TaskCommand, ctx: CommandContext): Promise<string> {
  const { api } = ctx;
  switch (cmd.kind) {
    case 'task.list': {
      const { limit, ...filters } = cmd.filters;
      return formatTaskList(await api.listTasks({ ...filters, limit: limit === undefined ? 100 : Number(limit) }));
    }
    case 'task.create': {
      const fields: Record<string, unknown> = { ...cmd.fields, title: cmd.title };
      if (cmd.description !== undefined) fields.description = cmd.description;
      const body = validFields(TaskCreateBody, fields, 'task create');
      return formatTaskCreated(await api.createTask(body));
    }
    case 'task.detail':
      return formatTaskDetail(await api.getTask(cmd.task_id));
    case 'task.update': {
      const patch = validFields(TaskPatchBody, { ...cmd.fields }, 'task update');
      const t = await api.updateTask(cmd.task_id, patch);
      return formatTaskUpdated(cmd.task_id, t.status);
    }
    case 'task.assign': {
      await api.assignTask(cmd.task_id, cmd.agent_id);
      return formatTaskAssigned(cmd.task_id, cmd.agent_id ?? (api.agentId as string));
    }
    case 'task.run': {
      const runner = cmd.runner_agent_id ?? ctx.config.agentId;
      const t = await api.runTask(cmd.task_id, runner ? { runner_agent_id: runner } : {});
      return formatTaskStarted(cmd.task_id, t.runner_agent_id ?? runner ?? '?');
    }
    case 'task.review': {
      const t = await api.reviewTask(cmd.task_id, { action: cmd.action, comment: cmd.comment });
      return formatTaskReviewed(cmd.task_id, cmd.action, t.status);
    }
    case 'task.delete':
      await api.deleteTask(cmd.task_id, { delete_topic: true });
      return formatTaskCancelled(cmd.task_id);
    case 'task.deps.add':
      await api.addDependency(cmd.task_id, { depends_on_task_id: cmd.depends_on_task_id });
      return formatDependency('add', cmd.task_id, cmd.depends_on_task_id);
    case 'task.deps.remove':
      await api.removeDependency(cmd.task_id, cmd.depends_on_task_id);
      return formatDependency('remove', cmd.task_id, cmd.depends_on_task_id);
    case 'task.graph':
      return formatTaskGraph(await api.taskGraph(cmd.pipeline_id ? { pipeline_id: cmd.pipeline_id } : {}));
    case 'task.progress':
      return formatTaskProgress(await api.taskProgress());
  }
}
