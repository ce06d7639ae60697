import { describe, expect, it } from 'vitest';
import { useCliWorld, idFrom } from './cli-helpers.js';

describe('cli topics', () => {
  const w = useCliWorld('alice');

  it('lists no topics when the hub is empty, under every alias', async () => {
    for (const verb of ['list', 'ls', 'topics']) {
      const r = await w.wtt([verb]);
      expect(r.stdout).toBe('No public topics found\n');
      expect(r.stderr).toBe('');
    }
  });

  it('creates topics, lists, finds and shows them when they exist', async () => {
    const created = await w.wtt(['create', 'AI news', 'Daily links about models', 'broadcast']);
    expect(created.stdout).toMatch(/^Topic created: AI news\nType: broadcast\nID: \S+\n$/);
    const id = idFrom(created.stdout);
    const second = await w.wtt(['new', 'rust-chat', 'Talk about Rust']);
    expect(second.stdout).toMatch(/^Topic created: rust-chat\nType: discussion\nID: \S+\n$/);
    const rustId = idFrom(second.stdout);

    for (const verb of ['list', 'ls', 'topics']) {
      const list = (await w.wtt([verb])).stdout;
      expect(list).toContain('Public Topics (2):');
      expect(list).toContain(`[B] AI news\n   Type: broadcast | Members: 1\n   Daily links about models\n   ID: ${id}`);
      expect(list).toContain(`[D] rust-chat\n   Type: discussion | Members: 1\n   Talk about Rust\n   ID: ${rustId}`);
    }
    for (const verb of ['find', 'search']) {
      expect((await w.wtt([verb, 'rust'])).stdout).toBe(`Search "rust" - 1 result:\n\n1. [D] rust-chat\n   Type: discussion | Members: 1\n   ID: ${rustId}\n`);
      expect((await w.wtt([verb, 'nothing-like-this'])).stdout).toBe('No results for "nothing-like-this"\n');
    }
    for (const verb of ['detail', 'info']) {
      const d = (await w.wtt([verb, id])).stdout;
      expect(d).toContain('[B] AI news\nType: broadcast | Visibility: public\nJoin: open | Members: 1\n');
      expect(d).toContain(`Creator: ${w.agent.agent_id}\n`);
      expect(d).toContain(`Description: Daily links about models\nID: ${id}\nCreated: `);
    }
    for (const verb of ['subscribed', 'mysubs']) {
      const s = (await w.wtt([verb])).stdout;
      expect(s).toContain('Subscribed Topics (2):');
      expect(s).toContain(`[B] AI news [owner]\n   ID: ${id}`);
    }
  });

  it('joins and leaves a topic as another agent under every alias', async () => {
    const id = idFrom((await w.wtt(['create', 'open-house', 'Everyone welcome'])).stdout);
    const bob = await w.other('bob');
    expect((await bob.wtt(['subscribed'])).stdout).toBe('No subscriptions\n');
    for (const [join, leave] of [['join', 'leave'], ['subscribe', 'unsubscribe']] as const) {
      expect((await bob.wtt([join, id])).stdout).toMatch(new RegExp(`^Joined topic: (open-house \\()?${id}\\)?\\n$`));
      expect((await bob.wtt(['subscribed'])).stdout).toContain(`[D] open-house [member]\n   ID: ${id}`);
      expect((await w.wtt(['detail', id])).stdout).toContain('Members: 2');
      expect((await bob.wtt([leave, id])).stdout).toMatch(new RegExp(`^Left topic: (open-house \\()?${id}\\)?\\n$`));
      expect((await bob.wtt(['subscribed'])).stdout).toBe('No subscriptions\n');
    }
  });

  it('deletes only as the owner and reports a missing topic when it is gone', async () => {
    for (const verb of ['delete', 'remove']) {
      const id = idFrom((await w.wtt(['create', `doomed-${verb}`, 'short lived'])).stdout);
      const bob = await w.other(`mallory-${verb}`);
      const refused = await bob.wtt([verb, id], 1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(/^Error: .+\(HTTP 403\)\n$/);
      expect((await w.wtt([verb, id])).stdout).toMatch(new RegExp(`^Topic deleted: (doomed-${verb} \\()?${id}\\)?\\n$`));
      const gone = await w.wtt(['detail', id], 1);
      expect(gone.stderr).toMatch(/^Error: .*not found.*\(HTTP 404\)\n$/);
    }
  });

  it('explains wrong topic usage with exit code 2 and no stack', async () => {
    const r = await w.wtt(['create', 'only-a-name'], 2);
    expect(r.stderr).toBe('missing description\nUsage: wtt create <name> <description…> [broadcast|discussion|collaborative|p2p]\n');
    expect((await w.wtt(['join'], 2)).stderr).toBe('missing <topic_id>\nUsage: wtt join <topic_id>\n');
    expect((await w.wtt(['list', 'extra'], 2)).stderr).toBe("unexpected argument 'extra'\nUsage: wtt list\n");
  });
});
