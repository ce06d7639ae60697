#!/usr/bin/env node
/**
 * `npm run soak [-- --minutes N]` (default 30): the daemon under steady load for N minutes, watched
 * for leaks. The real hub and the real daemon (`wtt daemon`, WTT_EXECUTOR=command) run as processes
 * on 127.0.0.1 with a recording fake chat gateway, while:
 *   - 50 msg/s are published into a topic the daemon's agent belongs to (counted at the chat);
 *   - every second a task is created for the daemon's agent, dispatched, run by the command
 *     executor (test/fixtures/task-command.mjs echo), and approved once in review → done, so task
 *     actors are spawned and stopped all the time;
 *   - the hub is SIGKILLed and restarted every 5 minutes (every N/3 minutes for N < 15).
 * Once a minute it prints the daemon's RSS, heap, open handles, live actors and outbox depth (from
 * `wtt status`'s `process` section); at the end the RSS slope after warm-up (least squares, MB per
 * 10 minutes), messages lost and duplicated, tasks finished and stuck, and the live actor count at
 * start vs end (stopped XState children must not accumulate: xstate #2531, #3616).
 * Goal: slope ≤ 1 MB / 10 min, 0 lost. Exits 1 on a lost message or a stuck task. The LAST line of
 * stdout is one JSON object with `machine` and the figures (docs/benchmarks.md, "Chaos and soak").
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, ROOT, agents, dist, machine, procStat, rmrf, round, say, sleep, spawnDaemon, spawnHub, startGateway, temp, topicWith } from '../bench/lib.mjs';
import { steadyPublisher } from '../chaos/harness.mjs';

const argv = process.argv.slice(2);
const mi = argv.indexOf('--minutes');
const minutes = mi >= 0 ? Number(argv[mi + 1]) : 30;
if (!Number.isFinite(minutes) || minutes <= 0) {
  process.stderr.write('usage: npm run soak [-- --minutes N]  (N > 0, default 30)\n');
  process.exit(2);
}
if (!existsSync(join(ROOT, 'dist', 'src', 'cli.js'))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(1);
}

const RATE = 50;
const GOAL_SLOPE_MB_PER_10MIN = 1;
const runMs = minutes * 60_000;
const hubEveryMs = (minutes < 15 ? minutes / 3 : 5) * 60_000;
const warmupMs = Math.min(5 * 60_000, runMs / 3);
const reportEveryMs = Math.min(60_000, runMs / 4);

/** Least-squares slope of ys over xs. */
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const { askDaemon, controlSocketPath } = await dist('src/runtime/control.js');
const { STATUS_REQUEST } = await dist('src/runtime/status.js');

let hub = await spawnHub();
const [pub, me, boss] = await agents(hub.url, 3);
const topicId = await topicWith(pub, [me], 'soak');
const gateway = await startGateway();
const stateDir = temp('wtt-soak-');
const daemonEnv = {
  WTT_EXECUTOR: 'command',
  WTT_EXECUTOR_COMMAND: `${process.execPath} ${join(ROOT, 'test', 'fixtures', 'task-command.mjs')} echo`,
  WTT_REJECT_RERUN_COOLDOWN: '0',
};
const daemon = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir, gateway, env: daemonEnv });
const ledger = new Ledger();
daemon.onDelivery((k, t) => ledger.deliver(k, t));
let crashed = false;
daemon.child.once('exit', (code, sig) => {
  if (stopping) return;
  crashed = true;
  say(`soak: THE DAEMON EXITED (${code ?? sig}): ${daemon.stderr().slice(-2000)}`);
});
let stopping = false;
await daemon.waitState('live', 60_000);

const status = async () => {
  try {
    const a = await askDaemon(controlSocketPath(stateDir), me.agent_id, [STATUS_REQUEST], 10_000);
    return a ? JSON.parse(a.text) : undefined;
  } catch {
    return undefined;
  }
};
await sleep(1_000);
const first = await status();
const actorsAtStart = first?.process?.actors ?? null;
say(`soak: ${minutes} min, ${RATE} msg/s, a task a second, hub restarted every ${round(hubEveryMs / 60_000, 2)} min; warm-up ${round(warmupMs / 60_000, 2)} min; actors at start ${actorsAtStart}`);

const publisher = await steadyPublisher({ wsUrl: hub.wsUrl, agent: pub, topicId, rate: RATE, ledger, prefix: 'soak' });

// Tasks: one created and dispatched a second; each one approved in review, then checked done.
const tasks = { created: 0, done: 0, driver_errors: 0, open: new Map() };
const taskLoop = async (id) => {
  const t0 = performance.now();
  for (;;) {
    if (performance.now() - t0 > 120_000) return; // stays open: counted as stuck
    await sleep(250);
    let t;
    try {
      t = await boss.api.getTask(id);
    } catch {
      continue; // the hub is restarting
    }
    if (t.status === 'review') {
      try {
        await boss.api.reviewTask(id, { action: 'approve' });
      } catch {
        /* again at the next look */
      }
    } else if (t.status === 'done') {
      tasks.done++;
      tasks.open.delete(id);
      return;
    }
  }
};
const taskRuns = [];
let tasksStop = false;
const taskDriver = (async () => {
  let n = 0;
  const t0 = performance.now();
  while (!tasksStop) {
    const due = Math.floor((performance.now() - t0) / 1000);
    while (n <= due && !tasksStop) {
      n++;
      try {
        const created = await boss.api.createTask({ title: `soak task ${n}`, description: 'a task for the soak', runner_agent_id: me.agent_id });
        tasks.created++;
        await boss.api.runTask(created.id, { runner_agent_id: me.agent_id });
        tasks.open.set(created.id, n);
        taskRuns.push(taskLoop(created.id));
      } catch {
        tasks.driver_errors++; // the hub was down: not the daemon's task yet
      }
    }
    await sleep(50);
  }
})();

// Hub restarts.
let hubRestarts = 0;
let hubStop = false;
const hubLoop = (async () => {
  let next = performance.now() + hubEveryMs;
  while (!hubStop) {
    await sleep(Math.min(1_000, Math.max(0, next - performance.now())));
    if (hubStop || performance.now() < next) continue;
    next += hubEveryMs;
    await hub.kill();
    hub = await spawnHub({ dataDir: hub.dataDir, port: hub.port });
    hubRestarts++;
    say(`soak: hub restarted (${hubRestarts})`);
  }
})();

// Samples: RSS every 5 s for the slope; a line with the daemon's own figures once a minute.
const t0 = performance.now();
const samples = [];
const minutesLines = [];
let nextReport = t0 + reportEveryMs;
while (performance.now() - t0 < runMs && !crashed) {
  await sleep(5_000);
  const at = performance.now() - t0;
  const { rssMb } = procStat(daemon.pid);
  samples.push({ at, rssMb });
  if (performance.now() >= nextReport) {
    nextReport += reportEveryMs;
    const p = (await status())?.process;
    const c = ledger.counts;
    const line = {
      minute: round(at / 60_000, 1),
      rss_mb: round(rssMb, 1),
      heap_mb: p?.heap_used_mb ?? null,
      handles: p?.handles ?? null,
      actors: p?.actors ?? null,
      outbox_depth: p?.outbox_depth ?? null,
      sent: c.sent,
      delivered: c.delivered,
      tasks_done: tasks.done,
    };
    minutesLines.push(line);
    process.stdout.write(
      `soak ${line.minute} min: RSS ${line.rss_mb} MB, heap ${line.heap_mb} MB, handles ${line.handles}, actors ${line.actors}, outbox ${line.outbox_depth}; sent ${c.sent}, delivered ${c.delivered}; tasks done ${tasks.done}/${tasks.created}\n`,
    );
  }
}

// Wind down: stop the load, let everything arrive, then read the end state.
hubStop = true;
await hubLoop;
tasksStop = true;
await taskDriver;
await publisher.stop();
say('soak: load stopped; draining');
const drained = await ledger.drained(120_000);
await Promise.all(taskRuns);
await sleep(3_000);
const last = await status();
const actorsAtEnd = last?.process?.actors ?? null;
const c = ledger.counts;
const after = samples.filter((s) => s.at >= warmupMs);
const slopeMbPer10 = slope(after.map((s) => s.at), after.map((s) => s.rssMb)) * 600_000;
stopping = true;
await daemon.stop();
await gateway.close();
await hub.stop();
rmrf(hub.dataDir);
rmrf(stateDir);

const stuck = tasks.open.size;
const result = {
  machine: machine(),
  minutes,
  rate_msgs_per_s: RATE,
  hub_restarts: hubRestarts,
  rss_slope_mb_per_10min: { value: round(slopeMbPer10, 2), goal: GOAL_SLOPE_MB_PER_10MIN, samples: after.length, warmup_min: round(warmupMs / 60_000, 2) },
  rss_mb: { start: round(samples[0]?.rssMb, 1), end: round(samples.at(-1)?.rssMb, 1) },
  messages: { ...c, drained },
  tasks: { created: tasks.created, done: tasks.done, stuck, driver_errors: tasks.driver_errors },
  actors: { start: actorsAtStart, end: actorsAtEnd },
  end: last?.process ?? null,
  daemon_crashed: crashed,
  per_minute: minutesLines,
};
const failures = [];
if (c.lost > 0) failures.push(`${c.lost} messages lost`);
if (stuck > 0) failures.push(`${stuck} tasks never finished`);
if (crashed) failures.push('the daemon exited on its own');
if (c.sent === 0) failures.push('nothing was sent');
process.stdout.write(
  `soak: RSS slope after warm-up ${result.rss_slope_mb_per_10min.value} MB / 10 min (goal ≤ ${GOAL_SLOPE_MB_PER_10MIN}); lost ${c.lost} (goal 0), duplicated ${c.duplicated}; ` +
    `tasks ${tasks.done}/${tasks.created} done, ${stuck} stuck; actors ${actorsAtStart} at start, ${actorsAtEnd} at end — ${failures.length ? `FAIL: ${failures.join('; ')}` : 'ok'}\n`,
);
process.stdout.write(`${JSON.stringify({ ...result, ok: failures.length === 0, ...(failures.length ? { why: failures } : {}) })}\n`);
process.exit(failures.length ? 1 : 0);
