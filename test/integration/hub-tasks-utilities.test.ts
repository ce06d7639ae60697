import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExportTopicResponse, MemoryReadResponse, PreviewUrlResponse, TalkRandomResponse } from '../../src/protocol/index.js';
import { HubError } from '../../src/hub/core.js';
import { fetchPreview, PREVIEW_FAILED, previewDispatcher } from '../../src/hub/preview/preview.js';
import { api, createTopic, registerAgent, tempDir, useHub, type RegisteredAgent, type StartedHub } from '../helpers/hub.js';

describe('hub tasks utilities', () => {
  const fx = useHub(['alice', 'bob']);
  let h: StartedHub;
  let alice: RegisteredAgent;
  let bob: RegisteredAgent;
  let topicId: string;

  beforeEach(async () => {
    h = fx.h;
    [alice, bob] = fx.agents;
    topicId = await createTopic(h, alice, { name: 'Design review', description: 'weekly' }, [bob]);
    for (const [who, text] of [[alice, 'First point'], [bob, 'Second\npoint'], [alice, 'Third point']] as const) {
      const r = await api(h.url, `/topics/${topicId}/messages`, { body: { content: text }, token: who.agent_token });
      expect(r.status).toBe(200);
    }
  });

  const memExport = (who: RegisteredAgent, body: Record<string, unknown>) => api(h.url, '/memory/recall/export', { body: { topic_id: topicId, ...body }, token: who.agent_token });
  const memRead = (who: RegisteredAgent, query: string) => api(h.url, `/memory/recall/read${query}`, { token: who.agent_token });

  it('exports a topic timeline to the agent memory file and reads its tail back', async () => {
    const r = await memExport(alice, { mode: 'timeline', limit: 200 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ path: 'memory/recall-memory.md', target_path: 'memory/recall-memory.md', count: 3 });
    const onDisk = join(h.dataDir, 'memory', alice.agent_id, 'recall-memory.md');
    const lines = readFileSync(onDisk, 'utf8').split('\n');
    expect(lines[0]).toBe('# Design review');
    expect(lines.filter((l) => l.startsWith('- '))).toEqual([
      expect.stringMatching(new RegExp(`^- \\S+ ${alice.agent_id}: First point$`)),
      expect.stringMatching(new RegExp(`^- \\S+ ${bob.agent_id}: Second point$`)),
      expect.stringMatching(new RegExp(`^- \\S+ ${alice.agent_id}: Third point$`)),
    ]);
    const read = MemoryReadResponse.parse((await memRead(alice, '?target_path=memory/recall-memory.md&tail_lines=2')).body);
    expect(read.content.trimEnd().split('\n')).toHaveLength(2);
    expect(read.content).toContain('Third point');
    // Another agent has its own memory directory.
    expect((await memRead(bob, '?target_path=memory/recall-memory.md')).status).toBe(404);
  });

  it('writes a distilled export without the hub status lines when mode is distilled', async () => {
    const r = await memExport(alice, { mode: 'distilled', target_path: 'memory/notes/design.md' });
    expect(r.status).toBe(200);
    const text = readFileSync(join(h.dataDir, 'memory', alice.agent_id, 'notes', 'design.md'), 'utf8');
    expect(text).toContain('## Participants');
    expect(text).toContain(`- ${alice.agent_id}: 2 messages`);
    expect(text).toContain(`- ${bob.agent_id}: Second point`);
  });

  it('refuses path traversal, absolute paths and symlink escapes with 400 and writes nothing outside', async () => {
    for (const bad of ['../../escape.md', 'memory/../../../escape.md', '/tmp/escape.md', '..\\escape.md']) {
      const r = await memExport(alice, { target_path: bad });
      expect(r.status, bad).toBe(400);
      expect(typeof r.body.detail).toBe('string');
    }
    expect(existsSync(join(h.dataDir, 'escape.md'))).toBe(false);
    expect((await memRead(alice, `?target_path=${encodeURIComponent('../../hub.sqlite')}`)).status).toBe(400);
    expect((await memRead(alice, `?target_path=${encodeURIComponent('/etc/passwd')}`)).status).toBe(400);

    const outside = tempDir('wtt-outside-');
    writeFileSync(join(outside, 'secret.md'), 'do not read');
    const root = join(h.dataDir, 'memory', alice.agent_id);
    mkdirSync(root, { recursive: true });
    symlinkSync(join(outside, 'secret.md'), join(root, 'link.md'));
    symlinkSync(outside, join(root, 'linkdir'));
    const readLink = await memRead(alice, '?target_path=memory/link.md');
    expect(readLink.status).toBe(400);
    expect(JSON.stringify(readLink.body)).not.toContain('do not read');
    expect((await memExport(alice, { target_path: 'memory/link.md' })).status).toBe(400);
    expect((await memExport(alice, { target_path: 'memory/linkdir/new.md' })).status).toBe(400);
    expect(readFileSync(join(outside, 'secret.md'), 'utf8')).toBe('do not read');
    expect(existsSync(join(outside, 'new.md'))).toBe(false);
  });

  it('refuses to export a private topic to an agent that is not a member', async () => {
    const priv = (await api(h.url, '/topics/', { body: { name: 'secret', visibility: 'private', join_method: 'invite_only' }, token: alice.agent_token })).body.id as string;
    expect((await memExport(bob, { topic_id: priv })).status).toBe(403);
    expect((await api(h.url, `/export/topic/${priv}?format=md`, { token: bob.agent_token })).status).toBe(403);
  });

  it('exports a topic as markdown with one line per message and refuses pdf/docx and unknown formats', async () => {
    const r = await api(h.url, `/export/topic/${topicId}?format=md&limit=2`, { token: bob.agent_token });
    expect(r.status).toBe(200);
    const body = ExportTopicResponse.parse(r.body);
    expect(body.format).toBe('md');
    const lines = body.content.split('\n').filter((l) => l.startsWith('- '));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/Second point$/);
    const pdf = await api(h.url, `/export/topic/${topicId}?format=pdf`, { token: bob.agent_token });
    expect(pdf.status).toBe(415);
    expect(pdf.body.detail).toBe('format pdf is not supported by this hub; use format=md (markdown)');
    expect((await api(h.url, `/export/topic/${topicId}?format=docx`, { token: bob.agent_token })).status).toBe(415);
    expect((await api(h.url, `/export/topic/${topicId}?format=html`, { token: bob.agent_token })).status).toBe(400);
    expect((await api(h.url, '/export/topic/nope?format=md', { token: bob.agent_token })).status).toBe(404);
  });

  it('matches public topics by keyword, joins them and publishes the text when /talk/random is asked', async () => {
    const carol = await registerAgent(h.url, 'carol');
    const rust = (await api(h.url, '/topics/', { body: { name: 'Rust club', description: 'compiler internals and the borrow checker' }, token: alice.agent_token })).body.id as string;
    await api(h.url, '/topics/', { body: { name: 'Gardening', description: 'tomatoes' }, token: alice.agent_token });
    await api(h.url, '/topics/', { body: { name: 'Rust secrets', visibility: 'private', join_method: 'invite_only' }, token: alice.agent_token });
    const r = await api(h.url, '/talk/random', { body: { agent_id: carol.agent_id, text: 'Who understands the borrow checker in Rust?', limit: 5, auto_subscribe: true, auto_publish: true }, token: carol.agent_token });
    expect(r.status).toBe(200);
    const body = TalkRandomResponse.parse(r.body);
    expect(body.topics?.map((t) => t.id)).toEqual([rust]);
    expect(body.matched).toEqual(body.topics);
    expect(body.published).toBe(true);
    const members = (await api(h.url, `/topics/${rust}/members`, { token: carol.agent_token })).body as { agent_id: string }[];
    expect(members.map((m) => m.agent_id)).toContain(carol.agent_id);
    const history = (await api(h.url, `/topics/${rust}/messages`, { token: carol.agent_token })).body as { sender_id: string; content: string }[];
    expect(history).toEqual([expect.objectContaining({ sender_id: carol.agent_id, content: 'Who understands the borrow checker in Rust?' })]);

    const quiet = await api(h.url, '/talk/random', { body: { text: 'tomatoes please', auto_subscribe: false, auto_publish: false }, token: bob.agent_token });
    expect(quiet.body).toMatchObject({ published: false });
    expect(quiet.body.matched).toHaveLength(1);
    const none = await api(h.url, '/talk/random', { body: { text: 'zzzz qqqq' }, token: bob.agent_token });
    expect(none.body).toMatchObject({ topics: [], matched: [], published: false });
  });

  it('publishes a rich markdown message that starts with the title when /rich/publish is called by a member', async () => {
    const r = await api(h.url, '/rich/publish', {
      body: { topic_id: topicId, agent_id: bob.agent_id, title: 'Sprint summary', blocks: [{ type: 'markdown', content: '- done: 4\n- open: 1' }], ai_refine: false },
      token: bob.agent_token,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ topic_id: topicId, sender_id: bob.agent_id, semantic_type: 'rich', content_type: 'text', content: '# Sprint summary\n\n- done: 4\n- open: 1' });
    const carol = await registerAgent(h.url, 'carol');
    const outsider = await api(h.url, '/rich/publish', { body: { topic_id: topicId, title: 't', blocks: [{ type: 'markdown', content: 'x' }] }, token: carol.agent_token });
    expect(outsider.status).toBe(403);
    const empty = await api(h.url, '/rich/publish', { body: { topic_id: topicId, title: 't', blocks: [] }, token: bob.agent_token });
    expect(empty.status).toBe(422);
  });
});

describe('hub tasks url preview', () => {
  // The page server is on loopback, which the preview refuses unless an operator allows it.
  const previewFx = useHub(['previewer'], { limits: { previewAllow: ['127.0.0.1'] } });
  let h: StartedHub;
  let agent: RegisteredAgent;
  let site: Server;
  let siteUrl: string;
  let bigBytesSent = 0;

  const PAGE = `<html><head><title>Fallback title</title>
    <meta name="description" content="Plain description">
    <meta property="og:title" content="The OG title">
    <meta property="og:description" content="The OG description">
    <meta property="og:image" content="/cover.png">
    <meta property="og:site_name" content="Local Site">
  </head><body>hello</body></html>`;

  beforeEach(async () => {
    h = previewFx.h;
    [agent] = previewFx.agents;
    site = createServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/page') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
      } else if (path.startsWith('/hop/')) {
        const n = Number(path.slice(5));
        res.writeHead(302, { location: n <= 1 ? '/page' : `/hop/${n - 1}` });
        res.end();
      } else if (path === '/big') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.write('<html><head><title>Big page</title></head><body>');
        const chunk = 'x'.repeat(64 * 1024);
        let sent = 0;
        const pump = () => {
          while (sent < 32 * 1024 * 1024) {
            sent += chunk.length;
            bigBytesSent = sent;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end('</body></html>');
        };
        pump();
      } else if (path === '/image') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.alloc(10));
      } else if (path === '/hang') {
        // never answers
      } else {
        res.writeHead(404);
        res.end('missing');
      }
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    site.closeAllConnections();
    await new Promise<void>((resolve) => site.close(() => resolve()));
  });

  const preview = (url: string) => api(h.url, '/preview/url', { body: { url }, token: agent.agent_token });

  it('returns the Open Graph title, description, absolute image and site name of a page', async () => {
    const r = await preview(`${siteUrl}/page`);
    expect(r.status).toBe(200);
    expect(PreviewUrlResponse.parse(r.body)).toMatchObject({
      url: `${siteUrl}/page`,
      title: 'The OG title',
      description: 'The OG description',
      image: `${siteUrl}/cover.png`,
      site_name: 'Local Site',
    });
  });

  it('follows up to three redirects and refuses a fourth with 502', async () => {
    const ok = await preview(`${siteUrl}/hop/3`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ url: `${siteUrl}/page`, title: 'The OG title' });
    const tooMany = await preview(`${siteUrl}/hop/4`);
    expect(tooMany.status).toBe(502);
    expect(tooMany.body.detail).toBe(PREVIEW_FAILED);
  });

  it('stops reading at 1 MiB and still previews the head of a larger page', async () => {
    const r = await preview(`${siteUrl}/big`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ title: 'Big page', truncated: true });
    expect(bigBytesSent).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses non-http schemes with 400 and reports pages that fail with 502', async () => {
    for (const bad of ['file:///etc/passwd', 'ftp://127.0.0.1/x', 'javascript:alert(1)']) {
      const r = await preview(bad);
      expect(r.status, bad).toBe(400);
      expect(r.body.detail).toMatch(/only http and https/);
    }
    expect((await preview(`${siteUrl}/missing`)).status).toBe(502);
    const image = await preview(`${siteUrl}/image`);
    expect(image.body).toMatchObject({ title: null, content_type: 'image/png' });
    expect((await api(h.url, '/preview/url', { body: { url: `${siteUrl}/page` } })).status).toBe(401);
  });

  it('gives up with the same 502 when the page does not answer within the timeout (the log says why)', async () => {
    const dispatcher = previewDispatcher(['127.0.0.1'], 200);
    try {
      const err = await fetchPreview(`${siteUrl}/hang`, { timeoutMs: 200, maxBytes: 1024, maxRedirects: 3, dispatcher }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubError);
      expect((err as HubError).status).toBe(502);
      expect((err as HubError).message).toBe(PREVIEW_FAILED);
      expect((err as HubError).logDetail).toBe('no answer within 200 ms');
    } finally {
      await dispatcher.destroy();
    }
  });
});
