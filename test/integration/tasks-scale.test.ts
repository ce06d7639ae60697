/**
 * A start with 10,000 persisted task actors (issue 10, "Scale: a measured constraint"): the real
 * daemon (`bin/wtt daemon`, against the real hub) restores them all into its ONE system through
 * the 100 bucket parents, and `wtt status` counts them. The restore time (logged by the daemon)
 * and its RSS are PRINTED (figures, not assertions: the machine is shared). Needs dist/.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromPromise } from 'xstate';
import { taskMachine, type NotifyInput } from '../../machines/task.machine.js';
import { loadConfig } from '../../src/config.js';
import { askDaemon, controlSocketPath } from '../../src/runtime/control.js';
import { STATUS_REQUEST, StatusReport } from '../../src/runtime/status.js';
import { StateStore } from '../../src/runtime/store.js';
import { killDaemons, startDaemon } from '../helpers/daemon-process.js';
import { registerAgent, startHub, type StartedHub } from '../helpers/hub.js';
import { assertBuilt } from './cli-helpers.js';

const N = 10_000;
let hub: StartedHub | undefined;
afterEach(async () => {
  killDaemons();
  await hub?.close();
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/u.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** One task actor waiting for review, as the store keeps it; cloned with other ids. */
async function reviewSnapshot(agentId: string): Promise<Record<string, unknown>> {
  const quiet = taskMachine.provide({ actors: { notify: fromPromise<void, NotifyInput>(async () => {}) } });
  const a = createActor(quiet, {
    input: { task: { id: 'x', title: 'bench', topic_id: 'topic-x' }, agentId, status: 'review', at: Date.now(), maxRuntimeMs: 600_000, staleTimeoutMs: 900_000, rejectCooldownMs: 0 },
  });
  a.start();
  // Its review notice delivered (the daemon persists a settled child as dropped).
  await new Promise((r) => setTimeout(r, 10));
  const snap = { ...(a.getPersistedSnapshot() as Record<string, unknown>), children: {} };
  a.stop();
  return snap;
}

describe('tasks at scale', () => {
  it(`starts with ${N.toLocaleString('en')} persisted task actors, each found by system.get('task:<id>')`, async () => {
    assertBuilt();
    hub = await startHub({ rateLimit: false });
    const bob = await registerAgent(hub.url, 'bob');
    const dir = mkdtempSync(join(tmpdir(), 'wtt-scale-'));
    const env = {
      HOME: dir,
      WTT_SKILL_DIR: dir,
      WTT_LOG_LEVEL: 'silent',
      WTT_API_URL: hub.url,
      WTT_AGENT_ID: bob.agent_id,
      WTT_AGENT_TOKEN: bob.agent_token,
      WTT_EXECUTOR: 'command',
      WTT_EXECUTOR_COMMAND: `${process.execPath} -e 0`,
      WTT_IM_CHANNEL: 'file',
      WTT_IM_TARGET: join(dir, 'chat.log'),
    };
    const config = loadConfig({ env });
    const store = StateStore.open({ stateDir: config.stateDir });
    const base = await reviewSnapshot(bob.agent_id);
    const ids = Array.from({ length: N }, (_, i) => `task-${i.toString(36).padStart(5, '0')}`);
    store.saveActors(
      ids.map((id) => {
        const s = structuredClone(base) as { context: { task: { id: string; topic_id: string } } };
        s.context.task.id = id;
        s.context.task.topic_id = `topic-${id}`;
        return { key: `task:${id}`, kind: 'task' as const, status: 'review', snapshot: s };
      }),
    );
    store.close();

    // The daemon process runs the production build of xstate (vitest loads the slower development one).
    const d = startDaemon(['daemon'], { ...env, WTT_LOG_LEVEL: 'info', WTT_STATUS_PORT: 'off' });
    const line = (await d.waitFor('log', /^.*task actors restored.*$/mu, 60_000))[0];
    await d.waitFor('stderr', /connection: live/u, 60_000);
    const answer = await askDaemon(controlSocketPath(config.stateDir), bob.agent_id, [STATUS_REQUEST], 30_000);
    const report = StatusReport.parse(JSON.parse(answer?.text ?? '{}'));
    const rss = rssMb(d.child.pid ?? 0);
    const ms = /"ms":(\d+)/u.exec(line)?.[1] ?? '?';
    process.stdout.write(`[bench] daemon start with ${N} persisted task actors: restored in ${ms} ms (load, restore, RESTORED, subscribe); daemon RSS ${rss.toFixed(0)} MB\n`);
    expect(report.tasks).toMatchObject({ total: N, active: 0, by_status: { review: N } });
    expect(report.tasks?.tasks).toHaveLength(50);
    expect(await d.stop()).toBe(0);
  }, 120_000);
});
