/**
 * hub_publish_per_s: sustained durable publishes the hub accepts with 20 in flight, to a topic with 3
 * members (two of them connected, so every publish also fans out), over REST (undici, keep-alive) and
 * over WebSocket (`publish` action), 10 s each (quick: 3 s). The detail `publish` gives the hub's own
 * CPU time per publish (µs, from /proc), which other load on the machine does not inflate as much.
 */
import { agents, bareSocket, procStat, publishLoad, say, topicWith, wsPublisher } from './lib.mjs';

async function restLoad(api, topicId, durationMs, inFlight = 20) {
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() - t0 < durationMs) {
        await api.publish({ topic_id: topicId, content: `rest ${n}` });
        n++;
      }
    }),
  );
  return { n, perS: n / ((performance.now() - t0) / 1000) };
}

/** The hub's CPU µs per unit of work done by `fn` (which returns how many units it did). */
async function cpuPer(pid, fn) {
  const before = procStat(pid).cpuMs;
  const r = await fn();
  return { r, cpuUs: Math.round(((procStat(pid).cpuMs - before) * 1000) / Math.max(1, r.n)) };
}

export async function publish({ hub, quick }) {
  const [owner, a, b] = await agents(hub.url, 3);
  const topicId = await topicWith(owner, [a, b], 'publish');
  const socks = [await bareSocket(hub.wsUrl, a), await bareSocket(hub.wsUrl, b)];
  const durationMs = quick ? 3_000 : 10_000;
  say(`publish: REST then WS, 20 in flight, ${durationMs / 1000} s each`);
  const rest = await cpuPer(hub.pid, () => restLoad(owner.api, topicId, durationMs));
  const sock = await wsPublisher(hub, owner);
  const ws = await cpuPer(hub.pid, async () => {
    const r = await publishLoad({ sock, topicId, inFlight: 20, durationMs, prefix: 'pub' });
    return { n: r.published, perS: r.published / (r.ms / 1000) };
  });
  sock.close();
  for (const s of socks) s.close();
  return {
    hub_publish_per_s: { rest: Math.round(rest.r.perS), ws: Math.round(ws.r.perS) },
    _publish: { hub_cpu_us_per_publish: { rest: rest.cpuUs, ws: ws.cpuUs } },
  };
}
