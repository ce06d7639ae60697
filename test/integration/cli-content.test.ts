import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idFrom, useCliWorld } from './cli-helpers.js';

describe('cli content, memory, delegation, blacklist', () => {
  const w = useCliWorld('alice');
  let topic: string;
  let page: Server;
  let pageUrl: string;
  beforeAll(async () => {
    topic = idFrom((await w.wtt(['create', 'gardening', 'Tomatoes and compost'])).stdout);
    await w.wtt(['publish', topic, 'first tip: water early']);
    await w.wtt(['publish', topic, 'second tip: mulch']);
    // A page for `preview`, served on loopback (outside the hub).
    page = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<html><head><title>Compost guide</title><meta name="description" content="How to compost at home">'
        + '<meta property="og:site_name" content="Garden Wiki"></head><body>hi</body></html>');
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/compost`;
  });
  afterAll(async () => {
    await new Promise((r) => page?.close(r));
  });

  it('exports a topic to memory and reads it back under both group names', async () => {
    const out = (await w.wtt(['memory', 'export', topic])).stdout;
    expect(out).toMatch(/^Topic exported to: \S+/);
    const read = (await w.wtt(['recall', 'read'])).stdout;
    expect(read).toContain('first tip: water early');
    expect(read).toContain('second tip: mulch');
    const custom = (await w.wtt(['recall', 'export', topic, 'mode=timeline', 'limit=1', 'target_path=notes/garden.md'])).stdout;
    expect(custom).toMatch(/^Topic exported to: \S*notes\/garden\.md/);
    const one = (await w.wtt(['memory', 'read', 'notes/garden.md'])).stdout;
    expect(one).toContain('second tip: mulch');
    expect(one).not.toContain('first tip');
    expect((await w.wtt(['memory', 'read', '../../etc/passwd'], 1)).stderr).toMatch(/^Error: .+\(HTTP 400\)\n$/);
  });

  it('exports a topic as markdown and refuses formats chat cannot show', async () => {
    const md = (await w.wtt(['export', topic])).stdout;
    expect(md).toContain('first tip: water early');
    expect((await w.wtt(['export', topic, 'pdf'], 2)).stderr).toMatch(/^format 'pdf' cannot be shown in chat/);
  });

  it('finds matching topics and publishes there with talk and random', async () => {
    const bob = await w.other('bob');
    const r = (await bob.wtt(['talk', 'any', 'compost', 'advice?'])).stdout;
    expect(r).toBe(`Talk: matched 1 topic\n  - gardening (${topic})\nMessage published to matched topics\n`);
    expect((await w.wtt(['history', topic])).stdout).toContain(`${bob.agent.agent_id}: any compost advice?`);
    expect((await bob.wtt(['random', 'zzzqqq-nothing'])).stdout).toBe('Talk: matched 0 topics\n');
  });

  it('publishes rich markdown with a title', async () => {
    const r = await w.wtt([`rich ${topic} "Weekly digest" # Heading\n- item one`]);
    expect(r.stdout).toBe('Rich content published: Weekly digest\n');
    const h = (await w.wtt(['history', topic, '1'])).stdout;
    expect(h).toContain('Weekly digest');
    expect(h).toContain('- item one');
  });

  it('previews a URL served on loopback', async () => {
    const r = (await w.wtt(['preview', pageUrl])).stdout;
    expect(r).toBe('URL Preview:\n  Title: Compost guide\n  Description: How to compost at home\n  Site: Garden Wiki\n');
    expect((await w.wtt(['preview', 'ftp://x'], 2)).stderr).toBe(
      "url must start with http:// or https://, got 'ftp://x'\nUsage: wtt preview <url>\n",
    );
  });

  it('acts as another agent only after that agent grants a delegation', async () => {
    const worker = await w.other('worker');
    const target = worker.agent.agent_id;
    expect((await w.wtt(['delegate', 'list'])).stdout).toBe('No delegations\n');
    for (const verb of ['create', 'add']) {
      const selfGrant = await w.wtt(['delegate', verb, target], 1);
      expect(selfGrant.stderr).toMatch(/^Error: only agent \S+ can grant a delegation over itself.*\(HTTP 403\)\n$/);
    }
    expect((await w.wtt(['delegate', 'publish', target, topic, 'not allowed yet'], 1)).stderr).toMatch(/\(HTTP 403\)\n$/);

    expect((await worker.wtt(['delegate', 'grant', w.agent.agent_id])).stdout).toBe(
      `Delegation granted: ${w.agent.agent_id} may publish and send p2p as ${target}\n`,
    );
    for (const verb of ['list', 'ls']) {
      expect((await w.wtt(['delegate', verb])).stdout).toBe(`Delegations:\n  -> ${target} (publish: true, p2p: true)\n`);
    }
    await worker.wtt(['join', topic]);
    expect((await w.wtt(['delegate', 'publish', target, topic, 'posted for worker\nline two'])).stdout).toBe(`Published as ${target}\n`);
    expect((await w.wtt(['history', topic, '1'])).stdout).toContain(`${target}: posted for worker\nline two`);
    const peer = await w.other('peer');
    await peer.wtt(['poll']);
    expect((await w.wtt(['delegate', 'p2p', target, peer.agent.agent_id, 'hello from worker'])).stdout).toBe(`P2P sent as ${target}\n`);
    expect((await peer.wtt(['poll'])).stdout).toContain(`${target}: hello from worker`);

    expect((await w.wtt(['delegate', 'remove', target])).stdout).toBe(`Delegation removed for ${target}\n`);
    expect((await w.wtt(['delegate', 'list'])).stdout).toBe('No delegations\n');
    await worker.wtt(['delegate', 'grant', w.agent.agent_id]);
    expect((await w.wtt(['delegate', 'delete', target])).stdout).toBe(`Delegation removed for ${target}\n`);
  });

  it('blacklists and unblocks an agent in a topic under both group names', async () => {
    const spammer = await w.other('spammer');
    const id = spammer.agent.agent_id;
    expect((await w.wtt(['blacklist', 'list', topic])).stdout).toBe('No blacklisted agents\n');
    expect((await w.wtt(['blacklist', 'add', topic, id])).stdout).toBe(`Agent ${id} blacklisted in topic ${topic}\n`);
    expect((await w.wtt(['ban', 'list', topic])).stdout).toBe(`Blacklisted agents:\n  - ${id}\n`);
    expect((await spammer.wtt(['join', topic], 1)).stderr).toMatch(/\(HTTP 403\)\n$/);
    expect((await w.wtt(['ban', 'remove', topic, id])).stdout).toBe(`Agent ${id} unblocked in topic ${topic}\n`);
    expect((await spammer.wtt(['join', topic])).stdout).toMatch(/^Joined topic: /);
    expect((await w.wtt(['ban', 'add', topic, id, 'mode=temporary'])).stdout).toBe(`Agent ${id} blacklisted in topic ${topic}\n`);
    expect((await w.wtt(['blacklist', 'list', topic])).stdout).toBe(`Blacklisted agents:\n  - ${id} (temporary)\n`);
  });
});
