/**
 * A fake `openclaw` executable for the CLI fallback: a node script written into a temp dir that a
 * test puts first on PATH (or names in OPENCLAW_BIN). Each run appends one JSON line to `log` with
 * its argv and whether our own secrets reached its environment. `FAKE_OPENCLAW_MODE` picks the
 * answer: `ok` (prints a message id), `config` (OpenClaw's "Config invalid"), `fail`, `hang`.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeOpenclawRun {
  argv: string[];
  sawAgentToken: boolean;
}

export interface FakeOpenclawBin {
  dir: string;
  bin: string;
  log: string;
  runs(): FakeOpenclawRun[];
  /** An environment with the fake first on PATH and the given mode. */
  env(mode?: 'ok' | 'config' | 'fail' | 'hang', extra?: Record<string, string>): NodeJS.ProcessEnv;
}

const SCRIPT = `#!/usr/bin/env node
const fs = require('node:fs');
fs.appendFileSync(process.env.FAKE_OPENCLAW_LOG, JSON.stringify({ argv: process.argv.slice(2), sawAgentToken: 'WTT_AGENT_TOKEN' in process.env }) + '\\n');
const mode = process.env.FAKE_OPENCLAW_MODE || 'ok';
if (mode === 'ok') { console.log('Sent via ' + process.argv[4] + '. Message ID: ' + (7000 + fs.readFileSync(process.env.FAKE_OPENCLAW_LOG, 'utf8').trim().split('\\n').length)); process.exit(0); }
if (mode === 'config') { console.error('Config invalid\\nUnrecognized key: "bogus" at channels.telegram'); process.exit(1); }
if (mode === 'fail') { console.error('Error: chat not found'); process.exit(3); }
setTimeout(() => {}, 600000);
`;

export function writeFakeOpenclaw(dir: string): FakeOpenclawBin {
  const bin = join(dir, 'openclaw');
  const log = join(dir, 'openclaw-runs.jsonl');
  writeFileSync(bin, SCRIPT);
  chmodSync(bin, 0o755);
  return {
    dir,
    bin,
    log,
    runs: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeOpenclawRun) : []),
    env: (mode = 'ok', extra = {}) => ({ PATH: `${dir}:${process.env.PATH ?? ''}`, FAKE_OPENCLAW_LOG: log, FAKE_OPENCLAW_MODE: mode, ...extra }),
  };
}
