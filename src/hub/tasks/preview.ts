/**
 * `POST /preview/url`: fetches a page with undici and returns its title, description, image and
 * site name. Bounded: http(s) only (every hop), at most 3 redirects, 5 s for the whole fetch, and at
 * most 1 MiB read (the rest is not downloaded; the preview comes from the first 1 MiB).
 *
 * SSRF: the hub fetches any http(s) URL a caller names, including loopback and private addresses.
 * That is acceptable for a local hub run by its user; do not expose it to untrusted networks without
 * putting an egress filter in front (see docs/hub.md, "Utilities").
 */
import { TextDecoder } from 'node:util';
import { request } from 'undici';
import { z } from 'zod';
import { PreviewUrlBody, type PreviewUrlResponse } from '../../protocol/index.js';
import { HubError, type HubCore } from '../core.js';
import { parse } from '../http.js';
import { whoIs } from './access.js';
import { parseHtmlMeta } from './html-meta.js';

export const PREVIEW_LIMITS = Object.freeze({
  timeoutMs: 5_000,
  maxBytes: 1024 * 1024,
  maxRedirects: 3,
});

export interface PreviewOptions {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
}

export interface Preview extends PreviewUrlResponse {
  url: string;
  content_type: string | null;
  truncated: boolean;
}

/** The URL, if it is absolute http(s); 400 otherwise. */
export function httpUrl(raw: string, base?: URL): URL {
  let u: URL;
  try {
    u = base ? new URL(raw, base) : new URL(raw);
  } catch {
    throw new HubError(400, `url: not a valid absolute URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new HubError(400, `url: only http and https URLs can be previewed, got ${u.protocol.replace(/:$/, '')}`);
  }
  if (u.username || u.password) throw new HubError(400, 'url: URLs with credentials are refused');
  return u;
}

const header = (h: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

function decoderFor(contentType: string | undefined): TextDecoder {
  const charset = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8');
  } catch {
    return new TextDecoder('utf-8');
  }
}

export async function fetchPreview(rawUrl: string, o: PreviewOptions = PREVIEW_LIMITS): Promise<Preview> {
  let url = httpUrl(rawUrl);
  const signal = AbortSignal.timeout(o.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      const res = await request(url, {
        method: 'GET',
        signal,
        headers: { 'user-agent': 'wtt-hub-preview/1', accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1' },
      });
      const location = header(res.headers, 'location');
      if (res.statusCode >= 300 && res.statusCode < 400 && location) {
        await res.body.dump();
        if (hop >= o.maxRedirects) throw new HubError(502, `too many redirects (more than ${o.maxRedirects})`);
        url = httpUrl(location, url);
        continue;
      }
      if (res.statusCode >= 400) {
        await res.body.dump();
        throw new HubError(502, `the page answered HTTP ${res.statusCode}`);
      }
      const contentType = header(res.headers, 'content-type') ?? null;
      const empty: Preview = { url: url.href, title: null, description: null, image: null, site_name: null, content_type: contentType, truncated: false };
      if (contentType && !/html|xml/i.test(contentType)) {
        await res.body.dump();
        return empty;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        const room = o.maxBytes - size;
        if (buf.length > room) {
          chunks.push(buf.subarray(0, room));
          size += room;
          truncated = true;
          res.body.destroy();
          break;
        }
        chunks.push(buf);
        size += buf.length;
      }
      const meta = parseHtmlMeta(decoderFor(contentType ?? undefined).decode(Buffer.concat(chunks, size)));
      let image: string | null = null;
      if (meta.ogImage) {
        try {
          image = new URL(meta.ogImage, url).href;
        } catch {
          image = null;
        }
      }
      return {
        ...empty,
        title: meta.ogTitle ?? meta.title,
        description: meta.ogDescription ?? meta.description,
        image,
        site_name: meta.ogSiteName ?? url.hostname,
        truncated,
      };
    }
  } catch (e) {
    if (e instanceof HubError) throw e;
    if (signal.aborted) throw new HubError(504, `the page did not answer within ${o.timeoutMs / 1000} s`);
    const code = (e as { code?: unknown }).code;
    throw new HubError(502, `could not fetch the page${typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

const Body = PreviewUrlBody.extend({ url: z.string().trim().min(1).max(4096), agent_id: z.string().min(1).max(200).optional() });
const Query = z.looseObject({ agent_id: z.string().min(1).max(200).optional() });

export function previewRoutes(core: HubCore, options: PreviewOptions = PREVIEW_LIMITS): void {
  core.app.post('/preview/url', async (req) => {
    const body = parse(Body, req.body);
    // Identified like every call (legacy mode: the Python skill sends no identity here).
    whoIs(core, req, body.agent_id ?? parse(Query, req.query, 'query').agent_id ?? null);
    return fetchPreview(body.url, options);
  });
}
