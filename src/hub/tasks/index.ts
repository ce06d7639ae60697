/**
 * The tasks area (issue 3): tasks, pipelines and delegation, plugged into the hub core through
 * `HubCore` (src/hub/core.ts). Memory/export, talk/rich and preview are areas of their own
 * (src/hub/memory, src/hub/utilities, src/hub/preview).
 */
import type { HubArea } from '../core.js';
import { delegationRoutes } from './delegation.routes.js';
import { pipelineRoutes } from './pipelines.routes.js';
import { TasksRepo } from './repo.js';
import { migrateTasks } from './schema.js';
import { TaskService } from './service.js';
import { taskRoutes } from './tasks.routes.js';

export const tasksArea: HubArea = (core) => {
  migrateTasks(core.db, core.now());
  const repo = new TasksRepo(core.db);
  const svc = new TaskService(core, repo);
  taskRoutes(core, svc);
  pipelineRoutes(core, svc);
  delegationRoutes(core, repo);
};

export { TaskService } from './service.js';
export { TasksRepo } from './repo.js';
