/** `POST /agents/claim-code` (§8.2): a single-use code a WTT user enters to bind this agent. */
import { WttApi } from '../client/api.js';
import { WttError } from '../errors.js';
import type { Secret } from './secret.js';

/** Assumed lifetime when the server states none (§8.2: "~15 min"). */
export const DEFAULT_CLAIM_CODE_TTL_MS = 15 * 60_000;

export interface ClaimCodeInput {
  apiUrl: string;
  agentId: string;
  token: Secret | undefined;
  timeoutMs: number;
  /** Epoch ms now (for `expires_at` answers); default `Date.now`. */
  now?: () => number;
}

export interface IssuedClaimCode {
  code: string;
  /** How long the code stays valid from when it was received. */
  expiresInMs: number;
  /** ISO time the code expires. */
  expiresAt: string;
}

export async function requestClaimCode(input: ClaimCodeInput, signal?: AbortSignal): Promise<IssuedClaimCode> {
  const now = (input.now ?? Date.now)();
  const api = new WttApi({ apiUrl: input.apiUrl, agentId: input.agentId, agentToken: input.token?.reveal(), timeoutMs: input.timeoutMs, retries: 0 });
  const r = await api.claimCode(input.agentId, { signal });
  const code = (r.code ?? r.claim_code ?? '').trim();
  if (!code) throw new WttError('WTT_ERR_BAD_RESPONSE', { message: 'the server answered without a claim code' });
  let expiresInMs = DEFAULT_CLAIM_CODE_TTL_MS;
  if (typeof r.expires_in_seconds === 'number' && r.expires_in_seconds > 0) {
    expiresInMs = r.expires_in_seconds * 1000;
  } else if (r.expires_at) {
    const at = Date.parse(r.expires_at);
    if (!Number.isNaN(at)) expiresInMs = Math.max(0, at - now);
  }
  return { code, expiresInMs, expiresAt: new Date(now + expiresInMs).toISOString() };
}
