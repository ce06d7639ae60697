/**
 * Webhook adapters (wtt-protocol.md §9.1): one POST of JSON per message to the route's URL.
 * Payloads:
 * - slack    `{"text": "<text>"}`
 * - dingtalk `{"msgtype":"text","text":{"content":"[WTT] <text>"}}`, signed when WTT_WEBHOOK_SECRET
 *            is set: `timestamp` (epoch ms) and `sign` = base64(HMAC-SHA256(secret, "<timestamp>\n<secret>"))
 *            as query parameters
 * - feishu / lark `{"msg_type":"text","content":{"text":"[WTT] <text>"}}`
 * - wecom    `{"msgtype":"text","text":{"content":"[WTT] <text>"}}`
 * - webhook  `{"source":"wtt-skill","agent_id","message","timestamp"}` (generic JSON, ISO timestamp)
 * Answers: 2xx is delivered unless the body reports an error (DingTalk and WeCom `errcode`, Feishu
 * and Lark `code`/`StatusCode` ≠ 0); 429 → transient with `Retry-After`; 408 and 5xx → transient;
 * 401/403/404/410 → config (the URL is dead or refused); other 4xx → permanent.
 * The URL holds the webhook's token: errors and logs name the route key, never the URL.
 */
import { createHmac } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { scrubSecrets } from '../log.js';
import type { WebhookChannel } from './channels.js';
import { checkButtons, DeliveryError, errnoOf, retryAfterMs, type AdapterDeps, type DeliveryErrorKind, type ImAdapter, type SendRequest, type SendResult } from './delivery.js';

/** Longest text per post. WeCom caps text content at 2,048 bytes (≤ 3 bytes per UTF-16 unit: 680). */
export const WEBHOOK_MAX_CHARS: Readonly<Record<WebhookChannel, number>> = Object.freeze({
  slack: 3800,
  dingtalk: 6000,
  feishu: 6000,
  lark: 6000,
  wecom: 680,
  webhook: 16000,
});

const PREFIX = '[WTT] ';

export interface PayloadContext {
  agentId: string | undefined;
  nowMs: number;
}

export function webhookPayload(channel: WebhookChannel, text: string, ctx: PayloadContext): Record<string, unknown> {
  switch (channel) {
    case 'slack':
      return { text };
    case 'dingtalk':
    case 'wecom':
      return { msgtype: 'text', text: { content: `${PREFIX}${text}` } };
    case 'feishu':
    case 'lark':
      return { msg_type: 'text', content: { text: `${PREFIX}${text}` } };
    case 'webhook':
      return { source: 'wtt-skill', agent_id: ctx.agentId ?? null, message: text, timestamp: new Date(ctx.nowMs).toISOString() };
  }
}

/** The DingTalk signature of `timestamp` (epoch ms) with `secret`. */
export function dingtalkSign(timestampMs: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** The DingTalk robot URL with `timestamp` and `sign` added. */
export function signDingtalkUrl(url: string, secret: string, nowMs: number): string {
  const u = new URL(url);
  u.searchParams.set('timestamp', String(nowMs));
  u.searchParams.set('sign', dingtalkSign(nowMs, secret));
  return u.toString();
}

const BodyCodes = z.looseObject({
  errcode: z.number().optional(),
  errmsg: z.string().optional(),
  code: z.number().optional(),
  msg: z.string().optional(),
  StatusCode: z.number().optional(),
  StatusMessage: z.string().optional(),
});

interface BodyVerdict {
  kind: DeliveryErrorKind;
  code: number;
  text: string;
  retryAfterMs?: number;
}

/**
 * Service error codes we act on (from the services' public robot docs): DingTalk 130101 "send too
 * fast" and WeCom 45009 "api freq out of limit" (both per-minute limits) and Feishu 11232
 * "frequency limited" → transient after 60 s; DingTalk 310000 (sign, keyword or IP check) and
 * 300001 (bad token), WeCom 93000 (invalid URL), Feishu 19021/19022/19024 (sign, IP, keyword)
 * → config; any other non-zero code → permanent.
 */
const RATE_CODES: Readonly<Record<string, readonly number[]>> = { dingtalk: [130101], wecom: [45009], feishu: [11232], lark: [11232] };
const CONFIG_CODES: Readonly<Record<string, readonly number[]>> = {
  dingtalk: [310000, 300001],
  wecom: [93000],
  feishu: [19021, 19022, 19024],
  lark: [19021, 19022, 19024],
};

export function bodyVerdict(channel: WebhookChannel, raw: string): BodyVerdict | undefined {
  if (channel === 'slack' || channel === 'webhook') return undefined;
  let parsed: z.infer<typeof BodyCodes>;
  try {
    const r = BodyCodes.safeParse(JSON.parse(raw));
    if (!r.success) return undefined;
    parsed = r.data;
  } catch {
    return undefined;
  }
  const code = channel === 'dingtalk' || channel === 'wecom' ? parsed.errcode : (parsed.code ?? parsed.StatusCode);
  if (code === undefined || code === 0) return undefined;
  const text = (channel === 'dingtalk' || channel === 'wecom' ? parsed.errmsg : (parsed.msg ?? parsed.StatusMessage)) ?? '';
  if (RATE_CODES[channel]?.includes(code)) return { kind: 'transient', code, text, retryAfterMs: 60_000 };
  if (CONFIG_CODES[channel]?.includes(code)) return { kind: 'config', code, text };
  return { kind: 'permanent', code, text };
}

export class WebhookAdapter implements ImAdapter {
  readonly name: WebhookChannel;
  readonly maxChars: number;

  constructor(
    channel: WebhookChannel,
    private readonly deps: AdapterDeps,
    private readonly dispatcher?: Dispatcher,
  ) {
    this.name = channel;
    this.maxChars = WEBHOOK_MAX_CHARS[channel];
  }

  async send(req: SendRequest): Promise<SendResult> {
    checkButtons(this.name, req.buttons);
    const channel = this.name;
    const key = req.route.key;
    const url = req.route.target;
    const secret = this.deps.config.webhookSecret;
    const nowMs = (this.deps.now ?? Date.now)();
    const scrub = (t: string) => scrubSecrets(t, [url, secret, ...urlParts(url)]).slice(0, 300);
    let target = url;
    if (channel === 'dingtalk' && secret) {
      try {
        target = signDingtalkUrl(url, secret, nowMs);
      } catch {
        throw new DeliveryError('config', channel, `the webhook URL of ${key} is not a valid URL`);
      }
    }
    const body = JSON.stringify(webhookPayload(channel, req.text, { agentId: this.deps.config.agentId, nowMs }));
    const timeoutMs = this.deps.config.httpTimeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (channel === 'webhook') headers['idempotency-key'] = req.idempotencyKey;
    let res: Dispatcher.ResponseData;
    let raw: string;
    try {
      res = await request(target, { method: 'POST', headers, body, signal, ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}) });
      raw = await res.body.text();
    } catch (e) {
      if (req.signal?.aborted) throw new DeliveryError('transient', channel, `the post to ${key} was cancelled`);
      if (timeout.aborted) throw new DeliveryError('transient', channel, `${key} did not answer within ${Math.round(timeoutMs / 1000)} s`);
      throw new DeliveryError('transient', channel, scrub(`${key} cannot be reached (${errnoOf(e) ?? (e as Error).message})`));
    }
    const status = res.statusCode;
    const said = raw.trim() ? ` (${scrub(raw.trim().slice(0, 200))})` : '';
    if (status >= 200 && status < 300) {
      const v = bodyVerdict(channel, raw);
      if (v) {
        const hint = v.kind === 'config' ? (channel === 'dingtalk' ? '; check the webhook URL, WTT_WEBHOOK_SECRET and the robot\'s keyword/IP settings' : '; check the webhook URL and the robot\'s settings') : '';
        throw new DeliveryError(v.kind, channel, scrub(`${key} refused the message: error ${v.code} ${v.text}${hint}`), { status, detail: scrub(`${v.code} ${v.text}`), retryAfterMs: v.retryAfterMs });
      }
      this.deps.log.debug({ route: key, adapter: channel, chars: req.text.length }, 'delivered');
      return { adapter: channel };
    }
    const wait = retryAfterMs(res.headers['retry-after'], Date.now());
    if (status === 429) throw new DeliveryError('transient', channel, `${key} is rate limiting (HTTP 429)${said}`, { status, retryAfterMs: wait });
    if (status >= 500 || status === 408) throw new DeliveryError('transient', channel, `${key} answered HTTP ${status}${said}`, { status, retryAfterMs: wait });
    if (status === 401 || status === 403 || status === 404 || status === 410) {
      throw new DeliveryError('config', channel, `${key} refused the webhook URL (HTTP ${status})${said}; the webhook may have been removed or its URL is wrong`, { status });
    }
    throw new DeliveryError('permanent', channel, `${key} refused the message (HTTP ${status})${said}`, { status });
  }
}

/** The path and query of a URL, each a secret in its own right when a service echoes it. */
function urlParts(url: string): string[] {
  try {
    const u = new URL(url);
    return [u.pathname.length > 8 ? u.pathname : undefined, ...[...u.searchParams.values()].filter((v) => v.length >= 8)].filter((x): x is string => Boolean(x));
  } catch {
    return [];
  }
}
