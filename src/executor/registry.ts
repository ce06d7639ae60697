/**
 * The executor registry (`WTT_EXECUTOR`): one factory per executor name. An executor is added as one
 * module (its `Executor`) plus one line here and its name in names.ts; nothing else changes.
 */
import type { Config } from '../config.js';
import { WttError } from '../errors.js';
import { parseCommandLine } from './argv.js';
import { commandExecutor } from './command.js';
import { resolveGateway } from '../im/gateway-config.js';
import { openclawExecutor, type SessionKeyStore } from './openclaw.js';
import type { ExecutorName } from './names.js';
import type { Executor } from './types.js';

/** What an executor may keep across restarts (the runtime gives the state store). */
export interface ExecutorDeps {
  sessions: SessionKeyStore;
}

export type ExecutorFactory = (config: Readonly<Config>, deps: ExecutorDeps) => Executor;

export const EXECUTORS: Readonly<Record<ExecutorName, ExecutorFactory>> = Object.freeze({
  command: (config) => {
    const argv = parseCommandLine(config.executorCommand ?? '');
    if (!argv.ok) throw new WttError('WTT_ERR_CONFIG', { message: argv.problem });
    return commandExecutor({ argv: argv.argv, cwd: config.skillDir, timeoutMs: config.taskMaxRuntimeMs });
  },
  openclaw: (config, deps) =>
    openclawExecutor({
      gateway: () => resolveGateway(config),
      openclawConfigPath: config.openclawConfigPath,
      sessions: deps.sessions,
      maxRuntimeMs: config.taskMaxRuntimeMs,
    }),
});

/** The executor `WTT_EXECUTOR` names, or undefined when it is unset (this agent runs no tasks). */
export function executorFor(config: Readonly<Config>, deps: ExecutorDeps): Executor | undefined {
  if (config.executor === undefined) return undefined;
  const make = (EXECUTORS as Readonly<Record<string, ExecutorFactory>>)[config.executor];
  if (!make) throw new WttError('WTT_ERR_CONFIG', { message: `WTT_EXECUTOR: no executor named '${config.executor}'` });
  return make(config, deps);
}
