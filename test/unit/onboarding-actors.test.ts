/**
 * The onboarding actors' plain functions against answers other WTT servers give (the cloud's
 * variants of §2.3), served by a tiny fake of that outside server on 127.0.0.1.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CLAIM_CODE_TTL_MS, requestClaimCode } from '../../src/onboarding/claim-code.js';
import { registerAgent } from '../../src/onboarding/register.js';
import { Secret } from '../../src/onboarding/secret.js';
import { isWttError } from '../../src/errors.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A fake outside WTT server answering every request with `status` and `body`. */
async function fakeCloud(status: number, body: unknown): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: data });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, seen };
}

describe('onboarding actors', () => {
  it('accepts a 201 answer with an id when it registers (the original accepted only 200)', async () => {
    const cloud = await fakeCloud(201, { agent_id: 'agent-201', agent_token: 'tok_abcdefghijkl' });
    const r = await registerAgent({ apiUrl: cloud.url, displayName: 'Helper', timeoutMs: 2000 });
    expect(r.agentId).toBe('agent-201');
    expect(r.token?.reveal()).toBe('tok_abcdefghijkl');
    expect(cloud.seen[0]?.url).toBe('/agents/register');
    expect(JSON.parse(cloud.seen[0]?.body ?? '{}')).toEqual({ platform: 'openclaw', display_name: 'Helper' });
  });

  it('fails with a typed error when the register answer has no agent id', async () => {
    const cloud = await fakeCloud(200, { ok: true });
    const err = await registerAgent({ apiUrl: cloud.url, displayName: undefined, timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(isWttError(err, 'WTT_ERR_BAD_RESPONSE')).toBe(true);
  });

  it('reads claim_code and expires_at when a server answers in that shape', async () => {
    const now = Date.parse('2026-09-01T10:00:00Z');
    const cloud = await fakeCloud(200, { claim_code: 'WTT-CLAIM-QWER5678', expires_at: '2026-09-01T10:10:00Z' });
    const r = await requestClaimCode({ apiUrl: cloud.url, agentId: 'a1', token: new Secret('tok_abcdefghijkl'), timeoutMs: 2000, now: () => now });
    expect(r).toEqual({ code: 'WTT-CLAIM-QWER5678', expiresInMs: 600_000, expiresAt: '2026-09-01T10:10:00.000Z' });
    expect(cloud.seen[0]?.headers['x-agent-token']).toBe('tok_abcdefghijkl');
    expect(cloud.seen[0]?.headers.authorization).toBe('Bearer tok_abcdefghijkl');
    expect(JSON.parse(cloud.seen[0]?.body ?? '{}')).toEqual({ agent_id: 'a1' });
  });

  it('assumes 15 minutes when the server states no expiry', async () => {
    const cloud = await fakeCloud(200, { code: 'WTT-CLAIM-AAAA1111' });
    const r = await requestClaimCode({ apiUrl: cloud.url, agentId: 'a1', token: undefined, timeoutMs: 2000, now: () => 0 });
    expect(r.expiresInMs).toBe(DEFAULT_CLAIM_CODE_TTL_MS);
    expect(DEFAULT_CLAIM_CODE_TTL_MS).toBe(900_000);
  });

  it('hides a Secret from JSON, String and inspect but reveals it on request', () => {
    const s = new Secret('tok_abcdefghijkl');
    expect(JSON.stringify({ s })).toBe('{"s":"[Redacted]"}');
    expect(`${s}`).toBe('[Redacted]');
    expect(inspect({ s })).not.toContain('tok_');
    expect(s.masked()).toBe('tok_…ijkl');
    expect(s.reveal()).toBe('tok_abcdefghijkl');
    expect(Secret.of('')).toBeUndefined();
  });
});
