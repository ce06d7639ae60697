/**
 * `wtt inspect [--open]`: prints the running daemon's status page URL (it carries the page's
 * token); `--open` also opens it in the default browser (xdg-open / open). Exit 3 when no daemon runs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { controlSocketPath, daemonAnswers } from '../runtime/control.js';
import { PAGE_URL_FILE } from './page-server.js';

export const INSPECT_USAGE = `usage: wtt inspect [--open]

Prints the URL of the running daemon's local status page (127.0.0.1, with a random token; the
actor tree with each machine's statechart and current state, recent events, the connection and
counts, updated every second). --open also opens it in the default browser. The page's port is
WTT_STATUS_PORT (default 0: any free port); WTT_STATUS_PORT=off turns it off. Exit 3 when no daemon runs.`;

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${INSPECT_USAGE}\n`);
    return 0;
  }
  const bad = argv.find((a) => a !== '--open');
  if (bad) {
    process.stderr.write(`wtt inspect: unknown option '${bad}'\n${INSPECT_USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`wtt inspect: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (!(await daemonAnswers(controlSocketPath(config.stateDir)))) {
    process.stdout.write(`wtt daemon: not running (state dir ${config.stateDir})\n`);
    return 3;
  }
  let url: string;
  try {
    url = readFileSync(join(config.stateDir, PAGE_URL_FILE), 'utf8').trim();
  } catch {
    process.stderr.write('wtt inspect: the daemon runs without its status page (WTT_STATUS_PORT=off, or its port was taken: see its log)\n');
    return 1;
  }
  process.stdout.write(`${url}\n`);
  if (argv.includes('--open')) {
    const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.once('error', () => process.stderr.write(`wtt inspect: could not run ${opener}; open the URL yourself\n`));
    child.unref();
  }
  return 0;
}
