/**
 * recovery_ms: the hub is SIGKILLed and restarted on the same port and data dir 10 times about 7 s
 * apart (quick: 2 times, 3 s apart: still past the flap guard's 2 s stable time); each sample is hub listening again → the daemon reports `live`.
 * The run owns its hub (it is killed), so the runner's hub is not used.
 */
import { agents, median, quantile, round, say, sleep, spawnDaemon, spawnHub, startGateway, temp, rmrf } from './lib.mjs';

export async function recovery({ quick }) {
  let hub = await spawnHub();
  const [me] = await agents(hub.url, 1);
  const gateway = await startGateway();
  const daemon = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir: temp('wtt-bench-recovery-'), gateway });
  await daemon.waitState('live');
  const kills = quick ? 2 : 10;
  const gapMs = quick ? 3_000 : 7_000;
  const samples = [];
  for (let i = 0; i < kills; i++) {
    await sleep(gapMs);
    let liveAt = 0;
    const off = daemon.onState((s, t) => {
      if (s === 'live' && !liveAt) liveAt = t;
    });
    await hub.kill();
    hub = await spawnHub({ dataDir: hub.dataDir, port: hub.port });
    const listening = hub.listeningAt;
    const end = performance.now() + 60_000;
    while (!liveAt && performance.now() < end) await sleep(5);
    off();
    samples.push(liveAt ? liveAt - listening : 60_000);
    say(`recovery: kill ${i + 1}/${kills}: ${Math.round(samples.at(-1))} ms (hub start ${Math.round(hub.startMs)} ms)`);
  }
  await daemon.stop();
  await gateway.close();
  await hub.stop();
  rmrf(hub.dataDir);
  return {
    recovery_ms: { p50: Math.round(median(samples)), p99: Math.round(quantile(samples, 0.99)) },
    _recovery: { samples: samples.map((x) => round(x, 0)) },
  };
}
