/**
 * `POST /preview/url`: fetches a page with undici and returns its title, description, image and
 * site name. Bounded: http(s) only (every hop), at most `previewMaxRedirects` redirects (followed by
 * hand, each hop checked again), `previewTimeoutMs` for the whole fetch, at most `previewMaxBytes`
 * read (the rest is not downloaded).
 *
 * SSRF: every connection goes through `guardedConnector` (destination.ts): only public unicast
 * addresses, decided on the resolved address actually connected to, unless listed in `previewAllow`.
 * Every failure to fetch answers the same 502 text, so the answer never tells an open port from a
 * closed or filtered one.
 */
import { TextDecoder } from 'node:util';
import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { PreviewUrlBody, PreviewUrlResponse } from '../../protocol/index.js';
import { HubError, type HubCore } from '../core.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { whoIs } from '../caller.js';
import { AllowList, guardedConnector, refusedIn } from './destination.js';
import { parseHtmlMeta } from './html-meta.js';

export interface PreviewOptions {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** The undici dispatcher every hop goes through (`previewDispatcher`). */
  dispatcher: Dispatcher;
}

/** The one failure text: whatever went wrong (refused connection, reset, timeout, HTTP error, redirects). */
export const PREVIEW_FAILED = 'could not fetch a preview of this URL';

/** An undici agent whose every connection is checked by `guardedConnector`. */
export function previewDispatcher(allow: readonly string[], timeoutMs: number): Agent {
  return new Agent({ connect: guardedConnector(new AllowList(allow), { timeoutMs }), connections: 16 });
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

export async function fetchPreview(rawUrl: string, o: PreviewOptions): Promise<Preview> {
  let url = httpUrl(rawUrl);
  const signal = AbortSignal.timeout(o.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      const res = await request(url, {
        method: 'GET',
        signal,
        dispatcher: o.dispatcher,
        headers: { 'user-agent': 'wtt-hub-preview/1', accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.1' },
      });
      const location = header(res.headers, 'location');
      if (res.statusCode >= 300 && res.statusCode < 400 && location) {
        await res.body.dump();
        if (hop >= o.maxRedirects) throw new Failed(`too many redirects (more than ${o.maxRedirects})`);
        url = httpUrl(location, url);
        continue;
      }
      if (res.statusCode >= 400) {
        await res.body.dump();
        throw new Failed(`the page answered HTTP ${res.statusCode}`);
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
    const refused = refusedIn(e);
    if (refused) throw HubError.of('destination_refused', `url: destination not allowed (${refused.message}); an operator may allow it with --preview-allow`);
    const why = e instanceof Failed ? e.message : signal.aborted ? `no answer within ${o.timeoutMs} ms` : String((e as { code?: unknown }).code ?? (e as Error).message);
    throw HubError.of('preview_failed', PREVIEW_FAILED, { logDetail: why });
  }
}

/** A fetch failure whose reason goes to the log only. */
class Failed extends Error {}

/** The answer: the protocol's shape plus the final URL, the content type and whether the page was cut. */
const Reply = PreviewUrlResponse.extend({ url: z.string(), content_type: z.string().nullable(), truncated: z.boolean() });
const Body = PreviewUrlBody.extend({ url: z.string().trim().min(1).max(4096), agent_id: z.string().min(1).max(200).optional() });
const Query = z.looseObject({ agent_id: z.string().min(1).max(200).optional() });

export function previewRoutes(core: HubCore): void {
  const { previewTimeoutMs, previewMaxBytes, previewMaxRedirects, previewAllow } = core.limits;
  const dispatcher = previewDispatcher(previewAllow, previewTimeoutMs);
  core.app.addHook('onClose', async () => {
    await dispatcher.destroy();
  });
  const options: PreviewOptions = { timeoutMs: previewTimeoutMs, maxBytes: previewMaxBytes, maxRedirects: previewMaxRedirects, dispatcher };
  core.app.withTypeProvider<ZodTypeProvider>().post('/preview/url', { schema: { body: Body, querystring: Query, response: { 200: Reply } } }, async (req) => {
    const body = req.body;
    // Identified like every call (legacy mode: the Python skill sends no identity here).
    whoIs(core, req, body.agent_id ?? req.query.agent_id ?? null);
    try {
      return await fetchPreview(body.url, options);
    } catch (e) {
      if (e instanceof HubError && e.logDetail) req.log.debug({ reason: e.logDetail }, 'preview failed');
      throw e;
    }
  });
}
