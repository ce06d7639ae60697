/**
 * Where the OpenClaw gateway is and which token it wants (openclaw-integration.md "Sending into a
 * chat from a daemon"): `OPENCLAW_GATEWAY_URL` / `OPENCLAW_GATEWAY_TOKEN` win; whatever they leave
 * open comes from `openclaw.json` (`gateway.port`, default 18789, on 127.0.0.1; `gateway.auth.token`).
 * The file is validated with zod; a broken file is a `config` DeliveryError that names the file and
 * the place, never its content (it holds the token).
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { DeliveryError } from './delivery.js';

export const GATEWAY_ADAPTER = 'openclaw-gateway';
export const DEFAULT_GATEWAY_PORT = 18789;

export interface GatewaySettings {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:18789. */
  url: string;
  token: string | undefined;
  /** Where the token came from, for the message that tells the user what to fix. */
  tokenSource: string;
}

export interface GatewayConfigInput {
  gatewayUrl: string | undefined;
  gatewayToken: string | undefined;
  openclawConfigPath: string;
}

const OpenclawGatewayFile = z.looseObject({
  gateway: z
    .looseObject({
      port: z.number().int().min(1).max(65535).optional(),
      auth: z.looseObject({ mode: z.string().optional(), token: z.string().min(1).optional() }).optional(),
      tls: z.looseObject({ enabled: z.boolean().optional() }).optional(),
    })
    .optional(),
});
type OpenclawGatewayFile = z.infer<typeof OpenclawGatewayFile>;

/** `position 17` in a JSON.parse message → `line 2, column 5` (the message itself may quote the file). */
function placeOf(text: string, message: string): string | undefined {
  const m = /position (\d+)/.exec(message);
  if (!m) return undefined;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

const FIX = 'fix the file, or set OPENCLAW_GATEWAY_URL and OPENCLAW_GATEWAY_TOKEN';

let cache: { path: string; mtimeMs: number; size: number; data: OpenclawGatewayFile } | undefined;

/** The parsed gateway part of openclaw.json; undefined when the file does not exist. */
export function readOpenclawGateway(path: string): OpenclawGatewayFile | undefined {
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined;
  }
  if (cache && cache.path === path && cache.mtimeMs === st.mtimeMs && cache.size === st.size) return cache.data;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DeliveryError('config', GATEWAY_ADAPTER, `cannot read the OpenClaw config ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}); ${FIX}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const place = placeOf(text, (e as Error).message);
    throw new DeliveryError('config', GATEWAY_ADAPTER, `the OpenClaw config ${path} is not valid JSON${place ? ` (at ${place})` : ''}; ${FIX}`);
  }
  const r = OpenclawGatewayFile.safeParse(json);
  if (!r.success) {
    const where = r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new DeliveryError('config', GATEWAY_ADAPTER, `the OpenClaw config ${path} has an invalid gateway section (${where}); ${FIX}`);
  }
  cache = { path, mtimeMs: st.mtimeMs, size: st.size, data: r.data };
  return r.data;
}

/** The gateway to call, or undefined when none is configured anywhere (then the CLI is the way). */
export function resolveGateway(input: GatewayConfigInput): GatewaySettings | undefined {
  if (input.gatewayUrl && input.gatewayToken) {
    return { url: input.gatewayUrl.replace(/\/+$/, ''), token: input.gatewayToken, tokenSource: 'OPENCLAW_GATEWAY_TOKEN' };
  }
  const file = readOpenclawGateway(input.openclawConfigPath);
  if (!input.gatewayUrl && !file) return undefined;
  const scheme = file?.gateway?.tls?.enabled ? 'https' : 'http';
  const url = (input.gatewayUrl ?? `${scheme}://127.0.0.1:${file?.gateway?.port ?? DEFAULT_GATEWAY_PORT}`).replace(/\/+$/, '');
  if (input.gatewayToken) return { url, token: input.gatewayToken, tokenSource: 'OPENCLAW_GATEWAY_TOKEN' };
  const token = file?.gateway?.auth?.token;
  return {
    url,
    token,
    tokenSource: token ? `gateway.auth.token in ${input.openclawConfigPath}` : `none (OPENCLAW_GATEWAY_TOKEN is unset and ${input.openclawConfigPath} has no gateway.auth.token)`,
  };
}
