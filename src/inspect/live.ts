/**
 * What `wtt up` / `wtt daemon` show of their live state besides stdout: the Stately inspector
 * stream (`--inspect`, stately.ts). Returns the one inspection observer to give createRuntime.
 */
import type { InspectionEvent, Observer } from 'xstate';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime/system.js';
import { createStatelyInspector, type StatelyInspector } from './stately.js';

export interface LiveState {
  inspect: Observer<InspectionEvent> | undefined;
  stately: StatelyInspector | undefined;
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
  const stately = opts.inspectUrl
    ? createStatelyInspector({
        url: opts.inspectUrl,
        secrets,
        onState: (state, detail) => log.info({ url: opts.inspectUrl, state, detail }, `inspector ${state}`),
      })
    : undefined;
  if (stately) opts.out(`inspect: sending actor events to the Stately inspector at ${stately.url} (loopback only)`);
  const observers = [stately?.inspect].filter((o): o is Observer<InspectionEvent> => o !== undefined);
  const inspect: Observer<InspectionEvent> | undefined =
    observers.length === 0 ? undefined : { next: (e) => { for (const o of observers) o.next?.(e); } };
  return {
    inspect,
    stately,
    async stop() {
      await stately?.stop();
    },
  };
}
