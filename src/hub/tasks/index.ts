/**
 * The tasks area (issue 3): tasks, pipelines, delegation and the utilities (memory, export, talk,
 * rich, preview), plugged into the hub core through `HubCore` (src/hub/core.ts).
 */
import type { HubArea } from '../core.js';
import { delegationRoutes } from './delegation.routes.js';
import { exportRoutes } from './export.routes.js';
import { memoryRoutes } from './memory.routes.js';
import { pipelineRoutes } from './pipelines.routes.js';
import { previewRoutes } from './preview.js';
import { TasksRepo } from './repo.js';
import { migrateTasks } from './schema.js';
import { TaskService } from './service.js';
import { richRoutes } from './rich.routes.js';
import { talkRoutes } from './talk.routes.js';
import { taskRoutes } from './tasks.routes.js';

export const tasksArea: HubArea = (core) => {
  migrateTasks(core.db, core.now());
  const repo = new TasksRepo(core.db);
  const svc = new TaskService(core, repo);
  taskRoutes(core, svc);
  pipelineRoutes(core, svc);
  delegationRoutes(core, repo);
  memoryRoutes(core);
  exportRoutes(core);
  talkRoutes(core);
  richRoutes(core);
  previewRoutes(core);
};

export { TaskService } from './service.js';
export { TasksRepo } from './repo.js';
