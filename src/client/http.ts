/**
 * The REST transport: one undici request per call, auth headers, a per-request timeout, retries with
 * backoff for idempotent requests only, and typed `WttError`s that never contain a credential.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { ErrorBody } from '../protocol/index.js';
import { WttError, codeForStatus, isWttError } from '../errors.js';
import { scrubSecrets } from '../log.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | null | undefined;

/** Which credential a call carries. `agent`: the agent token (both headers); `user`: the bearer (JWT / `wtt_sk_`) first. */
export type AuthKind = 'agent' | 'user' | 'none';

export interface HttpOptions {
  /** REST base, e.g. `http://127.0.0.1:8787` (paths are appended at the root). */
  apiUrl: string;
  agentToken?: string | undefined;
  /** User JWT or binding api key `wtt_sk_…` (for /agents/my, and feed when no agent token). */
  bearerToken?: string | undefined;
  /** Per attempt; default 30 s. */
  timeoutMs?: number | undefined;
  /** Extra attempts for retryable requests; default 2. */
  retries?: number | undefined;
  /** Base of the exponential retry delay (full jitter); default 250 ms, capped at 5 s. */
  retryBaseMs?: number | undefined;
  dispatcher?: Dispatcher | undefined;
}

export interface RequestSpec<S extends z.ZodType> {
  method: HttpMethod;
  path: string;
  query?: Record<string, QueryValue> | undefined;
  body?: unknown;
  schema: S;
  auth?: AuthKind | undefined;
  /** Makes a POST/PATCH retryable; sent as `Idempotency-Key`. */
  idempotencyKey?: string | undefined;
  /** `false`: never retry (a GET that moves a server-side cursor); `true`: retry a POST that is safe to repeat (join). */
  retry?: boolean | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Called with the headers of the successful response (e.g. `x-wtt-truncated` on a cut page). */
  onHeaders?: ((headers: Readonly<Record<string, string | string[] | undefined>>) => void) | undefined;
}

export const HTTP_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  retries: 2,
  retryBaseMs: 250,
  retryCapMs: 5_000,
  /** A response body larger than this is refused (bytes). */
  maxResponseBytes: 32 * 1024 * 1024,
});

const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const RETRY_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** `?a=1&b=x`, leaving out undefined/null values. */
export function buildQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) p.append(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Encode one path segment (ids come from users and servers). */
export const seg = (v: string): string => encodeURIComponent(v);

/** Text of a FastAPI-style `{"detail": ...}` body (or the other keys clients look at), else the raw text's start. */
export function detailOf(text: string): string | undefined {
  if (!text) return undefined;
  try {
    const raw: unknown = JSON.parse(text);
    const eb = ErrorBody.safeParse(raw);
    if (eb.success) {
      const d = eb.data.detail;
      return typeof d === 'string' ? d : d.map((x) => x.msg ?? JSON.stringify(x)).join('; ');
    }
    if (raw && typeof raw === 'object') {
      const o = raw as Record<string, unknown>;
      for (const k of ['error', 'message', 'msg', 'reason']) if (typeof o[k] === 'string') return o[k];
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200);
}

function parseRetryAfter(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  const n = Number(v);
  if (Number.isFinite(n) && n >= 0) return n;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, (t - Date.now()) / 1000);
}

function isConnectRefused(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    if ((cur as { code?: unknown }).code === 'ECONNREFUSED') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

export class HttpTransport {
  readonly apiUrl: string;
  private readonly agentToken: string | undefined;
  private readonly bearerToken: string | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly dispatcher: Dispatcher | undefined;

  constructor(opts: HttpOptions) {
    let u: URL;
    try {
      u = new URL(opts.apiUrl);
    } catch {
      throw new WttError('WTT_ERR_CONFIG', { message: `apiUrl must be an http(s) URL, got '${scrubSecrets(String(opts.apiUrl))}'` });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new WttError('WTT_ERR_CONFIG', { message: `apiUrl must use http or https, got '${u.protocol}'` });
    }
    const num = (name: string, v: number | undefined, def: number, min: number) => {
      if (v === undefined) return def;
      if (!Number.isFinite(v) || v < min) throw new WttError('WTT_ERR_CONFIG', { message: `${name} must be a number ≥ ${min}, got ${v}` });
      return v;
    };
    this.apiUrl = opts.apiUrl.replace(/\/+$/, '');
    this.agentToken = opts.agentToken || undefined;
    this.bearerToken = opts.bearerToken || undefined;
    this.timeoutMs = num('timeoutMs', opts.timeoutMs, HTTP_DEFAULTS.timeoutMs, 1);
    this.retries = Math.floor(num('retries', opts.retries, HTTP_DEFAULTS.retries, 0));
    this.retryBaseMs = num('retryBaseMs', opts.retryBaseMs, HTTP_DEFAULTS.retryBaseMs, 0);
    this.dispatcher = opts.dispatcher;
  }

  private headers(auth: AuthKind, hasBody: boolean, idempotencyKey: string | undefined): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (hasBody) h['content-type'] = 'application/json';
    if (idempotencyKey) h['idempotency-key'] = idempotencyKey;
    if (auth === 'agent') {
      const bearer = this.agentToken ?? this.bearerToken;
      if (bearer) h.authorization = `Bearer ${bearer}`;
      if (this.agentToken) h['x-agent-token'] = this.agentToken;
    } else if (auth === 'user') {
      const bearer = this.bearerToken ?? this.agentToken;
      if (bearer) h.authorization = `Bearer ${bearer}`;
      if (this.agentToken) h['x-agent-token'] = this.agentToken;
    }
    return h;
  }

  private scrub(text: string): string {
    return scrubSecrets(text, [this.agentToken, this.bearerToken]);
  }

  /** One request → the response body validated by `spec.schema` (204 / empty body → `{}`). */
  async request<S extends z.ZodType>(spec: RequestSpec<S>): Promise<z.output<S>> {
    const retryable = spec.retry === true || (spec.retry !== false && (IDEMPOTENT.has(spec.method) || Boolean(spec.idempotencyKey)));
    const maxAttempts = 1 + (spec.retry === false ? 0 : this.retries);
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        return await this.once(spec);
      } catch (e) {
        const err = isWttError(e) ? e : new WttError('WTT_ERR_NETWORK', { message: this.scrub(`${spec.method} ${spec.path}: ${String(e)}`) });
        if (spec.signal?.aborted || attempt >= maxAttempts) throw err;
        // A refused connection never reached the server: safe to retry whatever the method.
        const again =
          (retryable && (err.code === 'WTT_ERR_NETWORK' || err.code === 'WTT_ERR_TIMEOUT' || (err.status !== undefined && RETRY_STATUS.has(err.status)))) ||
          (err.code === 'WTT_ERR_NETWORK' && isConnectRefused(err.cause));
        if (!again) throw err;
        const backoff = Math.random() * Math.min(HTTP_DEFAULTS.retryCapMs, this.retryBaseMs * 2 ** (attempt - 1));
        const wait = err.retryAfterS !== undefined ? Math.min(err.retryAfterS * 1000, 30_000) : backoff;
        try {
          await sleep(wait, undefined, spec.signal ? { signal: spec.signal } : undefined);
        } catch {
          throw err;
        }
      }
    }
  }

  private async once<S extends z.ZodType>(spec: RequestSpec<S>): Promise<z.output<S>> {
    const url = `${this.apiUrl}${spec.path}${buildQuery(spec.query)}`;
    const what = `${spec.method} ${spec.path}`;
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    const hasBody = spec.body !== undefined;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: spec.method,
        headers: this.headers(spec.auth ?? 'agent', hasBody, spec.idempotencyKey),
        body: hasBody ? JSON.stringify(spec.body) : null,
        signal,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (e) {
      if (timeout.aborted && !spec.signal?.aborted) {
        throw new WttError('WTT_ERR_TIMEOUT', { message: `${what} timed out after ${timeoutMs} ms` });
      }
      const msg = e instanceof Error ? e.message : String(e);
      throw new WttError('WTT_ERR_NETWORK', { message: this.scrub(`${what}: ${msg}`), cause: e });
    }
    let text: string;
    try {
      text = await readText(res.body);
    } catch (e) {
      if (timeout.aborted && !spec.signal?.aborted) {
        throw new WttError('WTT_ERR_TIMEOUT', { message: `${what} timed out after ${timeoutMs} ms` });
      }
      throw new WttError('WTT_ERR_NETWORK', { message: this.scrub(`${what}: reading the response failed: ${e instanceof Error ? e.message : String(e)}`), cause: e });
    }
    const status = res.statusCode;
    if (status < 200 || status >= 300) {
      const detail = detailOf(text);
      const retryAfterS = parseRetryAfter(res.headers['retry-after']);
      throw new WttError(codeForStatus(status), {
        status,
        ...(detail !== undefined ? { detail: this.scrub(detail) } : {}),
        ...(retryAfterS !== undefined ? { retryAfterS } : {}),
        message: this.scrub(`${what} → ${status}${detail ? `: ${detail}` : ''}`),
      });
    }
    let raw: unknown = {};
    if (status !== 204 && text.trim() !== '') {
      try {
        raw = JSON.parse(text);
      } catch {
        throw new WttError('WTT_ERR_BAD_RESPONSE', { status, message: `${what} → ${status}: the body is not JSON` });
      }
    }
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) {
      const why = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'} ${i.message}`).join('; ');
      throw new WttError('WTT_ERR_BAD_RESPONSE', { status, message: this.scrub(`${what} → ${status}: unexpected response (${why})`) });
    }
    spec.onHeaders?.(res.headers);
    return parsed.data as z.output<S>;
  }
}

async function readText(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += b.length;
    if (size > HTTP_DEFAULTS.maxResponseBytes) {
      body.destroy();
      throw new Error(`response larger than ${HTTP_DEFAULTS.maxResponseBytes} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
