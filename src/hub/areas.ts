/** Feature areas plugged into every hub built with the defaults (the tasks area adds itself here). */
import type { HubArea } from './core.js';
import { mediaArea } from './media/index.js';
import { tasksArea } from './tasks/index.js';

export const DEFAULT_AREAS: HubArea[] = [tasksArea, mediaArea];
