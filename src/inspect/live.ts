/**
 * What `wtt up` / `wtt daemon` show of their live state besides stdout: the local status page
 * (page-server.ts, WTT_STATUS_PORT) and the Stately inspector stream (`--inspect`, stately.ts).
 * Returns the one inspection observer to give createRuntime (both fed from it).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InspectionEvent, Observer } from 'xstate';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime/system.js';
import type { ActorTree } from './actor-tree.js';
import type { StatusPage } from './page-server.js';
import type { StatelyInspector } from './stately.js';

export interface LiveState {
  inspect: Observer<InspectionEvent> | undefined;
  stately: StatelyInspector | undefined;
  page: StatusPage | undefined;
  stop(): Promise<void>;
}

export interface LiveStateOptions {
  inspectUrl: string | undefined;
  config: Readonly<Config>;
  runtime: () => Runtime | undefined;
  log: Logger;
  out: (line: string) => void;
}

/** The configured secret values (the scrubbers also learn tokens by their keys at run time). */
export function configSecrets(config: Readonly<Config>): () => readonly (string | undefined)[] {
  return () => [config.agentToken, config.bearerToken, config.gatewayToken, config.webhookSecret];
}

export async function startLiveState(opts: LiveStateOptions): Promise<LiveState> {
  const secrets = configSecrets(opts.config);
  const log = opts.log.child({ systemId: 'inspect' });
  // Each loaded only when it is on: an idle daemon without them keeps their modules out of memory.
  const stately = opts.inspectUrl
    ? (await import('./stately.js')).createStatelyInspector({
        url: opts.inspectUrl,
        secrets,
        onState: (state, detail) => log.info({ url: opts.inspectUrl, state, detail }, `inspector ${state}`),
      })
    : undefined;
  if (stately) opts.out(`inspect: sending actor events to the Stately inspector at ${stately.url} (loopback only)`);

  let tree: ActorTree | undefined;
  let page: StatusPage | undefined;
  if (opts.config.statusPort !== null) {
    tree = new (await import('./actor-tree.js')).ActorTree();
    try {
      mkdirSync(opts.config.stateDir, { recursive: true });
      const { PAGE_URL_FILE, startStatusPage } = await import('./page-server.js');
      page = await startStatusPage({
        port: opts.config.statusPort,
        tree,
        report: () => opts.runtime()?.report(),
        secrets,
        urlFile: join(opts.config.stateDir, PAGE_URL_FILE),
      });
      opts.out(`status page: ${page.url}`);
    } catch (e) {
      // The daemon runs on without its page rather than not at all.
      tree = undefined;
      const why = (e as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${opts.config.statusPort} on 127.0.0.1 is taken (set WTT_STATUS_PORT to another port, 0 or off)` : e instanceof Error ? e.message : String(e);
      log.warn({ port: opts.config.statusPort }, `status page not started: ${why}`);
    }
  }

  const observers = [tree?.observer, stately?.inspect].filter((o): o is Observer<InspectionEvent> => o !== undefined);
  const inspect: Observer<InspectionEvent> | undefined =
    observers.length === 0 ? undefined : { next: (e) => { for (const o of observers) o.next?.(e); } };
  return {
    inspect,
    stately,
    page,
    async stop() {
      await Promise.all([stately?.stop(), page?.close()]);
    },
  };
}
