/**
 * The command layer as the daemon will serve it: `run(text, ctx)` with a live WttSocket in the
 * context. The REST client points where nothing listens, so a command that passes proves it went
 * over the WebSocket only (WS-first, never both).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WttApi } from '../../src/client/api.js';
import { WttSocket } from '../../src/client/socket.js';
import { run } from '../../src/commands/run.js';
import type { CommandContext } from '../../src/commands/context.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { registerAgent, startHub, tempDir, type StartedHub } from '../helpers/hub.js';

const DEAD_URL = 'http://127.0.0.1:9';

describe('commands over a live socket', () => {
  let hub: StartedHub;
  const sockets: WttSocket[] = [];

  async function contextFor(name: string): Promise<{ ctx: CommandContext; agentId: string; rest: CommandContext }> {
    const a = await registerAgent(hub.url, name);
    const dir = tempDir('wtt-cmd-ws-');
    const config = loadConfig({
      env: { WTT_SKILL_DIR: dir, HOME: dir, WTT_API_URL: DEAD_URL, WTT_AGENT_ID: a.agent_id, WTT_AGENT_TOKEN: a.agent_token },
      ignoreEnvFile: true,
    });
    const socket = new WttSocket({ url: `${hub.wsUrl}/${a.agent_id}`, token: a.agent_token });
    await socket.open();
    sockets.push(socket);
    const log = createLogger({ level: 'silent' });
    const deadApi = new WttApi({ apiUrl: DEAD_URL, agentId: a.agent_id, agentToken: a.agent_token, retries: 0 });
    const liveApi = new WttApi({ apiUrl: hub.url, agentId: a.agent_id, agentToken: a.agent_token });
    return {
      agentId: a.agent_id,
      ctx: { config, api: deadApi, socket, log, connectionState: 'live' },
      rest: { config: { ...config, apiUrl: hub.url }, api: liveApi, log },
    };
  }

  beforeAll(async () => {
    hub = await startHub();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await hub?.close();
  });

  it('runs list, find, detail, join, leave, subscribed, publish, history, poll and p2p over the socket when it is open', async () => {
    const alice = await contextFor('alice');
    const bob = await contextFor('bob');
    // Topic creation is REST-only (the original's WS `create` is a skill extension): made over REST.
    const created = await run('create garden "Plants and soil"', alice.rest);
    expect(created.exitCode).toBe(0);
    const topic = /ID: (\S+)/.exec(created.text)?.[1] as string;

    expect((await run('list', bob.ctx)).text).toContain(`[D] garden\n   Type: discussion | Members: 1\n   Plants and soil\n   ID: ${topic}`);
    expect((await run('find soil', bob.ctx)).text).toContain(`1. [D] garden`);
    expect((await run(`detail ${topic}`, bob.ctx)).text).toContain(`[D] garden\nType: discussion | Visibility: public`);
    expect(await run(`join ${topic}`, bob.ctx)).toEqual({ text: expect.stringMatching(new RegExp(`^Joined topic: .*${topic}`)), exitCode: 0 });
    expect((await run('subscribed', bob.ctx)).text).toContain(`[D] garden [member]\n   ID: ${topic}`);
    await run('poll', bob.ctx);

    expect(await run(`publish ${topic} first\nsecond`, alice.ctx)).toEqual({ text: `[TXT] Published to topic garden (${topic})`, exitCode: 0 });
    expect((await run(`history ${topic} 5`, bob.ctx)).text).toMatch(new RegExp(`^Messages in garden \\(1\\):\\n\\n\\[[^\\]]+\\] ${alice.agentId}: first\\nsecond$`));
    expect((await run('poll', bob.ctx)).text).toBe(`New messages (1):\n\n[garden] ${alice.agentId}: first\nsecond`);
    expect(await run(`p2p ${bob.agentId} psst\nline two`, alice.ctx)).toEqual({ text: `P2P message sent to ${bob.agentId}`, exitCode: 0 });
    expect((await run('poll', bob.ctx)).text).toContain(`${alice.agentId}: psst\nline two`);
    expect((await run(`leave ${topic}`, bob.ctx)).text).toMatch(new RegExp(`^Left topic: .*${topic}`));
    const after = (await run('subscribed', bob.ctx)).text;
    expect(after).not.toContain(topic);
    expect(after).toContain('[P] p2p:');
  });

  it('uses REST, and only REST, for commands the server does not serve over the socket', async () => {
    const carol = await contextFor('carol');
    const r = await run('task list', carol.ctx);
    expect(r.exitCode).toBe(1);
    expect(r.text).toMatch(/^Error: cannot reach the WTT server at http:\/\/127\.0\.0\.1:9 /);
  });

  it('reports a socket action the server refuses as an error with exit code 1', async () => {
    const dave = await contextFor('dave');
    const r = await run('join no-such-topic', dave.ctx);
    expect(r.exitCode).toBe(1);
    expect(r.text).toMatch(/^Error: .*no-such-topic/);
  });

  it('falls back to REST when the socket is closed', async () => {
    const erin = await contextFor('erin');
    const socket = erin.ctx.socket as WttSocket;
    const closed = new Promise((r) => socket.once('close', r));
    socket.close();
    await closed;
    expect(socket.isOpen).toBe(false);
    const r = await run('list', { ...erin.ctx, api: erin.rest.api });
    expect(r.exitCode).toBe(0);
    expect(r.text).toMatch(/^Public Topics \(\d+\):/);
  });
});
