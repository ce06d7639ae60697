/**
 * `/preview/url` refuses loopback in every spelling and every redirect into it, against a real hub
 * and a recording server on 127.0.0.1 that counts every TCP connection it gets (it must get none).
 * Only 127.0.0.1 is ever connected to; the other address classes are unit-tested
 * (test/unit/hub-preview-destination.test.ts), never fetched.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREVIEW_FAILED } from '../../src/hub/preview/preview.js';
import { api, registerAgent, startHub, type RegisteredAgent, type StartedHub } from '../helpers/hub.js';

interface Recorder {
  server: Server;
  port: number;
  hits: number;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

/** Every loopback spelling of `127.0.0.1:port` a URL can carry. */
const loopbackUrls = (port: number): string[] => [
  `http://127.0.0.1:${port}/`,
  `http://localhost:${port}/`,
  `http://LOCALHOST:${port}/`,
  `http://localhost.:${port}/`,
  `http://app.localhost:${port}/`,
  `http://127.1:${port}/`,
  `http://127.0.1:${port}/`,
  `http://2130706433:${port}/`,
  `http://0x7f000001:${port}/`,
  `http://0x7f.0x0.0x0.0x1:${port}/`,
  `http://0177.0.0.1:${port}/`,
  `http://0177.1:${port}/`,
  `http://127.0.0.1.:${port}/`,
  `http://[::ffff:127.0.0.1]:${port}/`,
  `http://[::ffff:7f00:1]:${port}/`,
  `http://[::1]:${port}/`,
  `http://[0:0:0:0:0:0:0:1]:${port}/`,
  `http://0.0.0.0:${port}/`,
  `http://0:${port}/`,
  `http://[::]:${port}/`,
  `https://127.0.0.1:${port}/`,
];

describe('hub preview SSRF', () => {
  const rec: Recorder = { server: createServer(), port: 0, hits: 0 };
  let redirector: Server;
  let redirectPort = 0;
  let closedPort = 0;
  let hang: Server;
  let hangPort = 0;
  let strict: StartedHub;
  let allowing: StartedHub;
  let agent: RegisteredAgent;
  let agent2: RegisteredAgent;

  beforeAll(async () => {
    rec.server.on('connection', () => rec.hits++);
    rec.server.on('request', (_req, res) => res.end('<html><head><title>secret</title></head></html>'));
    rec.port = await listen(rec.server);
    // Redirects to wherever its path says: /to?u=<url>; /self → a page of its own; /loop → itself; /missing → 404.
    redirector = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/missing') {
        res.writeHead(404);
        res.end('no');
        return;
      }
      if (u.pathname === '/loop') {
        res.writeHead(302, { location: '/loop' });
        res.end();
        return;
      }
      if (u.pathname === '/self') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><head><title>Allowed page</title></head></html>');
        return;
      }
      res.writeHead(302, { location: u.searchParams.get('u') ?? '/self' });
      res.end();
    });
    redirectPort = await listen(redirector);
    const gone = createServer();
    closedPort = await listen(gone);
    await stop(gone);
    hang = createServer(() => undefined);
    hangPort = await listen(hang);
    strict = await startHub();
    agent = await registerAgent(strict.url, 'prober');
    // Only the redirect server, the closed port and the hanging server are allowed, each by port.
    allowing = await startHub({
      limits: { previewAllow: [`127.0.0.1:${redirectPort}`, `127.0.0.1:${closedPort}`, `127.0.0.1:${hangPort}`], previewTimeoutMs: 500 },
    });
    agent2 = await registerAgent(allowing.url, 'prober');
  });
  afterAll(async () => {
    await strict?.close();
    await allowing?.close();
    await stop(rec.server);
    await stop(redirector);
    await stop(hang);
  });

  const preview = (h: StartedHub, who: RegisteredAgent, url: string) => api(h.url, '/preview/url', { body: { url }, token: who.agent_token });

  it('refuses every loopback spelling with 403 and the recording server gets no connection', async () => {
    for (const url of loopbackUrls(rec.port)) {
      const r = await preview(strict, agent, url);
      expect(r.status, url).toBe(403);
      expect(r.body.detail, url).toMatch(/^url: destination not allowed \(.*(loopback|unspecified|ipv4Mapped) addresses are refused\); an operator may allow it with --preview-allow$/);
    }
    expect(rec.hits).toBe(0);
  });

  it('refuses non-http(s) schemes and URLs with credentials with 400', async () => {
    for (const url of ['file:///etc/passwd', `ftp://127.0.0.1:${rec.port}/`, `gopher://127.0.0.1:${rec.port}/`, 'javascript:alert(1)', `ws://127.0.0.1:${rec.port}/`, 'data:text/html,hi']) {
      const r = await preview(strict, agent, url);
      expect(r.status, url).toBe(400);
      expect(r.body.detail).toMatch(/^url: /);
    }
    expect((await preview(strict, agent, `http://user:pw@127.0.0.1:${rec.port}/`)).status).toBe(400);
    expect(rec.hits).toBe(0);
  });

  it('follows a redirect on an allowed host, and refuses every redirect into loopback on the next hop', async () => {
    const ok = await preview(allowing, agent2, `http://127.0.0.1:${redirectPort}/to?u=/self`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ title: 'Allowed page' });
    const targets = [...loopbackUrls(rec.port), `/to?u=${encodeURIComponent(`http://127.0.0.1:${rec.port}/`)}`];
    for (const target of targets) {
      const r = await preview(allowing, agent2, `http://127.0.0.1:${redirectPort}/to?u=${encodeURIComponent(target)}`);
      expect(r.status, target).toBe(403);
    }
    const toFile = await preview(allowing, agent2, `http://127.0.0.1:${redirectPort}/to?u=${encodeURIComponent('file:///etc/passwd')}`);
    expect(toFile.status).toBe(400);
    expect(rec.hits).toBe(0);
  });

  it('answers an open and a closed refused port alike, and a closed, hanging or failing allowed port alike', async () => {
    const open = await preview(strict, agent, `http://127.0.0.1:${rec.port}/`);
    const closed = await preview(strict, agent, `http://127.0.0.1:${closedPort}/`);
    expect(open.status).toBe(403);
    expect(closed.status).toBe(403);
    expect(open.body.detail).toBe(closed.body.detail?.replace(String(closedPort), String(rec.port)));
    const failures = await Promise.all([
      preview(allowing, agent2, `http://127.0.0.1:${closedPort}/`),
      preview(allowing, agent2, `http://127.0.0.1:${hangPort}/`),
      preview(allowing, agent2, `http://127.0.0.1:${redirectPort}/loop`),
      preview(allowing, agent2, `http://127.0.0.1:${redirectPort}/missing`),
    ]);
    for (const f of failures) {
      expect(f.status).toBe(502);
      expect(f.body).toEqual({ detail: PREVIEW_FAILED, code: 'preview_failed' });
    }
    expect(rec.hits).toBe(0);
  });
});
