/**
 * A fake webhook receiver on 127.0.0.1 standing in for Slack, DingTalk, Feishu/Lark, WeCom and a
 * generic JSON endpoint. The first path segment picks the service (`/slack/…`, `/dingtalk/…`,
 * `/feishu/…`, `/lark/…`, `/wecom/…`; anything else is generic) and its usual success answer.
 * With `dingtalkSecret`, DingTalk posts are checked like DingTalk does (`timestamp` within an hour,
 * `sign` = base64 HMAC-SHA256 of "<timestamp>\n<secret>"): the verdict is recorded, and a bad or
 * missing signature is answered `{"errcode":310000,"errmsg":"sign not match"}` as the real one does.
 * Tests can queue answers: 429 with Retry-After, any status, or a 200 with a given JSON body.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SignatureVerdict = 'valid' | 'invalid' | 'absent' | 'unchecked';

export interface SinkPost {
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
  signature: SignatureVerdict;
  /** The status the sink answered. */
  status: number;
}

interface Queued {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export interface WebhookSink {
  url: string;
  posts: SinkPost[];
  /** The next `times` posts are answered 429 with this Retry-After (seconds or an HTTP date). */
  rateLimit(times: number, retryAfter: string): void;
  /** The next `times` posts are answered with `status` (and `body`). */
  fail(status: number, times?: number, body?: unknown): void;
  /** The next post is answered 200 with this JSON body (a service's body-level error). */
  answerNext(body: unknown): void;
  close(): Promise<void>;
}

const SUCCESS: Record<string, unknown> = {
  slack: 'ok',
  dingtalk: { errcode: 0, errmsg: 'ok' },
  feishu: { code: 0, msg: 'success', data: {} },
  lark: { code: 0, msg: 'success', data: {} },
  wecom: { errcode: 0, errmsg: 'ok' },
};

function verify(query: Record<string, string>, secret: string): SignatureVerdict {
  const ts = query.timestamp;
  const sign = query.sign;
  if (!ts || !sign) return 'absent';
  if (!/^\d+$/.test(ts) || Math.abs(Date.now() - Number(ts)) > 3_600_000) return 'invalid';
  const want = Buffer.from(createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64'));
  const got = Buffer.from(sign);
  return want.length === got.length && timingSafeEqual(want, got) ? 'valid' : 'invalid';
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? {});
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
  res.end(text);
};

export async function startWebhookSink(opts: { dingtalkSecret?: string } = {}): Promise<WebhookSink> {
  const posts: SinkPost[] = [];
  const queue: Queued[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(url.searchParams);
      const kind = url.pathname.split('/')[1] ?? '';
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      const signature: SignatureVerdict = kind === 'dingtalk' && opts.dingtalkSecret ? verify(query, opts.dingtalkSecret) : 'unchecked';
      const q = queue.shift();
      let status = 200;
      let answer: unknown = SUCCESS[kind] ?? {};
      let headers: Record<string, string> = {};
      if (q) {
        status = q.status;
        answer = q.body;
        headers = q.headers ?? {};
      } else if (signature === 'invalid' || signature === 'absent') {
        answer = { errcode: 310000, errmsg: 'sign not match, more: https://open.dingtalk.com/document/robots/customize-robot-security-settings' };
      }
      posts.push({ path: url.pathname, query, headers: req.headers, body, signature, status });
      send(res, status, answer, headers);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    rateLimit(times, retryAfter) {
      for (let i = 0; i < times; i++) queue.push({ status: 429, headers: { 'retry-after': retryAfter }, body: { ok: false, error: 'rate_limited' } });
    },
    fail(status, times = 1, body = { ok: false, error: `status ${status}` }) {
      for (let i = 0; i < times; i++) queue.push({ status, body });
    },
    answerNext(body) {
      queue.push({ status: 200, body });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
