/** The CLI's command context: configuration from env + `.env`, a REST client, a quiet logger. */
import { WttApi } from '../client/api.js';
import { loadConfig, type Config } from '../config.js';
import { createLogger } from '../log.js';
import type { CommandContext } from './context.js';

export async function createContext(env: NodeJS.ProcessEnv = process.env, loaded?: Readonly<Config>): Promise<CommandContext> {
  const config = loaded ?? loadConfig({ env });
  // Logs go to stderr; the CLI's stdout is the command's answer. Quiet unless asked for.
  const log = createLogger({ level: env.WTT_LOG_LEVEL ? config.logLevel : 'warn', name: 'wtt-cli' });
  const api = new WttApi({
    apiUrl: config.apiUrl,
    agentId: config.agentId,
    agentToken: config.agentToken,
    bearerToken: config.bearerToken,
    timeoutMs: config.httpTimeoutMs,
  });
  return { config, api, log };
}
