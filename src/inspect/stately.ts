/**
 * `wtt daemon --inspect`: the actor system's inspection events for the Stately inspector, through
 * @statelyai/inspect's `createInspector` (it turns XState's events into the inspector's protocol)
 * and a WebSocket to a receiver on loopback (ws-adapter.ts). Only loopback URLs are accepted
 * (config.ts `loopbackWsProblem`); nothing goes to a cloud inspector and no browser is opened.
 * Contexts and events pass `sanitizeContext` / `sanitizeEvent`, and every whole event `serialize`,
 * all through `scrubDeep`: no token, key or bearer reaches the stream.
 */
import { createInspector } from '@statelyai/inspect';
import type { AnyEventObject, InspectionEvent, MachineContext, Observer } from 'xstate';
import { loopbackWsProblem } from '../config.js';
import { WttError } from '../errors.js';
import { scrubDeep } from './scrub.js';
import { LoopbackWsAdapter } from './ws-adapter.js';

export interface StatelyInspector {
  url: string;
  inspect: Observer<InspectionEvent>;
  adapter: LoopbackWsAdapter;
  stop(): Promise<void>;
}

export interface StatelyInspectorOptions {
  url: string;
  secrets: () => readonly (string | undefined)[];
  onState?: (state: 'open' | 'closed', detail?: string) => void;
}

export function createStatelyInspector(opts: StatelyInspectorOptions): StatelyInspector {
  const problem = loopbackWsProblem(opts.url);
  if (problem) throw new WttError('WTT_ERR_CONFIG', { message: `--inspect must be a ws:// URL on loopback (${problem})` });
  const adapter = new LoopbackWsAdapter({ url: opts.url, onState: opts.onState });
  const learned = new Set<string>();
  const clean = <T>(v: T): T => scrubDeep(v, { secrets: opts.secrets, learned }) as T;
  const inspector = createInspector(
    { start: () => adapter.start(), stop: () => undefined, send: (e) => adapter.send(e) },
    {
      autoStart: false,
      sanitizeContext: (c: MachineContext) => clean(c),
      sanitizeEvent: (e: AnyEventObject) => clean(e),
      serialize: (e) => clean(e),
    },
  );
  inspector.start();
  return { url: opts.url, inspect: inspector.inspect, adapter, stop: () => adapter.stop() };
}
