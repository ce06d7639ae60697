/**
 * Fake `systemctl` and `launchctl` executables (node scripts in a temp dir that a test puts first on
 * PATH). Each run appends `{ cmd, argv }` to `calls.jsonl`; a small state file remembers what was
 * enabled, started or loaded, so that the answers follow the calls as the real managers' do:
 *
 *   systemctl --user show-environment | daemon-reload | enable U | disable --now U | start U |
 *     restart U | is-enabled U | is-active U | show --property=MainPID --value U
 *   launchctl print gui/<uid>[/<label>] | bootstrap gui/<uid> <plist> | bootout gui/<uid>/<label>
 *
 * `FAKE_SYSTEMCTL_MODE=nobus` makes every systemctl call fail as it does without a user bus.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeCall {
  cmd: 'systemctl' | 'launchctl';
  argv: string[];
}

export interface FakeServiceManagers {
  dir: string;
  calls(): FakeCall[];
  /** The calls that change something (not the questions). */
  changes(): FakeCall[];
  /** PATH with the fakes first, and their log and state files. */
  env(extra?: Record<string, string>): Record<string, string>;
}

const COMMON = `
const fs = require('node:fs');
const cmd = require('node:path').basename(process.argv[1]);
const argv = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_SM_LOG, JSON.stringify({ cmd, argv }) + '\\n');
const statePath = process.env.FAKE_SM_STATE;
const state = fs.existsSync(statePath) ? JSON.parse(fs.readFileSync(statePath, 'utf8')) : { enabled: {}, active: {}, loaded: {} };
const save = () => fs.writeFileSync(statePath, JSON.stringify(state));
const say = (s, code = 0) => { if (s) process.stdout.write(s + '\\n'); process.exit(code); };
`;

const SYSTEMCTL = `#!/usr/bin/env node
${COMMON}
if (process.env.FAKE_SYSTEMCTL_MODE === 'nobus') { process.stderr.write('Failed to connect to bus: No medium found\\n'); process.exit(1); }
if (argv[0] !== '--user') { process.stderr.write('fake systemctl: only --user\\n'); process.exit(2); }
const [verb, ...rest] = argv.slice(1);
const unit = rest[rest.length - 1];
switch (verb) {
  case 'show-environment': say('HOME=' + process.env.HOME);
  case 'daemon-reload': say('');
  case 'enable': state.enabled[unit] = true; save(); say('Created symlink.');
  case 'disable': delete state.enabled[unit]; if (rest.includes('--now')) delete state.active[unit]; save(); say('Removed symlink.');
  case 'start': case 'restart': state.active[unit] = 4000 + Object.keys(state.active).length; save(); say('');
  case 'stop': delete state.active[unit]; save(); say('');
  case 'is-enabled': state.enabled[unit] ? say('enabled') : say('disabled', 1);
  case 'is-active': state.active[unit] ? say('active') : say('inactive', 3);
  case 'show': say(String(state.active[unit] || 0));
  default: process.stderr.write('fake systemctl: unknown verb ' + verb + '\\n'); process.exit(2);
}
`;

const LAUNCHCTL = `#!/usr/bin/env node
${COMMON}
const [verb, a, b] = argv;
switch (verb) {
  case 'print':
    if (/^gui\\/\\d+$/.test(a)) say('gui/501 = {}');
    state.loaded[a] ? say(a + ' = {\\n\\tstate = running\\n\\tpid = ' + state.loaded[a] + '\\n}') : say('Could not find service in domain', 113);
  case 'bootstrap': {
    const label = /<key>Label<\\/key><string>([^<]+)<\\/string>/.exec(fs.readFileSync(b, 'utf8'))[1];
    state.loaded[a + '/' + label] = 5000 + Object.keys(state.loaded).length; save(); say('');
  }
  case 'bootout': if (!state.loaded[a]) say('Boot-out failed: 3: No such process', 3); delete state.loaded[a]; save(); say('');
  default: process.stderr.write('fake launchctl: unknown verb ' + verb + '\\n'); process.exit(2);
}
`;

const QUESTIONS = new Set(['show-environment', 'is-enabled', 'is-active', 'show', 'print']);

export function writeFakeServiceManagers(dir = mkdtempSync(join(tmpdir(), 'wtt-fake-sm-'))): FakeServiceManagers {
  const log = join(dir, 'calls.jsonl');
  const stateFile = join(dir, 'state.json');
  for (const [name, text] of [['systemctl', SYSTEMCTL], ['launchctl', LAUNCHCTL]] as const) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  const calls = (): FakeCall[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as FakeCall) : []);
  return {
    dir,
    calls,
    changes: () => calls().filter((c) => !QUESTIONS.has((c.cmd === 'systemctl' ? c.argv[1] : c.argv[0]) ?? '')),
    env: (extra = {}) => ({ PATH: `${dir}:${process.env.PATH ?? ''}`, FAKE_SM_LOG: log, FAKE_SM_STATE: stateFile, ...extra }),
  };
}
