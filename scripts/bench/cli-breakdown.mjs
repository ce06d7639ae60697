#!/usr/bin/env node
/**
 * CLI start-up benchmark: wall time of `wtt help` and `wtt list` (node start-up included) against a
 * local hub on 127.0.0.1, next to a bare `node -e ''`, plus what the time goes to (module import
 * cost, measured one module per fresh process, and the phases of one `list` in process).
 *
 *   npm run build && node scripts/bench/cli-breakdown.mjs [runs=25]
 *
 * Prints one JSON object on stdout. Needs dist/ (npm run build).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'wtt');
const RUNS = Math.max(5, Number(process.argv[2] ?? 25) || 25);

if (!existsSync(join(ROOT, 'dist', 'src', 'cli.js'))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(1);
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: round(q(0.5)), p90: round(q(0.9)), min: round(s[0]), max: round(s[s.length - 1]), runs: s.length };
};
const round = (x) => Math.round(x * 10) / 10;

function timed(args, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function startHub(dataDir) {
  return new Promise((resolveHub, reject) => {
    const child = spawn(process.execPath, [BIN, 'hub', '--port', '0', '--data', dataDir], {
      env: { PATH: process.env.PATH, HOME: dataDir, WTT_SKILL_DIR: dataDir, WTT_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolveHub({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`hub exited ${code} before listening`)));
  });
}

/** One fresh process per sample: the cost of importing `spec` after node has started. */
function importCost(spec, samples = 7) {
  const url = spec.startsWith('.') ? pathToFileURL(join(ROOT, spec)).href : spec;
  const code = `const t=performance.now();await import(${JSON.stringify(url)});process.stdout.write(String(performance.now()-t));`;
  const xs = [];
  for (let i = 0; i < samples; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`import ${spec}: ${r.stderr}`);
    xs.push(Number(r.stdout));
  }
  return stats(xs).median;
}

/** The phases of one `list` inside one process: imports, context, the REST call + formatting. */
function listPhases(env, samples = 7) {
  const dist = (p) => pathToFileURL(join(ROOT, 'dist', 'src', p)).href;
  const code = `
    const t0 = performance.now();
    const { parseArgv } = await import(${JSON.stringify(dist('commands/grammar.js'))});
    const cmd = parseArgv(['list']);
    const t1 = performance.now();
    const { createContext } = await import(${JSON.stringify(dist('commands/cli-context.js'))});
    const { run } = await import(${JSON.stringify(dist('commands/run.js'))});
    const t2 = performance.now();
    const ctx = await createContext();
    const t3 = performance.now();
    const r = await run(cmd, ctx);
    const t4 = performance.now();
    if (r.exitCode !== 0) throw new Error(r.text);
    process.stdout.write(JSON.stringify({ grammar: t1 - t0, imports: t2 - t1, context: t3 - t2, request_and_format: t4 - t3 }));
  `;
  const acc = { grammar: [], imports: [], context: [], request_and_format: [] };
  for (let i = 0; i < samples; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`list phases: ${r.stderr}`);
    const o = JSON.parse(r.stdout);
    for (const k of Object.keys(acc)) acc[k].push(o[k]);
  }
  return Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, stats(v).median]));
}

const dir = mkdtempSync(join(tmpdir(), 'wtt-bench-cli-'));
const { child: hub, url } = await startHub(join(dir, 'hub'));
try {
  const reg = await (await fetch(`${url}/agents/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
  const env = {
    PATH: process.env.PATH,
    HOME: dir,
    WTT_SKILL_DIR: dir,
    WTT_API_URL: url,
    WTT_AGENT_ID: reg.agent_id,
    WTT_AGENT_TOKEN: reg.agent_token,
  };
  for (const name of ['bench-one', 'bench-two', 'bench-three']) {
    spawnSync(process.execPath, [BIN, 'create', name, 'a topic for the benchmark'], { env });
  }
  // Warm the file cache once, then interleave the three cases so drift hits them alike.
  timed(['-e', ''], env);
  timed([BIN, 'help'], env);
  timed([BIN, 'list'], env);
  const bare = [];
  const help = [];
  const list = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(timed(['-e', ''], env));
    help.push(timed([BIN, 'help'], env));
    list.push(timed([BIN, 'list'], env));
  }
  const result = {
    node: process.version,
    runs: RUNS,
    wall_ms: { node_bare: stats(bare), wtt_help: stats(help), wtt_list: stats(list) },
    over_bare_node_ms: {
      wtt_help: round(stats(help).median - stats(bare).median),
      wtt_list: round(stats(list).median - stats(bare).median),
    },
    import_ms_fresh_process: {
      'commands/grammar (help path)': importCost('./dist/src/commands/grammar.js'),
      zod: importCost('zod'),
      undici: importCost('undici'),
      pino: importCost('pino'),
      dotenv: importCost('dotenv'),
      'config.js (zod + dotenv)': importCost('./dist/src/config.js'),
      'client/api.js (undici + zod + protocol)': importCost('./dist/src/client/api.js'),
      'commands/cli-context.js (all of list path)': importCost('./dist/src/commands/cli-context.js'),
    },
    list_phases_in_process_ms: listPhases(env),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  hub.kill('SIGTERM');
  await new Promise((r) => hub.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
