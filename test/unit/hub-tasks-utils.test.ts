import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HubError } from '../../src/hub/core.js';
import { decodeEntities, parseHtmlMeta } from '../../src/hub/preview/html-meta.js';
import { keywordsOf, score } from '../../src/hub/utilities/keywords.js';
import { agentDirName, tail } from '../../src/hub/memory/memory.routes.js';
import { httpUrl } from '../../src/hub/preview/preview.js';
import { renderRich, richContentType } from '../../src/hub/utilities/rich.routes.js';
import { openForRead, openForWrite, resolveUnder } from '../../src/hub/memory/safe-path.js';

const status = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (e) {
    if (e instanceof HubError) return e.status;
    throw e;
  }
  return undefined;
};

describe('hub tasks safe paths', () => {
  const root = '/data/memory/agent-1';

  it('maps memory/-prefixed and bare relative paths into the root when the path is harmless', () => {
    expect(resolveUnder(root, 'memory/recall-memory.md')).toEqual({ abs: '/data/memory/agent-1/recall-memory.md', shown: 'memory/recall-memory.md' });
    expect(resolveUnder(root, 'notes/./today.md')).toEqual({ abs: '/data/memory/agent-1/notes/today.md', shown: 'memory/notes/today.md' });
  });

  it('refuses absolute paths, drive letters, .. segments, NUL bytes and empty names with 400', () => {
    for (const bad of ['/etc/passwd', 'C:\\x', '\\\\server\\share', '../x', 'memory/../../x', 'a/..\\..\\b', 'x\0y', 'memory/', '.']) {
      expect(status(() => resolveUnder(root, bad)), bad).toBe(400);
    }
  });

  it('refuses to write or read through a symlink that leads outside when one is planted in the root', () => {
    const base = mkdtempSync(join(tmpdir(), 'wtt-safe-'));
    const r = join(base, 'root');
    const outside = join(base, 'outside');
    mkdirSync(r, { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'top secret');
    symlinkSync(outside, join(r, 'dir-link'));
    symlinkSync(join(outside, 'secret.txt'), join(r, 'file-link.md'));
    expect(status(() => openForWrite(r, resolveUnder(r, 'dir-link/x.md')))).toBe(400);
    expect(status(() => openForWrite(r, resolveUnder(r, 'file-link.md')))).toBe(400);
    expect(status(() => openForRead(r, resolveUnder(r, 'file-link.md')))).toBe(400);
    expect(status(() => openForRead(r, resolveUnder(r, 'missing.md')))).toBe(404);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');

    const fd = openForWrite(r, resolveUnder(r, 'memory/sub/ok.md'));
    writeSync(fd, 'fine');
    closeSync(fd);
    expect(readFileSync(join(r, 'sub', 'ok.md'), 'utf8')).toBe('fine');
  });

  it('keeps harmless agent ids as directory names and hashes the others', () => {
    expect(agentDirName('agent-0123456789ab')).toBe('agent-0123456789ab');
    expect(agentDirName('../../etc')).toMatch(/^h-[0-9a-f]{24}$/);
    expect(agentDirName('.hidden')).toMatch(/^h-/);
  });

  it('returns the last lines when a file is longer than tail_lines', () => {
    expect(tail('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(tail('a\nb', 5)).toBe('a\nb');
  });
});

describe('hub tasks html meta', () => {
  it('reads title, description and Open Graph tags when attributes come in any order and quoting', () => {
    const html = `<!doctype html><html><head>
      <!-- <title>commented out</title> -->
      <TITLE> Plain &amp; simple </TITLE>
      <meta content="A page about &quot;things&quot;" name="description">
      <meta property='og:title' content='OG &#x263A; title'>
      <meta property=og:image content=/img/cover.png>
      <meta property="og:site_name" content="Example">
      <meta property="og:description" content="OG description">
    </head><body></body></html>`;
    expect(parseHtmlMeta(html)).toEqual({
      title: 'Plain & simple',
      description: 'A page about "things"',
      ogTitle: 'OG ☺ title',
      ogDescription: 'OG description',
      ogImage: '/img/cover.png',
      ogSiteName: 'Example',
    });
  });

  it('returns nulls when the page has no head data', () => {
    expect(parseHtmlMeta('<p>hi</p>')).toEqual({ title: null, description: null, ogTitle: null, ogDescription: null, ogImage: null, ogSiteName: null });
  });

  it('leaves unknown or invalid entities as they are', () => {
    expect(decodeEntities('&bogus; &#0; &#65;')).toBe('&bogus; &#0; A');
  });

  it('accepts http and https URLs and refuses other schemes and credentials with 400', () => {
    expect(httpUrl('https://example.org/a').href).toBe('https://example.org/a');
    for (const bad of ['file:///etc/passwd', 'ftp://x/y', 'javascript:alert(1)', 'not a url', 'http://user:pw@host/']) {
      expect(status(() => httpUrl(bad)), bad).toBe(400);
    }
  });
});

describe('hub tasks keywords and rich text', () => {
  it('extracts lower-case words without stop words and Han bigrams when the text mixes scripts', () => {
    expect(keywordsOf('The Rust compiler and the borrow checker')).toEqual(['rust', 'compiler', 'borrow', 'checker']);
    expect(keywordsOf('机器学习 ML')).toEqual(['机器', '器学', '学习']);
  });

  it('counts distinct keywords found in a topic text', () => {
    expect(score(['rust', 'compiler', 'python'], 'Rust compiler internals')).toBe(2);
  });

  it('renders the title first and fences code blocks when blocks are mixed', () => {
    const blocks = [
      { type: 'markdown', content: 'Intro **bold**' },
      { type: 'code', content: 'let x = 1;' },
      { type: 'quote', content: 'a\nb' },
    ];
    expect(renderRich(' Weekly   report ', blocks)).toBe('# Weekly report\n\nIntro **bold**\n\n```\nlet x = 1;\n```\n\n> a\n> b');
    expect(richContentType(blocks)).toBe('mixed');
    expect(richContentType([{ type: 'markdown', content: 'x' }])).toBe('text');
  });
});
