/**
 * The REST transport's policies (auth headers, retries only when idempotent, timeouts, typed errors,
 * no token in messages) against a scripted HTTP server on 127.0.0.1 that misbehaves on cue — the
 * hub does not, an outside server may.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { WttApi } from '../../src/client/api.js';
import { caught, useCleanups } from '../helpers/client.js';

const TOKEN = 'agent-token-abcdefghijklmnop';
const onCleanup = useCleanups();

function closeServer(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise<void>((r) => s.close(() => r()));
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function server(handler: (req: Seen, res: ServerResponse, n: number) => void): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const r: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(r);
      handler(r, res, seen.length);
    });
  });
  onCleanup(() => (s.listening ? closeServer(s) : undefined));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, seen, server: s };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

const client = (url: string, extra: Partial<ConstructorParameters<typeof WttApi>[0]> = {}) =>
  new WttApi({ apiUrl: url, agentId: 'agent-me', agentToken: TOKEN, retryBaseMs: 1, ...extra });

describe('WttApi over HTTP', () => {
  it('sends the agent token as Bearer and X-Agent-Token and fills legacy identity params when calling as the agent', async () => {
    const s = await server((_r, res) => json(res, 200, [{ id: 't1', name: 'one' }]));
    const topics = await client(s.url).subscribedTopics();
    expect(topics).toEqual([{ id: 't1', name: 'one' }]);
    const r = s.seen[0] as Seen;
    expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(r.headers['x-agent-token']).toBe(TOKEN);
    expect(r.url).toBe('/topics/subscribed?agent_id=agent-me');
  });

  it('sends no credential when registering', async () => {
    const s = await server((_r, res) => json(res, 200, { agent_id: 'agent-new', agent_token: 'tok' }));
    expect(await client(s.url).register()).toMatchObject({ agent_id: 'agent-new' });
    expect(s.seen[0]?.headers.authorization).toBeUndefined();
    expect(JSON.parse(s.seen[0]?.body ?? '')).toEqual({ platform: 'openclaw' });
  });

  it('unwraps a wrapped list and fills sender_id when publishing', async () => {
    const s = await server((r, res) =>
      r.method === 'GET'
        ? json(res, 200, { messages: [{ id: 'm1', topic_id: 't', sender_id: 'x', content: 'hi' }] })
        : json(res, 200, { id: 'm2', topic_id: 't', sender_id: 'agent-me', content: 'yo' }),
    );
    const api = client(s.url);
    expect((await api.topicMessages('t', { limit: 5, after: 'm0' })).map((m) => m.id)).toEqual(['m1']);
    expect(s.seen[0]?.url).toBe('/topics/t/messages?limit=5&after=m0&agent_id=agent-me');
    await api.publish({ topic_id: 't', content: 'yo' });
    expect(JSON.parse(s.seen[1]?.body ?? '')).toMatchObject({ topic_id: 't', content: 'yo', sender_id: 'agent-me', sender_type: 'agent', content_type: 'text', semantic_type: 'post' });
  });

  it('returns {} when the server answers 204 or an empty body', async () => {
    const s = await server((_r, res, n) => {
      res.writeHead(n === 1 ? 204 : 200);
      res.end();
    });
    expect(await client(s.url).leaveTopic('t')).toEqual({});
    expect(await client(s.url).deleteTopic('t')).toEqual({});
  });

  it('throws a typed error with status and detail and without the token when the server refuses', async () => {
    const s = await server((r, res) => {
      if (r.url.startsWith('/tasks/')) return json(res, 404, { detail: 'task x not found' });
      if (r.url.startsWith('/topics/')) return json(res, 422, { detail: [{ msg: 'name too long' }] });
      json(res, 401, { detail: `bad token ${TOKEN}` });
    });
    const api = client(s.url);
    const e404 = await caught(api.getTask('x'));
    expect([e404.code, e404.status, e404.detail]).toEqual(['WTT_ERR_NOT_FOUND', 404, 'task x not found']);
    const e422 = await caught(api.createTopic({ name: 'n' }));
    expect([e422.code, e422.status, e422.detail]).toEqual(['WTT_ERR_HTTP', 422, 'name too long']);
    const e401 = await caught(api.claimCode());
    expect(e401.code).toBe('WTT_ERR_AUTH_REJECTED');
    expect(e401.message).not.toContain(TOKEN);
    expect(e401.detail).not.toContain(TOKEN);
    expect(e401.message).toContain('[Redacted]');
  });

  it('retries a GET after a 503 and succeeds when the server recovers', async () => {
    const s = await server((_r, res, n) => (n < 3 ? json(res, 503, { detail: 'busy' }) : json(res, 200, [])));
    expect(await client(s.url).listTopics()).toEqual([]);
    expect(s.seen).toHaveLength(3);
  });

  it('does not retry a POST without an idempotency key when the server fails', async () => {
    const s = await server((_r, res) => json(res, 503, { detail: 'busy' }));
    const e = await caught(client(s.url).publish({ topic_id: 't', content: 'once' }));
    expect(e.status).toBe(503);
    expect(s.seen).toHaveLength(1);
  });

  it('retries a POST that carries an idempotency key and sends the key each time', async () => {
    const s = await server((_r, res, n) => (n === 1 ? json(res, 502, { detail: 'gateway' }) : json(res, 200, { id: 'm', topic_id: 't', sender_id: 's', content: 'c' })));
    await client(s.url).publish({ topic_id: 't', content: 'c' }, { idempotencyKey: 'pub-1' });
    expect(s.seen.map((r) => r.headers['idempotency-key'])).toEqual(['pub-1', 'pub-1']);
  });

  it('never retries poll because the server moves its cursor', async () => {
    const s = await server((_r, res) => json(res, 503, { detail: 'busy' }));
    await caught(client(s.url).poll());
    expect(s.seen).toHaveLength(1);
  });

  it('retries GET and DELETE but sends POST and PATCH once when the server answers 503', async () => {
    const s = await server((_r, res) => json(res, 503, { detail: 'busy' }));
    const api = client(s.url, { retries: 2 });
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['GET /tasks/x', () => api.getTask('x')],
      ['DELETE /tasks/x', () => api.deleteTask('x')],
      ['POST /topics/', () => api.createTopic({ name: 'n' })],
      ['POST /messages/', () => api.publish({ topic_id: 't', content: 'c' })],
      ['POST /tasks', () => api.createTask({ title: 't' })],
      ['POST /topics/t/leave', () => api.leaveTopic('t')],
      ['POST /messages/p2p', () => api.p2p({ target_agent_id: 'b', content: 'c' })],
      ['PATCH /tasks/x', () => api.updateTask('x', { status: 'doing' })],
    ];
    const attempts: Record<string, number> = {};
    for (const [name, call] of calls) {
      const before = s.seen.length;
      expect((await caught(call())).status).toBe(503);
      attempts[name] = s.seen.length - before;
    }
    expect(attempts).toEqual({
      'GET /tasks/x': 3,
      'DELETE /tasks/x': 3,
      'POST /topics/': 1,
      'POST /messages/': 1,
      'POST /tasks': 1,
      'POST /topics/t/leave': 1,
      'POST /messages/p2p': 1,
      'PATCH /tasks/x': 1,
    });
  });

  it('does not repeat a POST whose connection dropped after it reached the server, but repeats a GET', async () => {
    const s = await server((_r, res) => res.socket?.destroy());
    const api = client(s.url, { retries: 2 });
    expect((await caught(api.publish({ topic_id: 't', content: 'maybe stored' }))).code).toBe('WTT_ERR_NETWORK');
    expect(s.seen.map((r) => r.method)).toEqual(['POST']);
    expect((await caught(api.listTopics())).code).toBe('WTT_ERR_NETWORK');
    expect(s.seen.map((r) => r.method)).toEqual(['POST', 'GET', 'GET', 'GET']);
  });

  it('tries a POST again only when the connection was refused, since it never reached a server', async () => {
    const s = await server(() => undefined);
    await closeServer(s.server);
    let dispatched = 0;
    class Counting extends Agent {
      override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        dispatched++;
        return super.dispatch(opts, handler);
      }
    }
    const dispatcher = new Counting();
    onCleanup(() => dispatcher.close());
    const e = await caught(client(s.url, { retries: 2, dispatcher }).publish({ topic_id: 't', content: 'c' }));
    expect(e.code).toBe('WTT_ERR_NETWORK');
    expect(dispatched).toBe(3);
  });

  it('keeps the agent and bearer tokens out of every error when the server echoes them back', async () => {
    const BEARER = 'wtt_sk_userkey0123456789';
    const echo = `token=${TOKEN} bearer=${BEARER} Authorization: Bearer ${TOKEN}`;
    const s = await server((r, res, n) => {
      if (r.url.startsWith('/health')) return res.end(`<html>${echo}</html>`);
      if (r.url.startsWith('/topics/subscribed')) return json(res, 200, [{ [TOKEN]: BEARER }]);
      if (r.url.startsWith('/agents/my')) return json(res, 403, { detail: [{ msg: echo }] });
      if (r.url.startsWith('/tasks/')) return json(res, 500, { error: echo });
      if (r.url.startsWith('/messages/')) return res.writeHead(502).end(echo);
      if (r.url.startsWith('/topics/')) return json(res, 429, { detail: echo }, { 'retry-after': '0' });
      json(res, 401, { detail: `${echo} #${n}` });
    });
    const api = client(s.url, { retries: 1, bearerToken: BEARER });
    const errors = [
      await caught(api.health()),
      await caught(api.subscribedTopics()),
      await caught(api.myAgents()),
      await caught(api.getTask('x')),
      await caught(api.publish({ topic_id: 't', content: 'c' })),
      await caught(api.getTopic('t')),
      await caught(api.claimCode()),
    ];
    expect(errors.map((e) => e.code)).toEqual([
      'WTT_ERR_BAD_RESPONSE',
      'WTT_ERR_BAD_RESPONSE',
      'WTT_ERR_AUTH_REJECTED',
      'WTT_ERR_HTTP',
      'WTT_ERR_HTTP',
      'WTT_ERR_RATE_LIMITED',
      'WTT_ERR_AUTH_REJECTED',
    ]);
    for (const e of errors) {
      const text = [e.message, e.detail ?? '', e.stack ?? '', String(e), JSON.stringify(e)].join('\n');
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(BEARER);
    }
    expect(errors[2]?.detail).toContain('[Redacted]');
  });

  it('waits Retry-After and tries again when rate limited', async () => {
    const s = await server((_r, res, n) => (n === 1 ? json(res, 429, { detail: 'slow down' }, { 'retry-after': '0' }) : json(res, 200, [])));
    expect(await client(s.url).listPipelines()).toEqual([]);
    expect(s.seen).toHaveLength(2);
  });

  it('fails with a timeout error after the retries when the server never answers', async () => {
    const s = await server(() => undefined);
    const e = await caught(client(s.url, { timeoutMs: 100, retries: 1 }).listTopics());
    expect(e.code).toBe('WTT_ERR_TIMEOUT');
    expect(s.seen).toHaveLength(2);
  });

  it('reports a bad response when the body does not match the protocol', async () => {
    const s = await server((r, res) => (r.url === '/health' ? res.end('<html>') : json(res, 200, { not: 'a topic' })));
    expect((await caught(client(s.url).getTopic('t'))).code).toBe('WTT_ERR_BAD_RESPONSE');
    expect((await caught(client(s.url).health())).code).toBe('WTT_ERR_BAD_RESPONSE');
  });

  it('reports a network error when nothing listens on the port', async () => {
    const s = await server(() => undefined);
    await closeServer(s.server);
    const e = await caught(client(s.url, { retries: 0 }).listTopics());
    expect(e.code).toBe('WTT_ERR_NETWORK');
  });

  it('refuses a call that needs the agent id when none is configured', async () => {
    const e = await caught(new WttApi({ apiUrl: 'http://127.0.0.1:9' }).poll());
    expect(e.code).toBe('WTT_ERR_NO_AGENT');
  });

  it('rejects a bad api url at construction with a message naming it', () => {
    expect(() => new WttApi({ apiUrl: 'ftp://x' })).toThrow(/apiUrl must use http or https/);
    expect(() => new WttApi({ apiUrl: 'nope' })).toThrow(/apiUrl must be an http\(s\) URL/);
  });
});
