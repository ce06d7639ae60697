/**
 * hub_rss_sockets_mb and hub_rss_stalled_mb: the hub process's RSS (from /proc) with 2,000
 * authenticated WebSocket sockets open (quick: 1,000; 200 agents × 10 sockets), idle and after 20
 * publishes fanned out to all of them; then with one stalled reader (its TCP socket paused) while a
 * publisher pushes 1,500 messages of 60 KiB (quick: 500) into its topic: the peak and the settled RSS,
 * and whether the hub closed the stalled socket as a slow consumer (4008). Printed, not asserted.
 */
import { agents, bareSocket, procStat, round, say, sleep, topicWith } from './lib.mjs';

const rss = (hub) => round(procStat(hub.pid).rssMb, 1);

/** Samples the hub's RSS every 50 ms until `stop()`; returns the peak. */
function sampler(hub) {
  let peak = 0;
  const t = setInterval(() => {
    peak = Math.max(peak, procStat(hub.pid).rssMb);
  }, 50);
  return () => {
    clearInterval(t);
    return round(peak, 1);
  };
}

async function manySockets(hub, quick) {
  const N = quick ? 1_000 : 2_000;
  const PER_AGENT = 10;
  const idle = rss(hub);
  say(`hub-rss: ${N / PER_AGENT} agents × ${PER_AGENT} sockets`);
  const [owner, ...members] = await agents(hub.url, N / PER_AGENT + 1, { concurrency: 32 });
  const topicId = await topicWith(owner, members, 'rss');
  let got = 0;
  const socks = [];
  const plan = members.flatMap((m) => Array.from({ length: PER_AGENT }, () => m));
  for (let i = 0; i < plan.length; i += 50) {
    socks.push(...(await Promise.all(plan.slice(i, i + 50).map((m) => bareSocket(hub.wsUrl, m, (f) => f.type === 'new_message' && got++)))));
  }
  await sleep(1_000);
  const open = rss(hub);
  const content = 'y'.repeat(1024);
  for (let i = 0; i < 20; i++) await owner.api.publish({ topic_id: topicId, content });
  const deadline = Date.now() + 60_000;
  while (got < 20 * N && Date.now() < deadline) await sleep(20);
  const afterFanout = rss(hub);
  for (const s of socks) s.terminate();
  await sleep(1_000);
  return { N, idle, open, afterFanout, delivered: got, closed: rss(hub) };
}

async function stalledConsumer(hub, quick) {
  const PUSHES = quick ? 500 : 1_500;
  const [pub, slow, fast] = await agents(hub.url, 3);
  const topicId = await topicWith(pub, [slow, fast], 'stalled');
  let fastGot = 0;
  let slowClose = null;
  const slowSock = await bareSocket(hub.wsUrl, slow);
  slowSock.on('close', (code) => {
    slowClose = code;
  });
  const fastSock = await bareSocket(hub.wsUrl, fast, (f) => f.type === 'new_message' && fastGot++);
  // The reader stops reading: its kernel buffers fill, then the hub's send queue for it grows.
  slowSock.pause();
  const before = rss(hub);
  const stop = sampler(hub);
  const content = 'z'.repeat(60 * 1024);
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < PUSHES) {
        next++;
        await pub.api.publish({ topic_id: topicId, content });
      }
    }),
  );
  const deadline = Date.now() + 60_000;
  while (fastGot < PUSHES && Date.now() < deadline) await sleep(20);
  await sleep(500);
  const peak = stop();
  const settled = rss(hub);
  slowSock.resume();
  await sleep(500);
  slowSock.terminate();
  fastSock.terminate();
  return { PUSHES, before, peak, settled, fastGot, slowClose };
}

export async function hubRss({ hub, quick }) {
  const m = await manySockets(hub, quick);
  say(`hub-rss: ${m.N} sockets: idle ${m.idle} MB, open ${m.open} MB, after 20 fan-outs ${m.afterFanout} MB (${m.delivered} pushes), all closed ${m.closed} MB`);
  const s = await stalledConsumer(hub, quick);
  say(`hub-rss: stalled reader, ${s.PUSHES} pushes of 60 KiB: before ${s.before} MB, peak ${s.peak} MB, settled ${s.settled} MB; fast reader got ${s.fastGot}; stalled socket closed with ${s.slowClose}`);
  return {
    hub_rss_sockets_mb: { sockets: m.N, idle: m.idle, open: m.open, after_fanout: m.afterFanout },
    hub_rss_stalled_mb: { pushes: s.PUSHES, pushed_mb: round((s.PUSHES * 60) / 1024, 1), before: s.before, peak: s.peak, settled: s.settled, close_code: s.slowClose },
    _hub_rss: { delivered: m.delivered, closed_mb: m.closed, fast_reader_got: s.fastGot },
  };
}
