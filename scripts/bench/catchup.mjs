/**
 * catchup_10k_s: 10,000 messages (quick: 2,000) published while the daemon is stopped (SIGTERM);
 * seconds from its restart until every one was delivered, and how many were lost or duplicated.
 */
import { Ledger, agents, publishLoad, round, say, spawnDaemon, startGateway, temp, topicWith, wsPublisher } from './lib.mjs';

export async function catchup({ hub, quick }) {
  const N = quick ? 2_000 : 10_000;
  const [pub, me] = await agents(hub.url, 2);
  const topicId = await topicWith(pub, [me], 'catchup');
  const gateway = await startGateway();
  const stateDir = temp('wtt-bench-catchup-');
  const first = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir, gateway });
  await first.waitState('live');
  await first.stop();
  const sock = await wsPublisher(hub, pub);
  const ledger = new Ledger();
  say(`catchup: publishing ${N} while the daemon is stopped`);
  await publishLoad({ sock, topicId, inFlight: 20, count: N, prefix: 'cu', ledger });
  sock.close();
  const daemon = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir, gateway });
  let last = 0;
  daemon.onDelivery((k, t) => {
    ledger.deliver(k, t);
    last = t;
  });
  const all = await ledger.drained(quick ? 60_000 : 120_000);
  await new Promise((r) => setTimeout(r, 500)); // late duplicates would show up here
  const c = ledger.counts;
  await daemon.stop();
  await gateway.close();
  return {
    catchup_10k_s: { seconds: all ? round((last - daemon.startedAt) / 1000, 2) : 0, lost: c.lost, duplicated: c.duplicated },
    _catchup: { messages: N, ...c },
  };
}
