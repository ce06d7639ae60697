/**
 * hub_fanout_ms: one publish to a topic with 1,000 WebSocket members (bare `ws` clients in this
 * process) → the last member received the push. 20 publishes one after another (quick: 5).
 */
import { agents, bareSocket, median, quantile, round, say, sleep, topicWith } from './lib.mjs';

export async function fanout({ hub, quick }) {
  const M = 1_000;
  say(`fanout: registering ${M} members`);
  const [owner, ...members] = await agents(hub.url, M + 1, { concurrency: 32 });
  const topicId = await topicWith(owner, members, 'fanout');
  const waiting = new Map();
  const onFrame = (f) => {
    if (f.type !== 'new_message') return;
    const w = waiting.get(f.message.content);
    if (w && --w.left === 0) w.done(performance.now());
  };
  const socks = [];
  for (let i = 0; i < members.length; i += 50) socks.push(...(await Promise.all(members.slice(i, i + 50).map((m) => bareSocket(hub.wsUrl, m, onFrame)))));
  await sleep(500);
  const samples = [];
  for (let i = 0; i < (quick ? 5 : 20); i++) {
    const content = `fanout ${i}`;
    const got = new Promise((done) => waiting.set(content, { left: members.length, done }));
    const t0 = performance.now();
    await owner.api.publish({ topic_id: topicId, content });
    const t1 = await Promise.race([got, sleep(30_000).then(() => performance.now())]);
    samples.push(t1 - t0);
    await sleep(100);
  }
  for (const s of socks) s.terminate();
  return { hub_fanout_ms: { p50: round(median(samples), 1), p99: round(quantile(samples, 0.99), 1) } };
}
