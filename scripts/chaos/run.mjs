#!/usr/bin/env node
/**
 * `npm run chaos [-- --quick] [-- scenario …]`: losses and duplicates under faults. Each scenario
 * runs the real hub and the real daemon as processes on 127.0.0.1 with a recording fake chat
 * gateway, publishes at a modest rate throughout, injects its fault, then waits for the chat to
 * drain. It prints messages sent (acknowledged by the hub), delivered to the chat, lost and
 * duplicated. The run FAILS (exit 1) on any loss, on more duplicates than daemon kills, on a daemon
 * that exits on its own, or on a scenario's own check. The LAST line of stdout is one JSON object
 * with `machine` and the per-scenario results (docs/benchmarks.md, "Chaos and soak").
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, machine, say } from '../bench/lib.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.filter((a) => !a.startsWith('--'));
if (!existsSync(join(ROOT, 'dist', 'src', 'cli.js'))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(1);
}

/** Scenario → module; each resolves with the counts of harness.mjs's finish() (plus `failures`). */
const SCENARIOS = {
  'hub-kill': () => import('./hub-kill.mjs').then((m) => m.hubKill),
  'hub-freeze': () => import('./hub-freeze.mjs').then((m) => m.hubFreeze),
  'daemon-kill': () => import('./daemon-kill.mjs').then((m) => m.daemonKill),
  'gateway-down': () => import('./gateway-down.mjs').then((m) => m.gatewayDown),
  'disk-full': () => import('./disk-full.mjs').then((m) => m.diskFull),
};

const wanted = only.length ? only : Object.keys(SCENARIOS);
for (const w of wanted) {
  if (!SCENARIOS[w]) {
    process.stderr.write(`unknown scenario '${w}' (${Object.keys(SCENARIOS).join(', ')})\n`);
    process.exit(2);
  }
}

/** Why a scenario's result fails the run (empty: it passed). */
function verdict(r) {
  const why = [...(r.failures ?? [])];
  if (r.lost > 0) why.push(`${r.lost} lost`);
  if (r.duplicated > r.daemon_kills) why.push(`${r.duplicated} duplicated, more than the ${r.daemon_kills} daemon kill(s)`);
  if (r.daemon_crashes > 0) why.push(`the daemon exited on its own ${r.daemon_crashes} time(s)`);
  if (r.sent === 0) why.push('nothing was sent');
  return why;
}

const results = {};
const t0 = performance.now();
say(`chaos: ${quick ? 'quick' : 'full'} run, scenarios: ${wanted.join(', ')}`);
for (const w of wanted) {
  const fn = await SCENARIOS[w]();
  const t = performance.now();
  let r;
  try {
    r = await fn({ quick });
  } catch (e) {
    say(`${w} failed: ${e instanceof Error ? e.stack : String(e)}`);
    r = { sent: 0, delivered: 0, lost: 0, duplicated: 0, daemon_kills: 0, daemon_crashes: 0, failures: [`threw: ${e instanceof Error ? e.message : String(e)}`] };
  }
  const why = verdict(r);
  const { crashes, ...shown } = r;
  results[w] = { ok: why.length === 0, ...shown, ...(why.length ? { why } : {}), seconds: Math.round((performance.now() - t) / 100) / 10 };
  if (crashes) say(`${w}: daemon crashes: ${JSON.stringify(crashes)}`);
  process.stdout.write(
    `${w}: sent ${r.sent}, delivered ${r.delivered}, lost ${r.lost}, duplicated ${r.duplicated} (daemon kills ${r.daemon_kills}) — ${why.length ? `FAIL: ${why.join('; ')}` : 'ok'}\n`,
  );
}
const ok = Object.values(results).every((r) => r.ok);
say(`chaos: ${ok ? 'passed' : 'FAILED'} in ${Math.round((performance.now() - t0) / 1000)} s`);
process.stdout.write(`${JSON.stringify({ machine: machine(), quick, ok, scenarios: results })}\n`);
process.exit(ok ? 0 : 1);
