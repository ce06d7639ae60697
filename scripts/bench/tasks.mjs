/**
 * rss_10k_tasks_mb: the daemon's RSS with 10,000 live tasks (quick: 500) run by its agent, and
 * restore_ms = daemon start → `live` with those tasks to restore. The tasks are created on the hub
 * (runner = the daemon's agent) while the daemon is stopped, then the daemon starts on the same
 * state dir.
 */
import { agents, round, say, sleep, spawnDaemon, startGateway, temp } from './lib.mjs';

export async function tasks({ hub, quick }) {
  const N = quick ? 500 : 10_000;
  const [me] = await agents(hub.url, 1);
  const gateway = await startGateway();
  const stateDir = temp('wtt-bench-tasks-');
  const first = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir, gateway });
  await first.waitState('live');
  await first.stop();
  say(`tasks: creating ${N} tasks`);
  let n = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (n < N) {
        const i = n++;
        await me.api.createTask({ title: `bench task ${i}`, description: 'a task for the benchmark', owner_agent_id: me.agent_id, runner_agent_id: me.agent_id, status: 'doing' });
      }
    }),
  );
  const daemon = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir, gateway });
  const live = await daemon.waitState('live', 120_000);
  await sleep(2_000);
  const { rssMb } = daemon.stat();
  await daemon.stop();
  await gateway.close();
  return { rss_10k_tasks_mb: { value: round(rssMb, 1), restore_ms: Math.round(live - daemon.startedAt) }, _tasks: { tasks: N } };
}
