/**
 * delivery_latency_ms and cpu_ms_per_msg: 100 msg/s for 30 s (quick: 5 s) published over WebSocket
 * to a topic that the daemon's agent and a bare floor client both belong to. Latency is publish sent →
 * delivered (the gateway call made by the daemon's notifier).
 * floor_p50 is the same hop done by a bare `ws` client that POSTs each message to a recording
 * gateway (no validation, no store, no actors). CPU is the daemon's user + sys time over the run,
 * per delivered message.
 */
import { request, Agent } from 'node:http';
import { Ledger, agents, bareSocket, keyOf, median, messageOf, publishLoad, quantile, round, say, sleep, spawnDaemon, startGateway, temp, topicWith, wsPublisher } from './lib.mjs';

export async function delivery({ hub, quick }) {
  const [pub, me, floorAgent] = await agents(hub.url, 3);
  const topicId = await topicWith(pub, [me, floorAgent], 'delivery');
  const gateway = await startGateway();
  const floorGateway = await startGateway();
  const daemon = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir: temp('wtt-bench-delivery-'), gateway });
  await daemon.waitState('live');
  const sentAt = new Map();
  const ledger = new Ledger();
  const lat = [];
  daemon.onDelivery((k, t) => {
    ledger.deliver(k, t);
    const s = sentAt.get(k);
    if (s !== undefined && ledger.delivered.get(k) === 1) lat.push(t - s);
  });
  // The floor: bare ws client → bare HTTP POST to a recording gateway.
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const floorLat = [];
  floorGateway.onCall((c) => {
    const k = keyOf(messageOf(c.raw));
    const s = k && sentAt.get(k);
    if (s) floorLat.push(c.t - s);
  });
  const floorWs = await bareSocket(hub.wsUrl, floorAgent, (f) => {
    if (f.type !== 'new_message') return;
    const body = JSON.stringify({ tool: 'message', args: { action: 'send', channel: 'telegram', target: '555001', message: f.message.content } });
    const req = request(`${floorGateway.url}/tools/invoke`, { method: 'POST', agent, headers: { authorization: `Bearer ${floorGateway.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => res.resume());
    req.on('error', () => undefined);
    req.end(body);
  });
  const sock = await wsPublisher(hub, pub);
  // Warm-up (JIT, SQLite pages), not counted.
  await publishLoad({ sock, topicId, rate: 100, durationMs: 1_000, prefix: 'warm' });
  await sleep(500);
  lat.length = 0;
  floorLat.length = 0;
  const cpu0 = daemon.stat().cpuMs;
  const durationMs = quick ? 5_000 : 30_000;
  say(`delivery: 100 msg/s for ${durationMs / 1000} s`);
  await publishLoad({ sock, topicId, rate: 100, durationMs, prefix: 'lat', ledger, sentAt });
  await ledger.drained(10_000);
  const cpu1 = daemon.stat().cpuMs;
  const { delivered, lost } = ledger.counts;
  if (lost > 0) say(`delivery: ${lost} not delivered; gateway calls ${gateway.calls.length}; daemon stderr: ${daemon.stderr().slice(-1500)}`);
  sock.close();
  floorWs.close();
  agent.destroy();
  await daemon.stop();
  await gateway.close();
  await floorGateway.close();
  return {
    delivery_latency_ms: { p50: round(median(lat), 2), p99: round(quantile(lat, 0.99), 2), floor_p50: round(median(floorLat), 2) },
    cpu_ms_per_msg: round(delivered ? (cpu1 - cpu0) / delivered : 0, 3),
    _delivery: ledger.counts,
  };
}
