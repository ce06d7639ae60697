/**
 * The service scripts (scripts/*_autopoll.sh → `wtt service …`) against a temp HOME and
 * XDG_CONFIG_HOME, with `systemctl`/`launchctl` replaced by recording fakes on PATH
 * (test/fakes/service-manager.ts): the unit or plist written is the one that runs this node's
 * `bin/wtt daemon`, re-running changes nothing, uninstall removes it. The nohup fallback starts a
 * real daemon against a real hub, and `wtt status` then answers. Needs `npm run build`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemdUnit } from '../../src/service/systemd-unit.js';
import { serviceSpec } from '../../src/service/spec.js';
import { VERSION } from '../../src/version.js';
import { writeFakeServiceManagers, type FakeServiceManagers } from '../fakes/service-manager.js';
import { startHub, type StartedHub } from '../helpers/hub.js';
import { assertBuilt, ROOT, runCli } from './cli-helpers.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function script(name: string, args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', [join(ROOT, 'scripts', name), ...args], { cwd: ROOT, env: { WTT_NODE: process.execPath, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

interface Home {
  home: string;
  skill: string;
  xdg: string;
  fakes: FakeServiceManagers;
  env: Record<string, string>;
}

function tempHome(extra: Record<string, string> = {}): Home {
  const home = mkdtempSync(join(tmpdir(), 'wtt-svc-'));
  const skill = join(home, '.openclaw', 'workspace', 'skills', 'wtt-skill');
  mkdirSync(skill, { recursive: true });
  const xdg = join(home, 'xdg-config');
  const fakes = writeFakeServiceManagers(mkdtempSync(join(tmpdir(), 'wtt-fake-sm-')));
  return { home, skill, xdg, fakes, env: fakes.env({ HOME: home, XDG_CONFIG_HOME: xdg, WTT_SKILL_DIR: skill, ...extra }) };
}

const stopping: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const s of stopping.splice(0).reverse()) await s();
});

describe('wtt service (systemd --user)', () => {
  it('writes the unit into XDG_CONFIG_HOME, enables and starts it, and changes nothing when run again', async () => {
    assertBuilt();
    const h = tempHome();
    const first = await script('install_autopoll.sh', [], h.env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const unitPath = join(h.xdg, 'systemd', 'user', 'wtt.service');
    expect(first.stdout).toContain(`service (systemd): ${unitPath} created; daemon-reload, enable wtt.service, start wtt.service`);
    const unit = readFileSync(unitPath, 'utf8');
    expect(unit).toBe(systemdUnit(serviceSpec({ name: 'wtt', config: { skillDir: h.skill, stateDir: join(h.skill, '.wtt') }, version: VERSION })));
    expect(unit).toContain(`ExecStart="${process.execPath}" "${join(ROOT, 'bin', 'wtt')}" "daemon"`);
    expect(unit).toContain(`WorkingDirectory="${h.skill}"`);
    expect(unit).toContain('Restart=on-failure');
    expect(existsSync(join(h.skill, '.wtt', 'logs'))).toBe(true);
    expect(h.fakes.changes().map((c) => c.argv.join(' '))).toEqual(['--user daemon-reload', '--user enable wtt.service', '--user start wtt.service']);
    // OpenClaw's config is missing here: nothing is patched, nothing said about it.
    expect(first.stdout).not.toContain('gateway.tools.allow');

    const mtime = statSync(unitPath).mtimeMs;
    const before = h.fakes.changes().length;
    const second = await script('install_autopoll.sh', [], h.env);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`${unitPath} unchanged; nothing to do`);
    expect(statSync(unitPath).mtimeMs).toBe(mtime);
    expect(h.fakes.changes().length).toBe(before);

    const status = await script('status_autopoll.sh', ['--json'], h.env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ kind: 'systemd', file: unitPath, installed: true, up_to_date: true, state: 'active', enabled: true, daemon_answers: false });

    const removed = await script('uninstall_autopoll.sh', [], h.env);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`removed ${unitPath}; disable --now wtt.service, daemon-reload`);
    expect(existsSync(unitPath)).toBe(false);
    const after = await script('status_autopoll.sh', [], h.env);
    expect(after.code).toBe(3);
    expect(after.stdout).toContain('service (systemd): not installed');
    expect((await script('uninstall_autopoll.sh', [], h.env)).stdout).toContain('nothing installed');
  });

  it('rewrites a changed unit, reloads and restarts the running service', async () => {
    assertBuilt();
    const h = tempHome();
    expect((await script('install_autopoll.sh', [], h.env)).code).toBe(0);
    const n = h.fakes.changes().length;
    const r = await script('install_autopoll.sh', ['--extra-env-file', join(h.home, 'extra.env')], h.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('updated; daemon-reload, restart wtt.service');
    expect(readFileSync(join(h.xdg, 'systemd', 'user', 'wtt.service'), 'utf8')).toContain(`EnvironmentFile=-${join(h.home, 'extra.env')}`);
    expect(h.fakes.changes().slice(n).map((c) => c.argv.join(' '))).toEqual(['--user daemon-reload', '--user restart wtt.service']);
  });

  it('runs a second agent beside the first under another name', async () => {
    assertBuilt();
    const h = tempHome();
    expect((await script('install_autopoll.sh', [], h.env)).code).toBe(0);
    const other = join(h.home, 'second-skill');
    mkdirSync(other);
    const r = await script('install_autopoll.sh', ['--name', 'wtt-second'], { ...h.env, WTT_SKILL_DIR: other });
    expect(r.code).toBe(0);
    expect(readFileSync(join(h.xdg, 'systemd', 'user', 'wtt-second.service'), 'utf8')).toContain(`Environment="WTT_SKILL_DIR=${other}"`);
    expect(readFileSync(join(h.xdg, 'systemd', 'user', 'wtt.service'), 'utf8')).toContain(`Environment="WTT_SKILL_DIR=${h.skill}"`);
  });

  it('patches gateway.tools.allow in openclaw.json only with --allow-gateway-tools', async () => {
    assertBuilt();
    const h = tempHome();
    const oc = join(h.home, '.openclaw', 'openclaw.json');
    writeFileSync(oc, JSON.stringify({ gateway: { auth: { mode: 'token', token: 'gw-token-not-printed' } } }), { mode: 0o600 });
    const asked = await script('install_autopoll.sh', [], h.env);
    expect(asked.stdout).toContain('re-run with --allow-gateway-tools');
    expect(JSON.parse(readFileSync(oc, 'utf8'))).toEqual({ gateway: { auth: { mode: 'token', token: 'gw-token-not-printed' } } });
    const patched = await script('install_autopoll.sh', ['--allow-gateway-tools'], h.env);
    expect(patched.stdout).toContain(`added sessions_spawn, sessions_send, sessions_history, sessions_list to gateway.tools.allow in ${oc}`);
    expect(`${asked.stdout}${asked.stderr}${patched.stdout}${patched.stderr}`).not.toContain('gw-token-not-printed');
    expect((JSON.parse(readFileSync(oc, 'utf8')) as { gateway: { tools: { allow: string[] } } }).gateway.tools.allow).toHaveLength(4);
  });
});

describe('wtt service (launchd)', () => {
  it('writes the plist into ~/Library/LaunchAgents, bootstraps it once and boots it out on uninstall', async () => {
    assertBuilt();
    const h = tempHome();
    const uid = process.getuid?.() ?? 501;
    const r = await script('install_autopoll.sh', ['--manager', 'launchd'], h.env);
    expect(r.stderr).toBe('');
    const plist = join(h.home, 'Library', 'LaunchAgents', 'ai.wtt.wtt.plist');
    expect(r.stdout).toContain(`service (launchd): ${plist} created; bootstrap gui/${uid} ${plist}`);
    const text = readFileSync(plist, 'utf8');
    expect(text).toContain(`<string>${process.execPath}</string>`);
    expect(text).toContain(`<key>WorkingDirectory</key><string>${h.skill}</string>`);
    expect((await script('install_autopoll.sh', ['--manager', 'launchd'], h.env)).stdout).toContain('unchanged; nothing to do');
    expect(h.fakes.changes().map((c) => c.argv.join(' '))).toEqual([`bootstrap gui/${uid} ${plist}`]);
    // status and uninstall find the installed plist by themselves.
    const status = await script('status_autopoll.sh', ['--json'], h.env);
    expect(JSON.parse(status.stdout)).toMatchObject({ kind: 'launchd', installed: true, up_to_date: true, state: 'running', pid: 5000 });
    const removed = await script('uninstall_autopoll.sh', [], h.env);
    expect(removed.stdout).toContain(`removed ${plist}; bootout gui/${uid}/ai.wtt.wtt`);
    expect(existsSync(plist)).toBe(false);
  });
});

describe('wtt service (nohup fallback)', () => {
  let hub: StartedHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it('starts a real daemon where systemd has no user bus, which then answers wtt status, and stops it on uninstall', async () => {
    assertBuilt();
    hub = await startHub();
    const h = tempHome({ FAKE_SYSTEMCTL_MODE: 'nobus', WTT_API_URL: hub.url, WTT_LOG_LEVEL: 'warn' });
    stopping.push(() => script('uninstall_autopoll.sh', ['--manager', 'nohup'], h.env));
    const r = await script('install_autopoll.sh', [], h.env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/service \(nohup\): .*service\.json created; start \d+/);
    expect(r.stdout).toContain('nothing restarts it after a crash or a reboot');
    const pid = Number(/start (\d+)/.exec(r.stdout)?.[1]);

    const status = await waitUntil(async () => {
      const s = await runCli(['status', '--json'], h.env);
      return s.code === 0 && (JSON.parse(s.stdout) as { agent_id: string | null }).agent_id ? s : undefined;
    });
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pid, state_dir: join(h.skill, '.wtt'), api_url: hub.url });
    expect((await script('install_autopoll.sh', [], h.env)).stdout).toContain('unchanged; nothing to do');
    const svc = await script('status_autopoll.sh', ['--json'], h.env);
    expect(JSON.parse(svc.stdout)).toMatchObject({ kind: 'nohup', state: 'running', pid, daemon_answers: true });

    const removed = await script('uninstall_autopoll.sh', [], h.env);
    expect(removed.stdout).toContain(`stop ${pid}`);
    await waitUntil(async () => ((await runCli(['status'], h.env)).code === 3 ? true : undefined));
    expect(readFileSync(join(h.skill, '.wtt', 'logs', 'daemon.err'), 'utf8')).not.toContain('Error');
  });
});

/** Re-asks until `probe` gives a value (each probe is a real request; the test's own timeout bounds it). */
async function waitUntil<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}
