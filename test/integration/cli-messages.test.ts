import { beforeAll, describe, expect, it } from 'vitest';
import { idFrom, runCli, useCliWorld } from './cli-helpers.js';

describe('cli messages', () => {
  const w = useCliWorld('alice');
  let topic: string;
  beforeAll(async () => {
    topic = idFrom((await w.wtt(['create', 'lobby', 'General chat'])).stdout);
  });

  it('publishes under every alias and shows the messages oldest first in history', async () => {
    for (const verb of ['publish', 'post', 'send']) {
      const r = await w.wtt([verb, topic, `hello from ${verb}`]);
      expect(r.stdout).toBe(`[TXT] Published to topic lobby (${topic})\n`);
    }
    const img = await w.wtt(['publish', topic, '--type', 'image', 'https://example.org/cat.png']);
    expect(img.stdout).toBe(`[IMG] Published to topic lobby (${topic})\n`);
    for (const verb of ['history', 'messages']) {
      const h = (await w.wtt([verb, topic])).stdout;
      const lines = h.split('\n');
      expect(lines[0]).toBe('Messages in lobby (4):');
      expect(lines.slice(2, 6).map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual([
        `${w.agent.agent_id}: hello from publish`,
        `${w.agent.agent_id}: hello from post`,
        `${w.agent.agent_id}: hello from send`,
        `${w.agent.agent_id} [IMG]: https://example.org/cat.png`,
      ]);
    }
    const two = (await w.wtt(['history', topic, '2'])).stdout;
    expect(two).toContain('Messages in lobby (2):');
    expect(two).toContain('hello from send');
    expect(two).not.toContain('hello from post');
  });

  it('keeps multi-line content whole when the command comes as one string or as words', async () => {
    const t = idFrom((await w.wtt(['create', 'lines', 'Multi-line posts'])).stdout);
    await w.wtt([`publish ${t} first line\nsecond line\n  indented third`]);
    await w.wtt(['publish', t, 'alpha\nbeta', 'gamma']);
    const h = (await w.wtt(['history', t])).stdout;
    expect(h).toContain(`: first line\nsecond line\n  indented third\n`);
    expect(h).toContain(`: alpha\nbeta gamma\n`);
  });

  it('refuses a history limit outside 1..1000 with exit code 2', async () => {
    for (const bad of ['0', '1001', 'abc']) {
      const r = await w.wtt(['history', topic, bad], 2);
      expect(r.stderr).toBe(`limit must be a whole number from 1 to 1000, got '${bad}'\nUsage: wtt history <topic_id> [limit]\n`);
      expect(r.stdout).toBe('');
    }
  });

  it('sends multi-line p2p messages under every alias and the peer polls every line', async () => {
    const bob = await w.other('bob');
    for (const verb of ['p2p', 'dm', 'private']) {
      const r = await w.wtt([verb, bob.agent.agent_id, `hi bob via ${verb}\nsecond line`]);
      expect(r.stdout).toBe(`P2P message sent to ${bob.agent.agent_id}\n`);
    }
    const polled = (await bob.wtt(['poll'])).stdout;
    expect(polled).toMatch(/^New messages \(3\):\n\n/);
    for (const verb of ['p2p', 'dm', 'private']) expect(polled).toContain(`${w.agent.agent_id}: hi bob via ${verb}\nsecond line`);
    expect((await bob.wtt(['check'])).stdout).toBe('No new messages\n');
    const inbox = (await bob.wtt(['inbox'])).stdout;
    expect(inbox).toMatch(new RegExp(`^P2P Inbox:\\n\\n  ${w.agent.agent_id}( \\(\\d+ unread\\))?: hi bob via private\\nsecond line\\n$`));
    expect((await w.other('carol').then((c) => c.wtt(['inbox']))).stdout).toBe('Inbox is empty\n');
  });

  it('polls topic messages of a joined topic with the topic name', async () => {
    const carol = await w.other('carol2');
    await carol.wtt(['join', topic]);
    await carol.wtt(['poll']);
    await w.wtt(['publish', topic, 'news for members']);
    const r = (await carol.wtt(['poll', '10'])).stdout;
    expect(r).toBe(`New messages (1):\n\n[lobby] ${w.agent.agent_id}: news for members\n`);
  });

  it('shows the feed of subscribed topics newest first, page by page', async () => {
    const t = idFrom((await w.wtt(['create', 'feedy', 'For the feed'])).stdout);
    const dave = await w.other('dave');
    expect((await dave.wtt(['feed'])).stdout).toBe('Feed is empty\n');
    await dave.wtt(['join', t]);
    await w.wtt(['publish', t, 'older']);
    await w.wtt(['publish', t, 'newer']);
    const feed = (await dave.wtt(['feed'])).stdout;
    expect(feed).toBe(`Feed (page 1):\n\n[feedy] ${w.agent.agent_id}: newer\n[feedy] ${w.agent.agent_id}: older\n`);
    expect((await dave.wtt(['feed', '2'])).stdout).toBe('Feed is empty (page 2)\n');
  });

  it('refuses feed and inbox with a clear message when no token is configured', async () => {
    const env = { ...w.env, WTT_AGENT_TOKEN: '' };
    for (const verb of ['feed', 'inbox']) {
      const r = await runCli([verb], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/requires an auth token\. Set WTT_AGENT_TOKEN \(run: wtt config auto\) or WTT_BEARER_TOKEN\.\n$/);
    }
  });
});
