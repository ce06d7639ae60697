/**
 * hub-kill: the hub is SIGKILLed and started again on the same port and data dir every 2 s for 60 s
 * (quick: 10 s), while publishing goes on (the publisher redials; only acknowledged publishes count).
 * The daemon must catch up after every reconnect and deliver each message once.
 */
import { say, sleep } from '../bench/lib.mjs';
import { stage } from './harness.mjs';

export async function hubKill({ quick }) {
  const forMs = quick ? 10_000 : 60_000;
  const everyMs = 2_000;
  const s = await stage({ name: 'hub-kill' });
  await sleep(1_000);
  const t0 = performance.now();
  while (performance.now() - t0 < forMs) {
    const t = performance.now();
    await s.killHub();
    await s.startHub();
    const restartMs = performance.now() - t;
    if (s.counts.hub_kills % 5 === 0) say(`hub-kill: ${s.counts.hub_kills} kills (last restart ${Math.round(restartMs)} ms), sent ${s.ledger.sent.size}, delivered ${s.ledger.counts.delivered}`);
    await sleep(Math.max(0, everyMs - restartMs));
  }
  await sleep(2_000);
  return s.finish();
}
