/**
 * The daemon (`bin/wtt daemon`, a real process) is SIGKILLed while it runs a task; after the
 * restart the task actor is restored from its persisted snapshot, the task finishes, and its
 * result is published exactly once. Needs dist/ (npx tsc -p tsconfig.json).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RESULT_TAG } from '../../src/executor/report.js';
import { agentApi, until } from '../helpers/client.js';
import { killDaemons, startDaemon } from '../helpers/daemon-process.js';
import { registerAgent, startHub, type StartedHub } from '../helpers/hub.js';
import { assertBuilt } from './cli-helpers.js';
import { alive } from '../helpers/pid.js';

const SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'task-command.mjs');

let hub: StartedHub | undefined;
const pids: number[] = [];
afterEach(async () => {
  killDaemons();
  for (const pid of pids.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await hub?.close();
  hub = undefined;
});

describe('tasks across a daemon crash', () => {
  it('SIGKILL while a task runs → after the restart the task finishes and its result is published exactly once', async () => {
    assertBuilt();
    hub = await startHub({ rateLimit: false });
    const alice = await registerAgent(hub.url, 'alice');
    const bob = await registerAgent(hub.url, 'bob');
    const skill = mkdtempSync(join(tmpdir(), 'wtt-crash-'));
    const pidFile = join(skill, 'first-run.json');
    const env = {
      HOME: skill,
      WTT_SKILL_DIR: skill,
      WTT_API_URL: hub.url,
      WTT_AGENT_ID: bob.agent_id,
      WTT_AGENT_TOKEN: bob.agent_token,
      WTT_LOG_LEVEL: 'info',
      WTT_STATUS_PORT: 'off',
      WTT_EXECUTOR: 'command',
      WTT_EXECUTOR_COMMAND: JSON.stringify([process.execPath, SCRIPT, 'once', pidFile]),
      WTT_IM_CHANNEL: 'file',
      WTT_IM_TARGET: join(skill, 'chat.log'),
    };
    const first = startDaemon(['daemon'], env);
    await first.waitFor('stderr', /connection: live/);
    const aliceApi = agentApi(hub.url, alice);
    const t = await aliceApi.createTask({ title: 'Survive a crash', runner_agent_id: bob.agent_id });
    await aliceApi.runTask(t.id, { runner_agent_id: bob.agent_id });
    await until(() => existsSync(pidFile), 15_000, 'the first run started');
    pids.push((JSON.parse(readFileSync(pidFile, 'utf8')) as { leader: number }).leader);
    first.child.kill('SIGKILL');
    await first.exited;
    expect((await aliceApi.getTask(t.id)).status).toBe('doing');

    const second = startDaemon(['daemon'], env);
    await second.waitFor('log', /task actors restored/);
    await until(async () => (await aliceApi.getTask(t.id)).status === 'review', 20_000, 'the task in review after the restart');
    const task = await aliceApi.getTask(t.id);
    expect(task.output).toBe(`done after restart: Survive a crash [task:${t.id}:run:1 #1]`);
    // The first run's command, orphaned by the crash (its own process group), was stopped at the restart.
    const orphan = pids[0] as number;
    await until(() => !alive(orphan), 10_000, 'the orphaned first run stopped');
    const summaries = async () => (await aliceApi.topicMessages(t.topic_id as string, { limit: 200 })).filter((m) => (m.content ?? '').startsWith(RESULT_TAG));
    expect(await summaries()).toHaveLength(1);

    // A third start (after a clean stop) repeats nothing: the run is finished and reported.
    expect(await second.stop()).toBe(0);
    const third = startDaemon(['daemon'], env);
    await third.waitFor('stderr', /connection: live/);
    await aliceApi.reviewTask(t.id, { action: 'approve' });
    await until(async () => readFileSync(join(skill, 'chat.log'), 'utf8').includes('is done'), 15_000, 'the done notice');
    expect(await summaries()).toHaveLength(1);
    expect((await aliceApi.getTask(t.id)).status).toBe('done');
    expect(await third.stop()).toBe(0);
  });
});

