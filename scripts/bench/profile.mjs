#!/usr/bin/env node
/**
 * `node scripts/bench/profile.mjs [delivery|throughput|catchup] [--seconds N] [--keep]`: the daemon
 * (`wtt daemon`, as in the benchmarks) under one benchmark's load with `node --cpu-prof`, then the
 * top self-time functions, files and packages from the .cpuprofile (nodes, samples, timeDeltas).
 *
 * - delivery: 100 msg/s for N s (default 10), the load of `cpu_ms_per_msg`;
 * - throughput: 4 publishers × 20 in flight for N s (default 5);
 * - catchup: N × 400 messages (default 2,000) published while the daemon is stopped, then profiled
 *   from its restart until all are delivered.
 * Only the samples taken under the load count (catchup: from the restart). CPU (user + sys, from
 * /proc, all threads, with the profiler's own cost) is per delivered message over the same window.
 * Progress and the tables go to stderr; the last line of stdout is one JSON object. `--keep` keeps
 * the .cpuprofile (its path is printed; open it in Chrome DevTools or speedscope).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Ledger, ROOT, agents, publishLoad, rmrf, round, say, spawnDaemon, spawnHub, startGateway, temp, topicWith, wsPublisher } from './lib.mjs';

const argv = process.argv.slice(2);
const load = argv.find((a) => !a.startsWith('--')) ?? 'delivery';
const secondsArg = argv.indexOf('--seconds');
const seconds = secondsArg >= 0 ? Number(argv[secondsArg + 1]) : undefined;
const keep = argv.includes('--keep');
if (!['delivery', 'throughput', 'catchup'].includes(load)) {
  process.stderr.write(`unknown load '${load}' (delivery, throughput, catchup)\n`);
  process.exit(2);
}
if (!existsSync(join(ROOT, 'dist', 'src', 'cli.js'))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(1);
}

/** Where a profile node's code lives: `src/runtime/x.ts`-like for ours, the package for node_modules, `node:` for Node's own. */
function placeOf(url) {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = path.lastIndexOf(`${sep}node_modules${sep}`);
  if (nm >= 0) {
    const rest = path.slice(nm + 14).split(sep);
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? path);
  }
  if (path.startsWith(ROOT)) return relative(ROOT, path);
  return path.startsWith('node:') ? path : path;
}

/** The monotonic clock V8's profiler stamps samples with (µs). */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Self and total time per function, file and package from one .cpuprofile, counting only samples
 * inside [fromUs, toUs] (the load, without the daemon's start and stop).
 */
export function summarize(profile, fromUs = -Infinity, toUs = Infinity) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const { samples, timeDeltas } = profile;
  let total = 0;
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) continue;
    const dt = (timeDeltas[i + 1] ?? 0) / 1000; // the time until the next sample belongs to this one (ms)
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
    total += dt;
  }
  const fn = new Map();
  const file = new Map();
  const pkg = new Map();
  const inclusive = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  for (const [id, ms] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    const place = placeOf(cf.url);
    const name = cf.functionName || '(anonymous)';
    add(fn, `${name}  ${place}:${cf.lineNumber + 1}`, ms);
    add(file, cf.url ? place : `(${name})`, ms);
    add(pkg, place.startsWith('src/') || place.startsWith('machines/') || place.startsWith('dist/') ? 'wtt (ours)' : place.startsWith('node:') ? 'node (internal)' : cf.url ? place : `(${name})`, ms);
    // Inclusive time of our own functions: each distinct one of ours on the stack gets the sample once.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const c = byId.get(cur)?.callFrame;
      if (!c?.url?.includes(`${sep}dist${sep}`)) continue;
      const k = `${c.functionName || '(anonymous)'}  ${placeOf(c.url)}:${c.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      add(inclusive, k, ms);
    }
  }
  const top = (m, n) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, ms]) => ({ what: k, ms: round(ms, 1), pct: round((100 * ms) / (total || 1), 1) }));
  return { total_ms: round(total, 0), functions: top(fn, 25), files: top(file, 20), packages: top(pkg, 15), ours_inclusive: top(inclusive, 20) };
}

function table(title, rows) {
  say(title);
  for (const r of rows) process.stderr.write(`  ${String(r.pct).padStart(5)} %  ${String(r.ms).padStart(8)} ms  ${r.what}\n`);
}

const profDir = temp('wtt-prof-');
const hub = await spawnHub();
const gateway = await startGateway();
const stateDir = temp('wtt-prof-state-');
const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', profDir];
const ledger = new Ledger();
let daemon;
let delivered = 0;
let fromUs = 0;
let cpu0 = 0;
const t0 = performance.now();
try {
  const [pub, me, ...more] = await agents(hub.url, load === 'throughput' ? 5 : 2);
  const topicId = await topicWith(pub, [me, ...more], `prof-${load}`);
  const onDelivery = (k, t) => {
    ledger.deliver(k, t);
    delivered++;
  };
  if (load === 'catchup') {
    const first = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir, gateway });
    await first.waitState('live');
    await first.stop();
    const n = Math.round((seconds ?? 5) * 400);
    const sock = await wsPublisher(hub, pub);
    say(`profile: publishing ${n} while the daemon is stopped`);
    await publishLoad({ sock, topicId, inFlight: 20, count: n, prefix: 'pc', ledger });
    sock.close();
    daemon = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir, gateway, nodeArgs });
    daemon.onDelivery(onDelivery);
    fromUs = nowUs();
  } else {
    daemon = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir, gateway, nodeArgs });
    daemon.onDelivery(onDelivery);
    await daemon.waitState('live');
    const ms = (seconds ?? (load === 'delivery' ? 10 : 5)) * 1000;
    fromUs = nowUs();
    cpu0 = daemon.stat().cpuMs;
    if (load === 'delivery') {
      const sock = await wsPublisher(hub, pub);
      say(`profile: 100 msg/s for ${ms / 1000} s`);
      await publishLoad({ sock, topicId, rate: 100, durationMs: ms, prefix: 'pd', ledger });
      sock.close();
    } else {
      const socks = await Promise.all([pub, ...more].map((p) => wsPublisher(hub, p)));
      say(`profile: ${socks.length} × 20 in flight for ${ms / 1000} s`);
      await Promise.all(socks.map((sock, i) => publishLoad({ sock, topicId, inFlight: 20, durationMs: ms, prefix: `pt${i}`, ledger })));
      for (const s of socks) s.close();
    }
  }
  const all = await ledger.drained(120_000);
  const toUs = nowUs();
  say(`profile: ${delivered} delivered in ${round((performance.now() - t0) / 1000, 1)} s${all ? '' : ` (NOT all: ${JSON.stringify(ledger.counts)})`}`);
  const cpu = daemon.stat().cpuMs - cpu0;
  await daemon.stop();
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${profDir} (did the daemon exit cleanly?)`);
  const path = join(profDir, file);
  const s = summarize(JSON.parse(readFileSync(path, 'utf8')), fromUs, toUs);
  table(`top self time by function (of ${s.total_ms} ms sampled):`, s.functions);
  table('by file:', s.files);
  table('by package:', s.packages);
  table('our functions, inclusive:', s.ours_inclusive);
  if (keep) say(`profile kept: ${path}`);
  process.stdout.write(`${JSON.stringify({ load, delivered, counts: ledger.counts, cpu_ms: round(cpu, 0), cpu_ms_per_msg: round(delivered ? cpu / delivered : 0, 3), ...s })}\n`);
} finally {
  await daemon?.kill();
  await gateway.close();
  await hub.stop();
  rmrf(hub.dataDir);
  rmrf(stateDir);
  if (!keep) rmrf(profDir);
}
process.exit();
