/**
 * The daemon's status page over HTTP: the real daemon against the real hub serves /status.json
 * (the runtime's report, the actor tree with current states, recent events) and /machines.json
 * on 127.0.0.1 with a token; wrong token, foreign Host and other methods are refused; `wtt inspect`
 * prints the URL; no token is ever in what it serves. Needs `npm run build`.
 */
import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killDaemons, startDaemon } from '../helpers/daemon-process.js';
import { startHub, type StartedHub } from '../helpers/hub.js';
import { assertBuilt, runCli } from './cli-helpers.js';

let hub: StartedHub | undefined;
afterEach(async () => {
  killDaemons();
  await hub?.close();
  hub = undefined;
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, opts: { host?: string; method?: string } = {}): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path: `${u.pathname}${u.search}`, method: opts.method ?? 'GET', headers: opts.host ? { host: opts.host } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

interface StatusJson {
  report: { connection: { state: string }; agent_id: string | null; uptime_s: number; intake: { delivered: number } } | null;
  actors: { id: string; session: string; parent: string | null; machine: string | null; active: string[] }[];
  events: { to: string; type: string }[];
}

async function statusOf(pageUrl: string): Promise<StatusJson> {
  const u = new URL(pageUrl);
  const r = await get(`${u.origin}/status.json${u.search}`);
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as StatusJson;
}

async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('status page', () => {
  it('serves the live report and the actor tree with current states, on 127.0.0.1 with a token', async () => {
    assertBuilt();
    hub = await startHub();
    const skill = mkdtempSync(join(tmpdir(), 'wtt-page-'));
    const env = { HOME: skill, WTT_SKILL_DIR: skill, WTT_API_URL: hub.url, WTT_LOG_LEVEL: 'warn', WTT_STATUS_PORT: '0' };
    const d = startDaemon(['daemon'], env);
    const pageUrl = (await d.waitFor('stdout', /status page: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{24})/))[1] as string;
    await d.waitFor('stderr', /connection: live/);

    const s = await until(async () => {
      const x = await statusOf(pageUrl);
      return x.report?.connection.state === 'live' && x.report.agent_id ? x : undefined;
    });
    expect(s.report?.agent_id).toMatch(/^agent-[0-9a-f]{12}$/);
    const ids = s.actors.map((a) => a.id);
    expect(ids).toEqual(expect.arrayContaining(['runtime', 'connection', 'router', 'commands', 'control']));
    const root = s.actors.find((a) => a.id === 'runtime');
    const conn = s.actors.find((a) => a.id === 'connection');
    expect(root?.parent).toBeNull();
    expect(conn?.parent).toBe(root?.session);
    expect(conn?.active).toEqual(expect.arrayContaining(['open', 'open.live']));
    expect(s.events.length).toBeGreaterThan(0);

    const u = new URL(pageUrl);
    const machines = JSON.parse((await get(`${u.origin}/machines.json${u.search}`)).body) as Record<string, { children: { path: string; edges: { event: string; target: string }[] }[] }>;
    const chart = machines[conn?.machine ?? ''];
    expect(chart?.children.map((c) => c.path)).toEqual(expect.arrayContaining(['connecting', 'open', 'backoff', 'polling', 'unauthorized', 'stopped']));
    expect(chart?.children.find((c) => c.path === 'open')?.edges).toEqual(expect.arrayContaining([{ event: 'LIVENESS_EXPIRED', target: 'backoff' }]));

    const html = await get(pageUrl);
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.headers['referrer-policy']).toBe('no-referrer');
    expect(html.body).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!127\.0\.0\.1)/);

    // Refusals: no token, a wrong token, another Host (DNS rebinding), another method.
    expect((await get(`${u.origin}/status.json`)).status).toBe(404);
    expect((await get(`${u.origin}/status.json?token=${'x'.repeat(24)}`)).status).toBe(404);
    expect((await get(`${u.origin}/status.json${u.search}`, { host: `evil.example:${u.port}` })).status).toBe(421);
    expect((await get(`${u.origin}/status.json${u.search}`, { method: 'POST' })).status).toBe(405);

    // wtt inspect prints the same URL; the file it reads is the owner's only.
    const inspect = await runCli(['inspect'], env);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout.trim()).toBe(pageUrl);
    const urlFile = join(skill, '.wtt', 'status-page.url');
    expect(statSync(urlFile).mode & 0o777).toBe(0o600);

    // The agent's token (registered at start) is in nothing the page serves.
    const token = /WTT_AGENT_TOKEN=(\S+)/.exec(readFileSync(join(skill, '.env'), 'utf8'))?.[1] ?? '';
    expect(token.length).toBeGreaterThan(20);
    const served = [(await get(`${u.origin}/status.json${u.search}`)).body, (await get(`${u.origin}/machines.json${u.search}`)).body, html.body].join('\n');
    expect(served).not.toContain(token);

    expect(await d.stop()).toBe(0);
    expect(existsSync(urlFile)).toBe(false);
    const after = await runCli(['inspect'], env);
    expect(after.code).toBe(3);
    expect(after.stdout).toContain('not running');
  });

  it('shows backoff when the hub goes away, and live again when it is back', async () => {
    assertBuilt();
    hub = await startHub();
    const skill = mkdtempSync(join(tmpdir(), 'wtt-page-'));
    const env = { HOME: skill, WTT_SKILL_DIR: skill, WTT_API_URL: hub.url, WTT_LOG_LEVEL: 'warn' };
    const d = startDaemon(['daemon'], env);
    const pageUrl = (await d.waitFor('stdout', /status page: (\S+)/))[1] as string;
    await d.waitFor('stderr', /connection: live/);
    const dataDir = hub.dataDir;
    const port = hub.port;
    await hub.close();
    const down = await until(async () => {
      const x = await statusOf(pageUrl);
      return x.report?.connection.state === 'backoff' ? x : undefined;
    });
    expect(down.actors.find((a) => a.id === 'connection')?.active).toContain('backoff');
    hub = await startHub({ dataDir, port });
    await until(async () => ((await statusOf(pageUrl)).report?.connection.state === 'live' ? true : undefined));
    expect(await d.stop()).toBe(0);
  });

  it('runs without a page when WTT_STATUS_PORT=off, and wtt inspect says so', async () => {
    assertBuilt();
    hub = await startHub();
    const skill = mkdtempSync(join(tmpdir(), 'wtt-page-'));
    const env = { HOME: skill, WTT_SKILL_DIR: skill, WTT_API_URL: hub.url, WTT_LOG_LEVEL: 'warn', WTT_STATUS_PORT: 'off' };
    const d = startDaemon(['daemon'], env);
    await d.waitFor('stderr', /connection: live/);
    expect(d.stdout()).not.toContain('status page:');
    const r = await runCli(['inspect'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('runs without its status page');
    expect(await d.stop()).toBe(0);
  });
});
