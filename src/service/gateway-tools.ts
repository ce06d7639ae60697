/**
 * OpenClaw's `gateway.tools.allow` (openclaw.json): task execution needs `sessions_spawn`,
 * `sessions_send`, `sessions_history`, `sessions_list` there (openclaw-integration.md). The service
 * install adds them only when asked (`--allow-gateway-tools`); otherwise it only says what is missing.
 * The file is rewritten atomically with its other content and its mode kept; it is never printed
 * (it holds the gateway token).
 */
import { chmodSync, statSync } from 'node:fs';
import { z } from 'zod';
import { WttError } from '../errors.js';
import { readText, writeIfChanged } from './files.js';

export const SESSION_TOOLS = ['sessions_spawn', 'sessions_send', 'sessions_history', 'sessions_list'] as const;

const OpenclawFile = z.looseObject({
  gateway: z.looseObject({ tools: z.looseObject({ allow: z.array(z.string()).optional() }).optional() }).optional(),
});

export interface GatewayToolsResult {
  file: string;
  /** `missing-file`: no openclaw.json; `ok`: already allowed; `patched`: added now; `needs-consent`: missing, not changed. */
  outcome: 'missing-file' | 'ok' | 'patched' | 'needs-consent';
  missing: string[];
}

export function ensureGatewayTools(file: string, consent: boolean): GatewayToolsResult {
  const text = readText(file);
  if (text === undefined) return { file, outcome: 'missing-file', missing: [...SESSION_TOOLS] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new WttError('WTT_ERR_CONFIG', { message: `${file} is not JSON; gateway.tools.allow was not changed` });
  }
  const parsed = OpenclawFile.safeParse(raw);
  if (!parsed.success) throw new WttError('WTT_ERR_CONFIG', { message: `${file}: gateway.tools.allow is not a list of tool names; it was not changed` });
  const allow = parsed.data.gateway?.tools?.allow ?? [];
  const missing = SESSION_TOOLS.filter((t) => !allow.includes(t));
  if (missing.length === 0) return { file, outcome: 'ok', missing };
  if (!consent) return { file, outcome: 'needs-consent', missing };
  const data = parsed.data;
  const next = {
    ...data,
    gateway: { ...data.gateway, tools: { ...data.gateway?.tools, allow: [...allow, ...missing] } },
  };
  const mode = statSync(file).mode & 0o777;
  writeIfChanged(file, `${JSON.stringify(next, null, 2)}\n`, mode);
  chmodSync(file, mode);
  return { file, outcome: 'patched', missing };
}
