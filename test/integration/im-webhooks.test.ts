import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adapterFor, DeliveryError, makeRoute, type AdapterDeps, type Route } from '../../src/im/index.js';
import { startWebhookSink, type WebhookSink } from '../fakes/webhook-sink.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';

const SECRET = 'SECdingtalkSigningSecret0123456789';
const PATH_SECRET = 'HookPathSecret9876543210';

let sink: WebhookSink;
let cap: CapturedLog;
const errors: string[] = [];

beforeEach(async () => {
  sink = await startWebhookSink({ dingtalkSecret: SECRET });
  cap = captureLog();
  errors.length = 0;
});
afterEach(() => sink.close());

function deps(extra: Partial<AdapterDeps['config']> = {}, now?: () => number): AdapterDeps {
  return {
    config: {
      gatewayUrl: undefined,
      gatewayToken: undefined,
      openclawConfigPath: '/nonexistent/openclaw.json',
      openclawBin: undefined,
      webhookSecret: SECRET,
      httpTimeoutMs: 5000,
      agentId: 'agent-1',
      ...extra,
    },
    log: cap.log,
    ...(now ? { now } : {}),
  };
}

const urlFor = (channel: string) =>
  channel === 'dingtalk' ? `${sink.url}/dingtalk/robot/send?access_token=${PATH_SECRET}` : `${sink.url}/${channel}/services/T1/B1/${PATH_SECRET}`;
const routeFor = (channel: string): Route => makeRoute(channel, urlFor(channel));

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeliveryError) {
      errors.push(e.message, String(e.detail ?? ''));
      return e;
    }
    throw e;
  }
  throw new Error('expected a DeliveryError');
}

function expectNoSecrets() {
  const all = `${errors.join('\n')}\n${cap.text()}`;
  expect(all).not.toContain(PATH_SECRET);
  expect(all).not.toContain(SECRET);
}

const send = (channel: string, text = 'hello', d = deps()) => {
  const route = routeFor(channel);
  return adapterFor(route, d).send({ route, text, idempotencyKey: 'idem-1' });
};

describe('im webhooks', () => {
  it.each([
    ['slack', { text: 'hello' }],
    ['dingtalk', { msgtype: 'text', text: { content: '[WTT] hello' } }],
    ['feishu', { msg_type: 'text', content: { text: '[WTT] hello' } }],
    ['lark', { msg_type: 'text', content: { text: '[WTT] hello' } }],
    ['wecom', { msgtype: 'text', text: { content: '[WTT] hello' } }],
  ])('posts the %s payload of wtt-protocol §9.1', async (channel, body) => {
    const r = await send(channel);
    expect(r).toEqual({ adapter: channel });
    expect(sink.posts).toHaveLength(1);
    expect(sink.posts[0]?.body).toEqual(body);
    expect(sink.posts[0]?.headers['content-type']).toContain('application/json');
    expectNoSecrets();
  });

  it('posts the generic JSON payload with the agent id, an ISO timestamp and an Idempotency-Key', async () => {
    const at = Date.UTC(2026, 11, 2, 7, 9, 11);
    await send('webhook', 'generic text', deps({}, () => at));
    expect(sink.posts[0]?.body).toEqual({ source: 'wtt-skill', agent_id: 'agent-1', message: 'generic text', timestamp: '2026-12-02T07:09:11.000Z' });
    expect(sink.posts[0]?.headers['idempotency-key']).toBe('idem-1');
  });

  it('signs DingTalk posts with WTT_WEBHOOK_SECRET so that the receiver accepts them', async () => {
    await send('dingtalk');
    expect(sink.posts[0]?.signature).toBe('valid');
    expect(sink.posts[0]?.query.access_token).toBe(PATH_SECRET);
    expect(sink.posts[0]?.query.timestamp).toMatch(/^\d{13}$/);
  });

  it('reports a DingTalk signature the receiver rejects as a config error, whatever the cause', async () => {
    const wrong = await failure(send('dingtalk', 'x', deps({ webhookSecret: 'SECsomeOtherSecret' })));
    expect(sink.posts[0]?.signature).toBe('invalid');
    const missing = await failure(send('dingtalk', 'x', deps({ webhookSecret: undefined })));
    expect(sink.posts[1]?.signature).toBe('absent');
    const stale = await failure(send('dingtalk', 'x', deps({}, () => Date.now() - 2 * 3_600_000)));
    expect(sink.posts[2]?.signature).toBe('invalid');
    for (const e of [wrong, missing, stale]) {
      expect(e.kind).toBe('config');
      expect(e.message).toContain('310000');
      expect(e.message).toContain('WTT_WEBHOOK_SECRET');
      expect(e.message).toMatch(/^dingtalk:127\.0\.0\.1:\d+#[0-9a-f]{12} refused/);
    }
    expect(errors.join('\n')).not.toContain('SECsomeOtherSecret');
    expectNoSecrets();
  });

  it('honours a 429 Retry-After given in seconds', async () => {
    sink.rateLimit(1, '7');
    const e = await failure(send('slack'));
    expect(e.kind).toBe('transient');
    expect(e.status).toBe(429);
    expect(e.retryAfterMs).toBe(7000);
    expect((await send('slack')).adapter).toBe('slack');
  });

  it('honours a 429 Retry-After given as an HTTP date', async () => {
    sink.rateLimit(1, new Date(Date.now() + 90_000).toUTCString());
    const e = await failure(send('feishu'));
    expect(e.kind).toBe('transient');
    expect(e.retryAfterMs).toBeGreaterThan(60_000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(90_000);
  });

  it.each([
    [503, 'transient'],
    [500, 'transient'],
    [408, 'transient'],
    [404, 'config'],
    [403, 'config'],
    [410, 'config'],
    [400, 'permanent'],
    [413, 'permanent'],
  ] as const)('classifies HTTP %i as %s', async (status, kind) => {
    sink.fail(status);
    const e = await failure(send('wecom'));
    expect(e.kind).toBe(kind);
    expect(e.status).toBe(status);
    expect(e.retryAfterMs).toBeUndefined();
  });

  it.each([
    ['dingtalk', { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' }, 'transient', 60_000],
    ['wecom', { errcode: 45009, errmsg: 'api freq out of limit' }, 'transient', 60_000],
    ['wecom', { errcode: 93000, errmsg: 'invalid webhook url' }, 'config', undefined],
    ['feishu', { code: 19021, msg: 'sign match fail or timestamp is not within one hour from current time' }, 'config', undefined],
    ['lark', { code: 9499, msg: 'Bad Request' }, 'permanent', undefined],
    ['feishu', { StatusCode: 11232, StatusMessage: 'frequency limited' }, 'transient', 60_000],
  ] as const)('reads a %s body-level error %o as %s', async (channel, body, kind, wait) => {
    sink.answerNext(body);
    const e = await failure(send(channel));
    expect(e.kind).toBe(kind);
    expect(e.retryAfterMs).toBe(wait);
    expect(e.message).toContain(String('errcode' in body ? body.errcode : 'code' in body ? body.code : body.StatusCode));
  });

  it('never repeats the webhook URL, even when the receiver echoes it back', async () => {
    sink.fail(400, 1, { error: `no such hook /slack/services/T1/B1/${PATH_SECRET}` });
    const e = await failure(send('slack'));
    expect(e.kind).toBe('permanent');
    sink.answerNext({ errcode: 300001, errmsg: `token ${PATH_SECRET} is not exist` });
    expect((await failure(send('dingtalk'))).kind).toBe('config');
    expectNoSecrets();
  });

  it('treats a receiver that refuses connections as transient, naming the route key only', async () => {
    const route = routeFor('slack');
    await sink.close();
    const e = await failure(adapterFor(route, deps()).send({ route, text: 'x', idempotencyKey: 'k' }));
    expect(e.kind).toBe('transient');
    expect(e.message).toContain(route.key);
    expect(e.message).toContain('ECONNREFUSED');
    sink = await startWebhookSink();
    expectNoSecrets();
  });

  it('states the per-post limit of each service', () => {
    expect(adapterFor(routeFor('wecom'), deps()).maxChars).toBe(680);
    expect(adapterFor(routeFor('slack'), deps()).maxChars).toBe(3800);
    expect(adapterFor(routeFor('slack'), deps()).edit).toBeUndefined();
  });
});
