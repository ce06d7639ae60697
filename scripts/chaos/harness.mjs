/**
 * The stage every chaos scenario plays on: the real hub (`wtt hub`) and the real daemon (`wtt daemon`)
 * as separate processes on 127.0.0.1, a recording fake OpenClaw gateway as the chat, and a publisher
 * that keeps publishing `k=<key>` messages at a modest rate through whatever happens to the hub
 * (it reconnects; a publish the hub did not acknowledge is not counted as sent). The ledger counts
 * each acknowledged key against the chat calls: lost = never delivered, duplicated = delivered more
 * than once. A daemon that exits without being told to is counted as a crash and started again.
 */
import { Ledger, agents, dist, rmrf, say, sleep, spawnDaemon, spawnHub, startGateway, temp, topicWith } from '../bench/lib.mjs';

/** Publishes at `rate`/s until stopped, reconnecting to `wsUrl` whenever the socket is lost or stalls. */
export async function steadyPublisher({ wsUrl, agent, topicId, rate, ledger, prefix, timeoutMs = 2_000 }) {
  const { WttSocket } = await dist('src/client/socket.js');
  const stats = { attempted: 0, acked: 0, failed: 0, reconnects: 0 };
  let sock;
  let stopped = false;
  let n = 0;
  const connect = async () => {
    while (!stopped) {
      const s = new WttSocket({ url: `${wsUrl}/${agent.agent_id}`, token: agent.agent_token, timeoutMs });
      try {
        await s.open();
        return s;
      } catch {
        await sleep(100);
      }
    }
    return undefined;
  };
  const loop = (async () => {
    const t0 = performance.now();
    let due = 0;
    while (!stopped) {
      if (!sock?.isOpen) {
        sock?.terminate();
        sock = await connect();
        if (!sock) break;
        stats.reconnects++;
      }
      // Attempts missed while (re)connecting are dropped, not bunched up: a steady rate.
      const target = Math.floor(((performance.now() - t0) / 1000) * rate);
      if (target - due > rate) due = target - rate;
      while (due < target && sock.isOpen) {
        due++;
        const key = `${prefix}-${n++}`;
        const t = performance.now();
        const s = sock;
        stats.attempted++;
        s.request('publish', { topic_id: topicId, content: `k=${key} chaos` }).then(
          () => {
            stats.acked++;
            ledger.send(key, t);
          },
          (e) => {
            stats.failed++;
            // A stalled hub (SIGSTOP) never answers: drop the link and dial again.
            if (e?.code === 'WTT_ERR_TIMEOUT') s.terminate();
          },
        );
      }
      await sleep(10);
    }
  })();
  return {
    stats,
    async stop() {
      stopped = true;
      await loop;
      // Let the last answers arrive before the socket goes.
      await sleep(Math.min(timeoutMs, 1_000));
      sock?.close();
      stats.reconnects = Math.max(0, stats.reconnects - 1);
    },
  };
}

/**
 * Hub + publisher agent + daemon agent on one topic, a gateway, the daemon live, publishing started.
 * `env`: extra daemon environment; `stateDir`: the daemon's state dir (default: a temp dir).
 */
export async function stage({ name, rate = 30, env = {}, stateDir } = {}) {
  const ownState = !stateDir;
  stateDir ??= temp(`wtt-chaos-${name}-`);
  let hub = await spawnHub();
  const [pub, me] = await agents(hub.url, 2);
  const topicId = await topicWith(pub, [me], `chaos-${name}`);
  const gateway = await startGateway();
  const ledger = new Ledger();
  const counts = { daemon_kills: 0, daemon_crashes: 0, hub_kills: 0 };
  let daemon;
  let expectExit = false;
  const crashes = [];
  const startDaemon = async () => {
    const d = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir, gateway, env });
    d.onDelivery((k, t) => ledger.deliver(k, t));
    expectExit = false;
    d.child.once('exit', (code, sig) => {
      if (expectExit || stopping) return;
      counts.daemon_crashes++;
      crashes.push({ code, sig, stderr: d.stderr().slice(-3000) });
      say(`${name}: THE DAEMON EXITED on its own (${code ?? sig}); stderr tail:\n${d.stderr().slice(-1500)}`);
      void startDaemon().catch((e) => say(`${name}: could not restart the daemon: ${e.message}`));
    });
    daemon = d;
    await d.waitState('live', 60_000).catch((e) => say(`${name}: ${e.message}`));
    return d;
  };
  let stopping = false;
  await startDaemon();
  const publisher = await steadyPublisher({ wsUrl: hub.wsUrl, agent: pub, topicId, rate, ledger, prefix: name });
  const t0 = performance.now();
  return {
    get hub() {
      return hub;
    },
    get daemon() {
      return daemon;
    },
    gateway,
    ledger,
    counts,
    /** The daemon's agent. */
    agent: me,
    stateDir,
    /** SIGKILL the hub (it is thawed first if frozen). */
    async killHub() {
      await hub.kill();
      counts.hub_kills++;
    },
    /** Start the hub again on the same port and data dir. */
    async startHub() {
      hub = await spawnHub({ dataDir: hub.dataDir, port: hub.port });
      return hub;
    },
    /** SIGKILL the daemon and start it again on the same state dir; resolves once it is live. */
    async killDaemon({ gapMs = 0 } = {}) {
      expectExit = true;
      await daemon.kill('SIGKILL');
      counts.daemon_kills++;
      if (gapMs) await sleep(gapMs);
      return startDaemon();
    },
    /**
     * Stop publishing, wait until every acknowledged message reached the chat (or `drainMs`), a
     * little longer for late duplicates, then stop everything and return the counts.
     */
    async finish({ drainMs = 120_000, extra = {} } = {}) {
      await publisher.stop();
      const publishMs = performance.now() - t0;
      const t1 = performance.now();
      const drained = await ledger.drained(drainMs);
      const drainedMs = performance.now() - t1;
      await sleep(1_000);
      stopping = true;
      const c = ledger.counts;
      let unacked = 0;
      for (const k of ledger.delivered.keys()) if (!ledger.sent.has(k)) unacked++;
      const tail = daemon.stderr().slice(-2000);
      await daemon.stop();
      await gateway.close();
      await hub.stop();
      rmrf(hub.dataDir);
      if (ownState) rmrf(stateDir);
      if (!drained) say(`${name}: ${c.lost} never delivered after ${Math.round(drainMs / 1000)} s; daemon stderr tail:\n${tail}`);
      return {
        ...c,
        ...counts,
        publish_attempts: publisher.stats.attempted,
        publish_failed: publisher.stats.failed,
        publisher_reconnects: publisher.stats.reconnects,
        // Published but not acknowledged (the hub went away before answering), and delivered anyway.
        delivered_unacknowledged: unacked,
        publish_s: Math.round(publishMs / 100) / 10,
        drain_s: Math.round(drainedMs / 100) / 10,
        ...(crashes.length ? { crashes } : {}),
        ...extra,
      };
    },
  };
}
