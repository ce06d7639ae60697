/**
 * (d) `wtt tail` as a real process, restarted mid-stream on the same state dir, against the REAL hub
 * on 127.0.0.1. Needs `npm run build` (bin/wtt runs dist/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WttApi } from '../../src/client/api.js';
import { registerAgent } from '../helpers/hub.js';
import { BIN, REPO } from '../helpers/hub-process.js';
import { agentApi, hubFor, until, useCleanups } from '../helpers/client.js';

const onCleanup = useCleanups();

interface Tail {
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  status: string[];
  stderr: () => string;
  exit: Promise<number | null>;
}

function tail(env: NodeJS.ProcessEnv, args: string[] = []): Tail {
  const child = spawn(process.execPath, [BIN, 'tail', ...args], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const t: Tail = {
    child,
    lines: [],
    status: [],
    stderr: () => err,
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    let i;
    while ((i = out.indexOf('\n')) >= 0) {
      t.lines.push(JSON.parse(out.slice(0, i)) as Record<string, unknown>);
      out = out.slice(i + 1);
    }
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    for (const line of d.toString().split('\n')) {
      const m = /^\{"status":"(\w+)"/.exec(line);
      if (m) t.status.push(m[1] as string);
    }
  });
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await t.exit;
  });
  return t;
}

async function setup() {
  const h = await hubFor(onCleanup);
  const a = await registerAgent(h.url, 'reader');
  const b = await registerAgent(h.url, 'writer');
  const writer = agentApi(h.url, b);
  const reader = agentApi(h.url, a);
  const topic = await writer.createTopic({ name: 'stream' });
  await reader.joinTopic(topic.id);
  const skillDir = mkdtempSync(join(tmpdir(), 'wtt-tail-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: skillDir,
    WTT_SKILL_DIR: skillDir,
    WTT_API_URL: h.url,
    WTT_AGENT_ID: a.agent_id,
    WTT_AGENT_TOKEN: a.agent_token,
    WTT_STATE_DIR: join(skillDir, 'state'),
    WTT_HEARTBEAT_S: '1',
    WTT_LIVENESS_S: '3',
    WTT_POLL_INTERVAL: '1',
    WTT_LOG_LEVEL: 'warn',
  };
  return { h, a, b, writer, reader, topic, env };
}

async function allIds(reader: WttApi, topicId: string): Promise<string[]> {
  return (await reader.topicMessages(topicId, { limit: 1000 })).map((m) => m.id);
}

describe('wtt tail', () => {
  it('prints nothing twice and misses nothing when restarted mid-stream with the same state dir', async () => {
    const { writer, reader, topic, env, a } = await setup();
    const first = tail(env, ['--backoff-base-ms', '50', '--backoff-cap-ms', '500']);
    await until(() => first.status.includes('live'), 15_000, () => `first tail live: ${first.stderr()}`);

    let published = 0;
    const publisher = (async () => {
      for (let i = 0; i < 600; i++) {
        await writer.publish({ topic_id: topic.id, content: `line ${i}` });
        published++;
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await until(() => first.lines.length >= 150, 15_000, () => `150 lines from the first tail (now ${first.lines.length})`);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.status.at(-1)).toBe('stopped');

    const second = tail(env, ['--backoff-base-ms', '50', '--backoff-cap-ms', '500']);
    await publisher;
    expect(published).toBe(600);
    const expected = await allIds(reader, topic.id);
    expect(expected).toHaveLength(600);
    await until(() => first.lines.length + second.lines.length >= 600, 20_000, () => `600 lines (now ${first.lines.length}+${second.lines.length})`);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);

    const printed = [...first.lines, ...second.lines];
    expect(printed.map((l) => l.id)).toEqual(expected);
    expect(printed.every((l) => l.topic_id === topic.id && typeof l.content === 'string' && l.sender_id !== a.agent_id)).toBe(true);
    expect(second.lines.length).toBeGreaterThan(0);
    expect(first.status.slice(0, 4)).toEqual(['connecting', 'authenticating', 'catchingUp', 'live']);
  });

  it('misses nothing and repeats at most the one message in flight when killed with SIGKILL', async () => {
    const { writer, reader, topic, env } = await setup();
    const first = tail(env);
    await until(() => first.status.includes('live'), 15_000, () => `first tail live: ${first.stderr()}`);
    const publisher = (async () => {
      for (let i = 0; i < 300; i++) await writer.publish({ topic_id: topic.id, content: `k${i}` });
    })();
    await until(() => first.lines.length >= 100, 15_000, () => `100 lines (now ${first.lines.length})`);
    first.child.kill('SIGKILL');
    await first.exit;
    const second = tail(env);
    await publisher;
    const expected = await allIds(reader, topic.id);
    await until(
      () => new Set([...first.lines, ...second.lines].map((l) => l.id)).size >= expected.length,
      20_000,
      () => `every message (now ${first.lines.length}+${second.lines.length} of ${expected.length})`,
    );
    const printed = [...first.lines, ...second.lines].map((l) => l.id as string);
    expect([...new Set(printed)].sort()).toEqual([...expected].sort());
    expect(printed.length - new Set(printed).size).toBeLessThanOrEqual(1);
  });

  it('exits 1 with a clear message and no token in it when no agent id is configured', async () => {
    const skillDir = mkdtempSync(join(tmpdir(), 'wtt-tail-noid-'));
    const t = tail({ PATH: process.env.PATH, HOME: skillDir, WTT_SKILL_DIR: skillDir, WTT_AGENT_TOKEN: 'secret-token-value-123', WTT_STATE_DIR: join(skillDir, 's') });
    expect(await t.exit).toBe(1);
    expect(t.stderr()).toContain('no agent id');
    expect(t.stderr()).not.toContain('secret-token-value-123');
    expect(t.lines).toEqual([]);
  });

  it('exits 2 with the usage when an option is unknown', async () => {
    const skillDir = mkdtempSync(join(tmpdir(), 'wtt-tail-usage-'));
    const t = tail({ PATH: process.env.PATH, HOME: skillDir, WTT_SKILL_DIR: skillDir }, ['--bogus']);
    expect(await t.exit).toBe(2);
    expect(t.stderr()).toContain("unknown option '--bogus'");
    expect(t.stderr()).toContain('usage: wtt tail');
  });
});
