/** The preview area: `POST /preview/url`, fetching public pages only (destination.ts). */
import type { HubArea } from '../core.js';
import { previewRoutes } from './preview.js';

export const previewArea: HubArea = (core) => {
  previewRoutes(core);
};
