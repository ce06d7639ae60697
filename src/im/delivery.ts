/**
 * The delivery contract between the notifier and the adapters (shared interface, names fixed):
 * a `SendRequest` to one `Route` either resolves with a `SendResult` or throws a `DeliveryError`
 * whose `kind` tells the notifier what to do:
 * - `transient`: try again later (after `retryAfterMs` when the far side said so);
 * - `permanent`: this delivery cannot succeed; mark it failed;
 * - `config`: the route is misconfigured (token, URL, file); no retry helps until the user fixes it.
 * Messages never carry a token, a webhook URL beyond its host, or the text being sent.
 */
import type { Config } from '../config.js';
import { WttError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Route } from './route.js';

/** An inline button (OpenClaw's plain `{label, value}` form); `value` comes back as `callback_data`. */
export interface Button {
  label: string;
  /** At most 64 bytes (UTF-8): Telegram's limit on callback data. */
  value: string;
}

export interface SendRequest {
  route: Route;
  text: string;
  idempotencyKey: string;
  signal?: AbortSignal;
  /** Inline buttons under the message (OpenClaw channels only; other adapters refuse them). */
  buttons?: readonly Button[];
}

export interface SendResult {
  adapter: string;
  messageId?: string | undefined;
}

export type DeliveryErrorKind = 'transient' | 'permanent' | 'config';

export interface DeliveryErrorOptions {
  retryAfterMs?: number | undefined;
  status?: number | undefined;
  /** A short, already scrubbed detail (a service's error code and text). */
  detail?: string | undefined;
}

export class DeliveryError extends WttError {
  readonly kind: DeliveryErrorKind;
  readonly retryAfterMs?: number;
  /** The adapter that failed (`openclaw-gateway`, `openclaw-cli`, `slack`, `file`, …). */
  readonly adapter: string;

  constructor(kind: DeliveryErrorKind, adapter: string, message: string, opts: DeliveryErrorOptions = {}) {
    super(kind === 'config' ? 'WTT_ERR_CONFIG' : 'WTT_ERR_DELIVERY', {
      message,
      ...(opts.status !== undefined ? { status: opts.status } : {}),
      ...(opts.detail !== undefined ? { detail: opts.detail } : {}),
      ...(opts.retryAfterMs !== undefined ? { retryAfterS: opts.retryAfterMs / 1000 } : {}),
    });
    this.kind = kind;
    this.adapter = adapter;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

export function isDeliveryError(e: unknown): e is DeliveryError {
  return e instanceof DeliveryError;
}

export interface ImAdapter {
  readonly name: string;
  /** The longest text one `send` takes; the notifier splits longer texts below it. */
  readonly maxChars: number;
  send(req: SendRequest): Promise<SendResult>;
  /** Replaces the text (and buttons) of a message sent before; absent where the channel cannot edit. */
  edit?(req: SendRequest & { messageId: string }): Promise<SendResult>;
}

/** What the adapters need from the runtime. */
export interface AdapterDeps {
  config: Pick<
    Config,
    'gatewayUrl' | 'gatewayToken' | 'openclawConfigPath' | 'openclawBin' | 'webhookSecret' | 'httpTimeoutMs' | 'agentId'
  >;
  log: Logger;
  /** Environment for the openclaw CLI (PATH lookup); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where the console adapter writes; default process.stdout. */
  stdout?: NodeJS.WritableStream;
  /** Clock for file headers, DingTalk signatures and generic payload timestamps; default Date.now. */
  now?: () => number;
  /** Longest one openclaw CLI call may run; default 60 s (a call takes 9–14 s). */
  cliTimeoutMs?: number;
}

/** Telegram's callback-data limit. */
export const MAX_BUTTON_VALUE_BYTES = 64;

/** Checks buttons before anything is sent: a bad button is the caller's mistake, never worth a retry. */
export function checkButtons(adapter: string, buttons: readonly Button[] | undefined): void {
  for (const b of buttons ?? []) {
    if (b.label.trim() === '') throw new DeliveryError('permanent', adapter, 'a button has an empty label');
    const bytes = Buffer.byteLength(b.value, 'utf8');
    if (bytes === 0 || bytes > MAX_BUTTON_VALUE_BYTES) {
      throw new DeliveryError('permanent', adapter, `button '${b.label}' has a value of ${bytes} bytes; it must be 1 to ${MAX_BUTTON_VALUE_BYTES} bytes (Telegram's callback data limit)`);
    }
  }
}

/** Milliseconds from a `Retry-After` header: delta-seconds or an HTTP date (never negative). */
export function retryAfterMs(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const v = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** The system error code of a failed request (undici wraps it in `cause`). */
export function errnoOf(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR') return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Errors that mean the request never reached the server, so trying elsewhere cannot duplicate it. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

export function neverReached(e: unknown): boolean {
  const c = errnoOf(e);
  return c !== undefined && UNREACHABLE.has(c);
}
