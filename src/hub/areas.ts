/** Feature areas plugged into every hub built with the defaults. */
import type { HubArea } from './core.js';
import { mediaArea } from './media/index.js';
import { memoryArea } from './memory/index.js';
import { previewArea } from './preview/index.js';
import { tasksArea } from './tasks/index.js';
import { utilitiesArea } from './utilities/index.js';

/** Each area lives in its own folder and reaches the core only through `HubCore`. */
export const DEFAULT_AREAS: HubArea[] = [tasksArea, memoryArea, utilitiesArea, previewArea, mediaArea];
