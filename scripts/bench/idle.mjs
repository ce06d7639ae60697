/**
 * rss_idle_mb and start_to_live_ms: the daemon (no hub in process) started 3 times (quick: 2) with a
 * fresh state dir: start → `live` (median), and its RSS idle live (median). floor = the RSS of a bare
 * `node` process that only keeps a timer.
 *
 * Idle RSS is read twice: 3 s after `live`, and (full run only) once it has settled, 45 s after
 * `live`. V8 grows the young generation to its 16 MiB semi-spaces while the modules load and gives
 * those pages back only when its memory reducer runs (first after ~8 s of low allocation; here it is
 * seen between 20 and 40 s). A daemon idles for hours, so `value` is the settled figure in a full run;
 * a quick run has only the 3 s one (`settled: false`).
 */
import { spawn } from 'node:child_process';
import { agents, median, procStat, round, sleep, spawnDaemon, startGateway, temp } from './lib.mjs';

async function bareNodeRss() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(1_500);
  const { rssMb } = procStat(child.pid);
  child.kill('SIGKILL');
  return rssMb;
}

export async function idle({ hub, quick }) {
  const [me] = await agents(hub.url, 1);
  const gateway = await startGateway();
  const starts = [];
  const rss = [];
  const early = [];
  for (let i = 0; i < (quick ? 2 : 3); i++) {
    const daemon = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir: temp('wtt-bench-idle-'), gateway });
    const live = await daemon.waitState('live');
    starts.push(live - daemon.startedAt);
    await sleep(3_000);
    early.push(daemon.stat().rssMb);
    if (!quick) {
      await sleep(42_000);
      rss.push(daemon.stat().rssMb);
    }
    await daemon.stop();
  }
  await gateway.close();
  return {
    rss_idle_mb: { value: round(median(quick ? early : rss), 1), floor: round(await bareNodeRss(), 1) },
    start_to_live_ms: Math.round(median(starts)),
    _idle: { starts: starts.map(Math.round), rss_after_3s: early.map((x) => round(x)), rss_settled_45s: rss.map((x) => round(x)), settled: !quick },
  };
}
