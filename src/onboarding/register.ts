/** `POST /agents/register` (§8.1): a new agent id and its token. Any 2xx with an id counts (§12 #25). */
import { WttApi } from '../client/api.js';
import { Secret } from './secret.js';

export interface RegisterInput {
  apiUrl: string;
  displayName: string | undefined;
  timeoutMs: number;
}

export interface RegisteredIdentity {
  agentId: string;
  /** Undefined when the server issued none (older servers). */
  token: Secret | undefined;
}

export async function registerAgent(input: RegisterInput, signal?: AbortSignal): Promise<RegisteredIdentity> {
  const api = new WttApi({ apiUrl: input.apiUrl, timeoutMs: input.timeoutMs, retries: 0 });
  const body = { platform: 'openclaw', ...(input.displayName ? { display_name: input.displayName } : {}) };
  const r = await api.register(body, { signal });
  return { agentId: r.agent_id, token: Secret.of(r.agent_token) };
}
