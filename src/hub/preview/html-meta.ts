/**
 * The preview facts of an HTML page: `<title>`, `meta name=description`, and the Open Graph tags
 * og:title / og:description / og:image / og:site_name. Pure and tolerant: attribute order, quotes
 * and case vary; entities are decoded.
 */

export interface HtmlMeta {
  title: string | null;
  description: string | null;
  ogTitle: string | null;
  ogDescription: string | null;
  ogImage: string | null;
  ogSiteName: string | null;
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return NAMED[e.toLowerCase()] ?? m;
  });
}

const clean = (s: string | undefined): string | null => {
  if (s === undefined) return null;
  const v = decodeEntities(s).replace(/\s+/g, ' ').trim();
  return v === '' ? null : v;
};

/** Attributes of one tag, keys lower-cased. */
export function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([^\s"'<>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
  for (let m = re.exec(tag); m !== null; m = re.exec(tag)) {
    const key = (m[1] as string).toLowerCase();
    if (!(key in out)) out[key] = m[2] ?? m[3] ?? m[4] ?? '';
  }
  return out;
}

export function parseHtmlMeta(html: string): HtmlMeta {
  const noComments = html.replace(/<!--[\s\S]*?-->/g, '');
  const title = /<title\b[^>]*>([\s\S]*?)<\/title>/i.exec(noComments)?.[1];
  const metas = new Map<string, string>();
  for (const tag of noComments.match(/<meta\b[^>]*>/gi) ?? []) {
    const a = attributes(tag);
    const key = (a.property ?? a.name ?? '').toLowerCase();
    if (key && a.content !== undefined && !metas.has(key)) metas.set(key, a.content);
  }
  return {
    title: clean(title),
    description: clean(metas.get('description')),
    ogTitle: clean(metas.get('og:title')),
    ogDescription: clean(metas.get('og:description')),
    ogImage: clean(metas.get('og:image') ?? metas.get('og:image:url')),
    ogSiteName: clean(metas.get('og:site_name')),
  };
}
