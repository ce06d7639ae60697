/**
 * throughput_msgs_per_s: publishers keep 4 × 20 publishes in flight for 30 s (quick: 5 s) into one
 * daemon; value = messages delivered / (last delivery − first publish), reported only when every
 * one was delivered (else 0). floor = the raw fsynced SQLite insert rate with the daemon's batching
 * (one WAL transaction per message, synchronous=FULL), in the same run on the same disk.
 */
import { join } from 'node:path';
import { Ledger, agents, dist, publishLoad, rmrf, round, say, spawnDaemon, startGateway, temp, topicWith, wsPublisher } from './lib.mjs';

async function sqliteFloor(ms) {
  const { default: Database } = await import('better-sqlite3');
  const dir = temp('wtt-bench-sqlite-');
  const db = new Database(join(dir, 'floor.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE seen (id TEXT PRIMARY KEY, topic_id TEXT, at INTEGER)');
  const ins = db.prepare('INSERT INTO seen (id, topic_id, at) VALUES (?, ?, ?)');
  const one = db.transaction((i) => ins.run(`m-${i}`, 't1', Date.now()));
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) one(n++);
  const rate = n / ((performance.now() - t0) / 1000);
  db.close();
  rmrf(dir);
  return rate;
}

export async function throughput({ hub, quick }) {
  void dist;
  const [me, ...pubs] = await agents(hub.url, 5);
  const owner = pubs[0];
  const topicId = await topicWith(owner, [me, ...pubs.slice(1)], 'throughput');
  const gateway = await startGateway();
  const daemon = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir: temp('wtt-bench-tput-'), gateway });
  await daemon.waitState('live');
  const ledger = new Ledger();
  let first = Infinity;
  let last = 0;
  daemon.onDelivery((k, t) => {
    ledger.deliver(k, t);
    last = Math.max(last, t);
  });
  const socks = await Promise.all(pubs.map((p) => wsPublisher(hub, p)));
  const durationMs = quick ? 5_000 : 30_000;
  say(`throughput: ${socks.length} × 20 in flight for ${durationMs / 1000} s`);
  first = performance.now();
  await Promise.all(socks.map((sock, i) => publishLoad({ sock, topicId, inFlight: 20, durationMs, prefix: `tp${i}`, ledger })));
  const all = await ledger.drained(60_000);
  const c = ledger.counts;
  for (const s of socks) s.close();
  await daemon.stop();
  await gateway.close();
  const floor = await sqliteFloor(quick ? 1_000 : 3_000);
  return {
    throughput_msgs_per_s: { value: all ? Math.round(c.delivered / ((last - first) / 1000)) : 0, floor: Math.round(floor) },
    _throughput: { ...c, seconds: round((last - first) / 1000, 2) },
  };
}
