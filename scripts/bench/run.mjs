#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- subject …]`: the runtime's speed and memory figures against their
 * floors, measured in the same run. The real hub (`wtt hub`) and the daemon run as separate
 * processes on 127.0.0.1 (scripts/bench/lib.mjs says which process is the daemon). Progress goes to
 * stderr; the LAST line of stdout is one JSON object with `machine` and the figures (docs/benchmarks.md).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_MODE, ROOT, machine, rmrf, say, spawnHub } from './lib.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.filter((a) => !a.startsWith('--'));
if (!existsSync(join(ROOT, 'dist', 'src', 'cli.js'))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(1);
}

/** Subject → module; each returns some of the figures (keys starting with `_` are details for stderr). */
const SUBJECTS = {
  delivery: () => import('./delivery.mjs').then((m) => m.delivery),
  throughput: () => import('./throughput.mjs').then((m) => m.throughput),
  catchup: () => import('./catchup.mjs').then((m) => m.catchup),
  idle: () => import('./idle.mjs').then((m) => m.idle),
  recovery: () => import('./recovery.mjs').then((m) => m.recovery),
  tasks: () => import('./tasks.mjs').then((m) => m.tasks),
  cli: () => import('./cli.mjs').then((m) => m.cli),
  fanout: () => import('./fanout.mjs').then((m) => m.fanout),
  publish: () => import('./publish.mjs').then((m) => m.publish),
  'hub-rss': () => import('./hub-rss.mjs').then((m) => m.hubRss),
};

const wanted = only.length ? only : Object.keys(SUBJECTS);
for (const w of wanted) {
  if (!SUBJECTS[w]) {
    process.stderr.write(`unknown subject '${w}' (${Object.keys(SUBJECTS).join(', ')})\n`);
    process.exit(2);
  }
}
const figures = {};
const details = {};
say(`bench: daemon = ${DAEMON_MODE}, ${quick ? 'quick' : 'full'} run, subjects: ${wanted.join(', ')}`);
for (const w of wanted) {
  const fn = await SUBJECTS[w]();
  const hub = await spawnHub();
  const t0 = performance.now();
  try {
    const r = await fn({ hub, quick });
    for (const [k, v] of Object.entries(r)) (k.startsWith('_') ? details : figures)[k.replace(/^_/, '')] = v;
  } catch (e) {
    say(`${w} failed: ${e instanceof Error ? e.stack : String(e)}`);
    process.exitCode = 1;
  } finally {
    await hub.stop();
    rmrf(hub.dataDir);
  }
  say(`${w}: done in ${Math.round(performance.now() - t0)} ms ${JSON.stringify(details[w] ?? '')}`);
}
say(`details: ${JSON.stringify(details)}`);
process.stdout.write(`${JSON.stringify({ machine: machine(), ...figures })}\n`);
process.exit();
