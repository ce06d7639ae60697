/**
 * gateway-down: the chat gateway refuses connections for 30 s (quick: 6 s), then answers HTTP 429
 * with `retry_after` for 10 s (quick: 3 s), then recovers; publishing goes on throughout. Every
 * message must reach the chat afterwards (the notifier retries, opens its circuit, probes), once.
 */
import { say, sleep } from '../bench/lib.mjs';
import { stage } from './harness.mjs';

export async function gatewayDown({ quick }) {
  const downMs = quick ? 6_000 : 30_000;
  const limitedMs = quick ? 3_000 : 10_000;
  const s = await stage({ name: 'gateway-down' });
  await sleep(2_000);
  say(`gateway-down: gateway down for ${downMs / 1000} s`);
  await s.gateway.down();
  await sleep(downMs);
  await s.gateway.up();
  s.gateway.mode = '429';
  say(`gateway-down: gateway answers 429 for ${limitedMs / 1000} s`);
  await sleep(limitedMs);
  s.gateway.mode = 'ok';
  say(`gateway-down: gateway ok again; delivered so far ${s.ledger.counts.delivered}/${s.ledger.sent.size}`);
  await sleep(2_000);
  const t = performance.now();
  const r = await s.finish({ drainMs: 180_000 });
  return { ...r, recovered_s: Math.round((performance.now() - t) / 100) / 10 };
}
