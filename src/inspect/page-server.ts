/**
 * The daemon's local status page: an HTTP server on 127.0.0.1 only (port from WTT_STATUS_PORT,
 * 0 = any free port) with a random token that every request must carry (`?token=`), so that no
 * other local user or web page can read it. It serves:
 *
 *   GET /?token=T              the page (page-html.ts; no outside assets)
 *   GET /status.json?token=T   { report: StatusReport | null, actors, events, now }
 *   GET /machines.json?token=T the statecharts of the machines in the tree, by machine id
 *
 * A wrong or missing token is a 404, a Host other than 127.0.0.1/localhost:<port> a 421 (DNS
 * rebinding), anything but GET/HEAD a 405. Everything sent passes scrubDeep. The URL is written
 * to `<stateDir>/status-page.url` (mode 0600) for `wtt inspect`, and removed at close.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import type { StatusReport } from '../runtime/status.js';
import type { ActorTree } from './actor-tree.js';
import { statusPageHtml } from './page-html.js';
import { scrubDeep } from './scrub.js';

export const PAGE_URL_FILE = 'status-page.url';

export interface StatusPageOptions {
  port: number;
  tree: ActorTree;
  report: () => StatusReport | undefined;
  secrets: () => readonly (string | undefined)[];
  /** Where to write the URL (mode 0600); none when undefined. */
  urlFile?: string | undefined;
}

export interface StatusPage {
  url: string;
  port: number;
  close(): Promise<void>;
}

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const BASE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

export async function startStatusPage(opts: StatusPageOptions): Promise<StatusPage> {
  const token = randomBytes(18).toString('base64url');
  const learned = new Set<string>();
  const clean = (v: unknown) => scrubDeep(v, { secrets: opts.secrets, learned });
  let port = opts.port;

  const send = (res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...BASE_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  };
  const json = (res: ServerResponse, value: unknown) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(clean(value)));

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 421, 'text/plain', 'misdirected request\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (!sameToken(url.searchParams.get('token'), token)) return send(res, 404, 'text/plain', 'not found\n');
    switch (url.pathname) {
      case '/': {
        const nonce = randomBytes(12).toString('base64');
        const csp = `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
        return send(res, 200, 'text/html; charset=utf-8', statusPageHtml(nonce), { 'content-security-policy': csp });
      }
      case '/status.json':
        return json(res, { now: new Date().toISOString(), report: opts.report() ?? null, actors: opts.tree.actors(), events: opts.tree.events() });
      case '/machines.json':
        // The statecharts come from our own machine definitions (no runtime data, nothing secret),
        // and they nest deeper than scrubDeep's depth limit: sent as they are.
        return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(opts.tree.charts()));
      default:
        return send(res, 404, 'text/plain', 'not found\n');
    }
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      send(res, 500, 'text/plain', `${e instanceof Error ? scrubDeep(e.message, { secrets: opts.secrets, learned }) : 'error'}\n`);
    }
  });
  server.keepAliveTimeout = 2_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: opts.port }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;
  if (opts.urlFile) writeFileSync(opts.urlFile, `${url}\n`, { mode: 0o600 });
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (opts.urlFile) rmSync(opts.urlFile, { force: true });
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
