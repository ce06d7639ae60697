/**
 * The REST transport's policies (auth headers, retries only when idempotent, timeouts, typed errors,
 * no token in messages) against a scripted HTTP server on 127.0.0.1 that misbehaves on cue — the
 * hub does not, an outside server may.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WttApi } from '../../src/client/api.js';
import { WttError } from '../../src/errors.js';

const TOKEN = 'agent-token-abcdefghijklmnop';
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function server(handler: (req: Seen, res: ServerResponse, n: number) => void): Promise<{ url: string; seen: Seen[] }> {
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
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(s.address() as { port: number }).port}`, seen };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

async function caught(p: Promise<unknown>): Promise<WttError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WttError) return e;
    throw e;
  }
  throw new Error('expected a WttError');
}

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
    const url = s.url;
    for (const srv of servers.splice(0)) await new Promise<void>((r) => srv.close(() => r()));
    const e = await caught(client(url, { retries: 0 }).listTopics());
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
