/**
 * hub-freeze: the hub is frozen with SIGSTOP for 40 s (quick: 8 s), then SIGCONT, while publishing
 * goes on (nothing is acknowledged while it is frozen; the publisher's stalled link times out and
 * redials). The daemon must notice the dead link, keep retrying, and catch up after the thaw.
 */
import { say, sleep } from '../bench/lib.mjs';
import { stage } from './harness.mjs';

export async function hubFreeze({ quick }) {
  const frozenMs = quick ? 8_000 : 40_000;
  const s = await stage({ name: 'hub-freeze' });
  await sleep(3_000);
  say(`hub-freeze: SIGSTOP for ${frozenMs / 1000} s (sent so far ${s.ledger.sent.size})`);
  s.hub.freeze();
  await sleep(frozenMs);
  s.hub.thaw();
  const states = s.daemon.states.map((x) => x.state);
  say(`hub-freeze: SIGCONT; daemon connection states so far: ${[...new Set(states)].join(', ')}`);
  await sleep(quick ? 4_000 : 10_000);
  return s.finish();
}
