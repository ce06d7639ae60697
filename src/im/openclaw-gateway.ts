/**
 * The OpenClaw gateway's `message` tool over `POST <gateway>/tools/invoke` (openclaw-integration.md,
 * verified on 2026.9.6): send and edit, with optional inline buttons in the plain
 * `presentation.blocks[{type:"buttons"}]` form. What the gateway's answers mean for us:
 * - 200 → delivered; the chat's message id is `details.messageId`, or `details.result.messageId`
 *   for a send with buttons.
 * - 401/403 → `config`: the token is wrong; nothing is retried until the user fixes it.
 * - 500 `tool execution failed` → `transient`: every failure on the chat's side looks like this
 *   (chat not found, bot blocked, Telegram down); the reason is only in the gateway's log.
 * - 429 / other 5xx → `transient` (with Retry-After when given); other 4xx → `permanent`.
 * - connection refused, host unknown, connect timeout → `GatewayUnreachableError` (transient): the
 *   request never arrived, so the openclaw adapter may use the CLI instead.
 * - no answer in time → `transient`, but NOT unreachable: the gateway may still deliver it.
 * The gateway does not deduplicate on `idempotencyKey`; it is sent anyway to name the call.
 */
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { scrubSecrets } from '../log.js';
import { DeliveryError, errnoOf, neverReached, retryAfterMs, type Button } from './delivery.js';
import { GATEWAY_ADAPTER, type GatewaySettings } from './gateway-config.js';

/** The gateway could not be reached at all (the request never left this machine's TCP stack). */
export class GatewayUnreachableError extends DeliveryError {
  constructor(message: string) {
    super('transient', GATEWAY_ADAPTER, message);
  }
}

export interface MessageToolArgs {
  action: 'send' | 'edit';
  channel: string;
  target: string;
  message: string;
  messageId?: string;
  buttons?: readonly Button[] | undefined;
}

export interface InvokeOptions {
  idempotencyKey: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  dispatcher?: Dispatcher | undefined;
}

const Id = z.union([z.string().min(1), z.number()]).transform(String);

const InvokeOk = z.looseObject({
  ok: z.boolean().optional(),
  result: z
    .looseObject({
      messageId: Id.optional(),
      details: z
        .looseObject({
          ok: z.boolean().optional(),
          messageId: Id.optional(),
          result: z.looseObject({ messageId: Id.optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
});

const InvokeError = z.looseObject({
  ok: z.boolean().optional(),
  error: z.union([z.string(), z.looseObject({ type: z.string().optional(), message: z.string().optional() })]).optional(),
});

export const GATEWAY_LOG_HINT =
  "the gateway hides the chat's reason (a wrong chat id, a blocked bot, the chat service down); look in the OpenClaw gateway's log";

/** The `/tools/invoke` body for the `message` tool. */
export function messageToolBody(args: MessageToolArgs, idempotencyKey: string): Record<string, unknown> {
  const a: Record<string, unknown> = { action: args.action, channel: args.channel, target: args.target, message: args.message };
  if (args.messageId !== undefined) a.messageId = args.messageId;
  if (args.buttons && args.buttons.length > 0) {
    a.presentation = { blocks: [{ type: 'buttons', buttons: args.buttons.map((b) => ({ label: b.label, value: b.value })) }] };
  }
  return { tool: 'message', args: a, idempotencyKey };
}

function errorText(raw: string): string | undefined {
  try {
    const r = InvokeError.safeParse(JSON.parse(raw));
    if (r.success && r.data.error !== undefined) {
      const e = r.data.error;
      return typeof e === 'string' ? e : [e.type, e.message].filter(Boolean).join(': ') || undefined;
    }
  } catch {
    // not JSON
  }
  return raw.trim() === '' ? undefined : raw.trim().slice(0, 200);
}

/** One `message` tool call; resolves with the chat's message id when the gateway reports one. */
export async function invokeMessageTool(gw: GatewaySettings, args: MessageToolArgs, opts: InvokeOptions): Promise<{ messageId: string | undefined }> {
  const scrub = (t: string) => scrubSecrets(t, [gw.token]).slice(0, 300);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (gw.token) headers.authorization = `Bearer ${gw.token}`;
  let res: Dispatcher.ResponseData;
  let raw: string;
  try {
    res = await request(`${gw.url}/tools/invoke`, {
      method: 'POST',
      headers,
      body: JSON.stringify(messageToolBody(args, opts.idempotencyKey)),
      signal,
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    });
    raw = await res.body.text();
  } catch (e) {
    if (neverReached(e)) {
      throw new GatewayUnreachableError(`the OpenClaw gateway at ${gw.url} cannot be reached (${errnoOf(e)}); is it running?`);
    }
    if (opts.signal?.aborted) throw new DeliveryError('transient', GATEWAY_ADAPTER, `the ${args.action} to the OpenClaw gateway was cancelled`);
    if (timeout.aborted) {
      throw new DeliveryError('transient', GATEWAY_ADAPTER, `the OpenClaw gateway at ${gw.url} did not answer within ${Math.round(opts.timeoutMs / 1000)} s (it may still deliver the message)`);
    }
    throw new DeliveryError('transient', GATEWAY_ADAPTER, scrub(`the OpenClaw gateway at ${gw.url} failed: ${errnoOf(e) ?? (e as Error).message}`));
  }
  const status = res.statusCode;
  if (status >= 200 && status < 300) {
    let parsed: z.infer<typeof InvokeOk> | undefined;
    try {
      const r = InvokeOk.safeParse(JSON.parse(raw));
      if (r.success) parsed = r.data;
    } catch {
      // a 2xx whose body we cannot read still delivered: no id, no retry (a retry would send it twice)
    }
    if (parsed?.ok === false || parsed?.result?.details?.ok === false) {
      throw new DeliveryError('transient', GATEWAY_ADAPTER, scrub(`the OpenClaw gateway answered ${status} but not ok (${errorText(raw) ?? 'no reason'}); ${GATEWAY_LOG_HINT}`), { status });
    }
    const d = parsed?.result?.details;
    return { messageId: d?.messageId ?? d?.result?.messageId ?? parsed?.result?.messageId };
  }
  const detail = errorText(raw);
  const said = detail ? ` (${scrub(detail)})` : '';
  if (status === 401 || status === 403) {
    throw new DeliveryError(
      'config',
      GATEWAY_ADAPTER,
      `the OpenClaw gateway at ${gw.url} refused the token (HTTP ${status})${said}; the token used: ${gw.tokenSource}. Set OPENCLAW_GATEWAY_TOKEN to the gateway's gateway.auth.token (openclaw.json), or fix it there`,
      { status },
    );
  }
  if (status === 429) {
    throw new DeliveryError('transient', GATEWAY_ADAPTER, `the OpenClaw gateway is rate limiting (HTTP 429)${said}`, { status, retryAfterMs: retryAfterMs(res.headers['retry-after']) });
  }
  if (status === 500) {
    throw new DeliveryError('transient', GATEWAY_ADAPTER, `the OpenClaw gateway could not ${args.action} the message on ${args.channel} (HTTP 500${detail ? ` ${scrub(detail)}` : ''}); ${GATEWAY_LOG_HINT}`, { status });
  }
  if (status > 500 || status === 408) {
    throw new DeliveryError('transient', GATEWAY_ADAPTER, `the OpenClaw gateway answered HTTP ${status}${said}`, { status, retryAfterMs: retryAfterMs(res.headers['retry-after']) });
  }
  throw new DeliveryError('permanent', GATEWAY_ADAPTER, `the OpenClaw gateway refused the ${args.action} (HTTP ${status})${said}`, { status });
}
