/**
 * hub_publish_per_s: sustained durable publishes the hub accepts with 20 in flight, to a topic with 3
 * members (two of them connected, so every publish also fans out), over REST (undici, keep-alive) and
 * over WebSocket (`publish` action), 10 s each (quick: 3 s).
 */
import { agents, bareSocket, publishLoad, say, topicWith, wsPublisher } from './lib.mjs';

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
  return n / ((performance.now() - t0) / 1000);
}

export async function publish({ hub, quick }) {
  const [owner, a, b] = await agents(hub.url, 3);
  const topicId = await topicWith(owner, [a, b], 'publish');
  const socks = [await bareSocket(hub.wsUrl, a), await bareSocket(hub.wsUrl, b)];
  const durationMs = quick ? 3_000 : 10_000;
  say(`publish: REST then WS, 20 in flight, ${durationMs / 1000} s each`);
  const rest = await restLoad(owner.api, topicId, durationMs);
  const sock = await wsPublisher(hub, owner);
  const r = await publishLoad({ sock, topicId, inFlight: 20, durationMs, prefix: 'pub' });
  sock.close();
  for (const s of socks) s.close();
  return { hub_publish_per_s: { rest: Math.round(rest), ws: Math.round(r.published / (r.ms / 1000)) } };
}
