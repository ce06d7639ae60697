/** The media area: uploads for the web console (routes.ts), kept under `<dataDir>/media/` (store.ts). */
import type { HubArea } from '../core.js';
import { mediaRoutes } from './routes.js';
import { MediaStore } from './store.js';

export const mediaArea: HubArea = async (core) => {
  const store = new MediaStore(core.db, core.dataDir, () => Date.parse(core.now()));
  await mediaRoutes(core, store);
};
