/**
 * The calls of the WTT web console that the hub lacked: rename and unclaim a bound agent (with the
 * binding's api key as bearer), and the media upload (sign → PUT → commit → served), in both auth
 * modes. Every answer of these calls parses as JSON.
 */
import { describe, expect, it } from 'vitest';
import { api, registerAgent, useHub, type RegisteredAgent, type StartedHub } from '../helpers/hub.js';

/** A user who claims `agent`; returns the user's token and the binding's api key. */
async function claimBy(h: StartedHub, agent: RegisteredAgent, email: string): Promise<{ userToken: string; apiKey: string; primary: boolean }> {
  await api(h.url, '/auth/register', { body: { email, password: 'correct horse' } });
  const login = await api(h.url, '/auth/login', { body: { email, password: 'correct horse' } });
  const code = await api(h.url, '/agents/claim-code', { body: {}, token: agent.agent_token });
  const claim = await api(h.url, '/agents/claim', { body: { code: code.body.code }, token: login.body.access_token });
  expect(claim.status).toBe(200);
  return { userToken: login.body.access_token as string, apiKey: claim.body.api_key as string, primary: claim.body.is_primary as boolean };
}

/** A raw request; the body must parse as JSON whatever the status. */
async function json(h: StartedHub, method: string, path: string, o: { token?: string; body?: unknown; raw?: Buffer; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.raw) headers['content-type'] = o.type ?? 'application/octet-stream';
  const res = await fetch(path.startsWith('http') ? path : `${h.url}${path}`, {
    method,
    headers,
    body: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, any> };
}

describe('hub web console: rename and unclaim', () => {
  const fx = useHub(['bot']);

  it('renames a bound agent with its binding api key; the profile and the bindings show the new name', async () => {
    const [bot] = fx.agents;
    const { apiKey, userToken } = await claimBy(fx.h, bot, 'ann@example.com');
    const r = await json(fx.h, 'POST', `/agents/${bot.agent_id}/set-name`, { token: apiKey, body: { display_name: '  Garden bot ' } });
    expect(r).toMatchObject({ status: 200, body: { ok: true, agent_id: bot.agent_id, display_name: 'Garden bot' } });
    expect((await api(fx.h.url, `/agents/${bot.agent_id}`)).body.display_name).toBe('Garden bot');
    expect((await api(fx.h.url, '/agents/my', { token: userToken })).body[0].display_name).toBe('Garden bot');
    // Refusals, each with a JSON detail.
    const other = await registerAgent(fx.h.url, 'other');
    expect((await json(fx.h, 'POST', `/agents/${bot.agent_id}/set-name`, { token: other.agent_token, body: { display_name: 'x' } })).status).toBe(403);
    expect((await json(fx.h, 'POST', `/agents/${bot.agent_id}/set-name`, { body: { display_name: 'x' } })).status).toBe(401);
    expect((await json(fx.h, 'POST', `/agents/${bot.agent_id}/set-name`, { token: apiKey, body: { display_name: '   ' } })).status).toBe(422);
    expect((await json(fx.h, 'POST', `/agents/${bot.agent_id}/set-name`, { token: apiKey, body: {} })).status).toBe(422);
    expect((await json(fx.h, 'POST', '/agents/agent-000000000000/set-name', { token: apiKey, body: { display_name: 'x' } })).status).toBe(404);
  });

  it('unclaims a non-primary binding with its api key (the key stops working), refuses the primary one', async () => {
    const [bot] = fx.agents;
    const first = await claimBy(fx.h, bot, 'ann@example.com');
    const second = await claimBy(fx.h, bot, 'bob@example.com');
    expect(first.primary).toBe(true);
    expect(second.primary).toBe(false);
    const primary = await json(fx.h, 'DELETE', `/agents/${bot.agent_id}`, { token: first.apiKey });
    expect(primary.status).toBe(409);
    expect(primary.body.detail).toMatch(/primary binding .* cannot be unclaimed/);
    expect((await json(fx.h, 'DELETE', `/agents/${bot.agent_id}`, { token: bot.agent_token })).status).toBe(403);
    expect((await json(fx.h, 'DELETE', `/agents/${bot.agent_id}`)).status).toBe(401);
    const other = await registerAgent(fx.h.url, 'other');
    expect((await json(fx.h, 'DELETE', `/agents/${other.agent_id}`, { token: second.apiKey })).status).toBe(403);
    const ok = await json(fx.h, 'DELETE', `/agents/${bot.agent_id}`, { token: second.apiKey });
    expect(ok).toMatchObject({ status: 200, body: { ok: true, agent_id: bot.agent_id, unbound: true } });
    expect((await api(fx.h.url, '/agents/my', { token: second.userToken })).body).toEqual([]);
    expect((await json(fx.h, 'GET', '/feed', { token: second.apiKey })).status).toBe(401);
    expect((await json(fx.h, 'GET', '/feed', { token: first.apiKey })).status).toBe(200);
  });
});

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a1a40000000049454e44ae426082', 'hex');

describe('hub web console: media upload, legacy mode (no credentials)', () => {
  const fx = useHub([], { authMode: 'legacy', limits: { mediaMaxBytes: 64 * 1024, mediaQuotaBytes: 100 * 1024, mediaMaxPending: 3 } });

  it('signs, takes the PUT, commits and serves the file with headers that never run it as a page', async () => {
    const sign = await json(fx.h, 'POST', '/media/sign', { body: { filename: 'dot.png', mime_type: 'image/png', size: PNG.length } });
    expect(sign.status).toBe(200);
    expect(sign.body.upload_url).toMatch(new RegExp(`^${fx.h.url}/media/upload/`));
    expect(typeof sign.body.upload_token).toBe('string');
    const early = await json(fx.h, 'POST', '/media/commit', { body: { upload_token: sign.body.upload_token } });
    expect(early.status).toBe(409);
    const put = await json(fx.h, 'PUT', sign.body.upload_url as string, { raw: PNG, type: 'image/png' });
    expect(put).toMatchObject({ status: 200, body: { ok: true, size: PNG.length } });
    const commit = await json(fx.h, 'POST', '/media/commit', { body: { upload_token: sign.body.upload_token } });
    expect(commit.status).toBe(200);
    expect(commit.body.url).toMatch(new RegExp(`^${fx.h.url}/media/[0-9a-f]{32}$`));
    const res = await fetch(commit.body.url as string);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(res.headers.get('content-disposition')).toBe('inline; filename="dot.png"');
    // A committed upload cannot be replaced.
    expect((await json(fx.h, 'PUT', sign.body.upload_url as string, { raw: Buffer.from('<html><script>alert(1)</script>') })).status).toBe(409);
  });

  it('serves text as an attachment, even when the bytes are HTML', async () => {
    const html = Buffer.from('<!doctype html><script>alert(document.domain)</script>');
    const sign = await json(fx.h, 'POST', '/media/sign', { body: { filename: '../../evil".html', mime_type: 'text/plain; charset=utf-8', size: html.length } });
    expect(sign.status).toBe(200);
    expect((await json(fx.h, 'PUT', sign.body.upload_url as string, { raw: html, type: 'text/html' })).status).toBe(200);
    const commit = await json(fx.h, 'POST', '/media/commit', { body: { upload_token: sign.body.upload_token } });
    const res = await fetch(commit.body.url as string);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="__.._evil_.html"');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses types outside the allow list, sizes over the limit, over-long PUTs, the quota and too many pending uploads', async () => {
    for (const type of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/xml', 'application/javascript']) {
      const r = await json(fx.h, 'POST', '/media/sign', { body: { filename: 'x', mime_type: type, size: 10 } });
      expect(r.status, type).toBe(415);
      expect(r.body.detail).toMatch(/limit mediaTypes, --media-types/);
    }
    const big = await json(fx.h, 'POST', '/media/sign', { body: { filename: 'x.bin', mime_type: 'application/octet-stream', size: 64 * 1024 + 1 } });
    expect(big.status).toBe(413);
    expect(big.body.detail).toMatch(/limit mediaMaxBytes, --media-max-bytes/);
    const small = await json(fx.h, 'POST', '/media/sign', { body: { filename: 'x.bin', mime_type: 'application/octet-stream', size: 4 } });
    const longer = await json(fx.h, 'PUT', small.body.upload_url as string, { raw: Buffer.alloc(5) });
    expect(longer.status).toBe(413);
    const over = await json(fx.h, 'PUT', small.body.upload_url as string, { raw: Buffer.alloc(64 * 1024 + 1) });
    expect(over.status).toBe(413);
    // 100 KiB quota: 4 bytes reserved, 60 KiB more fits, another 60 KiB does not.
    const a = await json(fx.h, 'POST', '/media/sign', { body: { filename: 'a.bin', mime_type: 'application/octet-stream', size: 60 * 1024 } });
    expect(a.status).toBe(200);
    const b = await json(fx.h, 'POST', '/media/sign', { body: { filename: 'b.bin', mime_type: 'application/octet-stream', size: 60 * 1024 } });
    expect(b.status).toBe(413);
    expect(b.body.detail).toMatch(/media quota: .*limit mediaQuotaBytes, --media-quota-bytes/);
    const c = await json(fx.h, 'POST', '/media/sign', { body: { filename: 'c.bin', mime_type: 'application/octet-stream', size: 1 } });
    expect(c.status).toBe(200);
    const d = await json(fx.h, 'POST', '/media/sign', { body: { filename: 'd.bin', mime_type: 'application/octet-stream', size: 1 } });
    expect(d.status).toBe(429);
    expect(d.body.detail).toMatch(/limit mediaMaxPending, --media-max-pending/);
    for (const bad of [{}, { filename: 'x' }, { filename: 'x', mime_type: 'image/png', size: -1 }, { filename: 'x', mime_type: 'image/png', size: 'ten' }]) {
      expect((await json(fx.h, 'POST', '/media/sign', { body: bad })).status).toBe(422);
    }
    expect((await json(fx.h, 'POST', '/media/commit', { body: { upload_token: 'nope' } })).status).toBe(404);
    expect((await json(fx.h, 'PUT', '/media/upload/nope', { raw: Buffer.alloc(1) })).status).toBe(404);
    expect((await json(fx.h, 'GET', '/media/0123456789abcdef0123456789abcdef')).status).toBe(404);
    expect((await json(fx.h, 'GET', '/media/..%2f..%2fhub.sqlite')).status).toBe(422);
  });
});

describe('hub web console: media upload, required mode', () => {
  const fx = useHub(['alice', 'bob']);

  it('needs a credential to sign and the owner\'s to commit; the upload url itself is the PUT\'s capability', async () => {
    const [alice, bob] = fx.agents;
    const anon = await json(fx.h, 'POST', '/media/sign', { body: { filename: 'a.png', mime_type: 'image/png', size: PNG.length } });
    expect(anon.status).toBe(401);
    const sign = await json(fx.h, 'POST', '/media/sign', { token: alice.agent_token, body: { filename: 'a.png', mime_type: 'image/png', size: PNG.length } });
    expect(sign.status).toBe(200);
    expect((await json(fx.h, 'PUT', sign.body.upload_url as string, { raw: PNG, type: 'image/png' })).status).toBe(200);
    expect((await json(fx.h, 'POST', '/media/commit', { body: { upload_token: sign.body.upload_token } })).status).toBe(401);
    expect((await json(fx.h, 'POST', '/media/commit', { token: bob.agent_token, body: { upload_token: sign.body.upload_token } })).status).toBe(403);
    const ok = await json(fx.h, 'POST', '/media/commit', { token: alice.agent_token, body: { upload_token: sign.body.upload_token } });
    expect(ok.status).toBe(200);
    expect((await fetch(ok.body.url as string)).status).toBe(200);
  });
});
