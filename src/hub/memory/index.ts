/**
 * The memory area: topic exports written to per-agent memory files (`/memory/recall/*`, within the
 * memory quota) and the markdown export of a topic (`/export/topic/{id}`).
 */
import type { HubArea } from '../core.js';
import { exportRoutes } from './export.routes.js';
import { memoryRoutes } from './memory.routes.js';

export const memoryArea: HubArea = (core) => {
  memoryRoutes(core);
  exportRoutes(core);
};
