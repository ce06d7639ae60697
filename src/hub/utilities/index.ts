/** The utilities area: `/talk/random` (topics matching a text) and `/rich/publish` (a block message). */
import type { HubArea } from '../core.js';
import { richRoutes } from './rich.routes.js';
import { talkRoutes } from './talk.routes.js';

export const utilitiesArea: HubArea = (core) => {
  talkRoutes(core);
  richRoutes(core);
};
