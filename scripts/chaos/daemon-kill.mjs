/**
 * daemon-kill: the daemon is SIGKILLed and started again on the same state dir 5 times (quick: 2),
 * while publishing goes on. What was published while it was down comes in the catch-up; the one
 * chat send in flight at a kill may be repeated (its idempotency key is the same), so up to one
 * duplicate per kill is allowed.
 */
import { say, sleep } from '../bench/lib.mjs';
import { stage } from './harness.mjs';

export async function daemonKill({ quick }) {
  const kills = quick ? 2 : 5;
  const gapMs = quick ? 4_000 : 6_000;
  const s = await stage({ name: 'daemon-kill' });
  for (let i = 0; i < kills; i++) {
    await sleep(gapMs);
    const t = performance.now();
    await s.killDaemon();
    say(`daemon-kill: kill ${i + 1}/${kills}, live again after ${Math.round(performance.now() - t)} ms (delivered so far ${s.ledger.counts.delivered}/${s.ledger.sent.size})`);
  }
  await sleep(gapMs);
  return s.finish();
}
