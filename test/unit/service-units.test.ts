/**
 * The service definitions as text: the systemd --user unit and the launchd plist that run
 * `wtt daemon`, the spec they come from, the argument parser, and the gateway.tools.allow patch.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config.js';
import { ensureGatewayTools, SESSION_TOOLS } from '../../src/service/gateway-tools.js';
import { launchdLabel, launchdPlist } from '../../src/service/launchd-plist.js';
import { parseServiceArgs } from '../../src/service/main.js';
import { serviceSpec } from '../../src/service/spec.js';
import { systemdQuote, systemdUnit, systemdUnitName } from '../../src/service/systemd-unit.js';

const spec = (over: Partial<Parameters<typeof serviceSpec>[0]> = {}) =>
  serviceSpec({
    name: 'wtt',
    config: { skillDir: '/home/ann/.openclaw/workspace/skills/wtt-skill', stateDir: '/home/ann/.openclaw/workspace/skills/wtt-skill/.wtt' },
    nodePath: '/opt/node-24/bin/node',
    version: '0.1.0',
    ...over,
  });

/** `Key=value` lines of one section of a unit file. */
function section(unit: string, name: string): string[] {
  const start = unit.indexOf(`[${name}]\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = unit.slice(start + name.length + 3);
  const end = rest.search(/^\[/m);
  return (end < 0 ? rest : rest.slice(0, end)).split('\n').filter((l) => l && !l.startsWith('#'));
}

describe('service spec', () => {
  it('uses the given node, the repository bin/wtt and a PATH that starts with the node folder when built', () => {
    const s = spec();
    expect(s.nodePath).toBe('/opt/node-24/bin/node');
    expect(s.binPath).toBe(join(REPO_ROOT, 'bin', 'wtt'));
    expect(s.logDir).toBe('/home/ann/.openclaw/workspace/skills/wtt-skill/.wtt/logs');
    expect(s.path.split(':')).toEqual(['/opt/node-24/bin', '/usr/local/bin', '/usr/bin', '/bin']);
  });

  it('defaults the node to the one running now when none is given', () => {
    expect(spec({ nodePath: undefined }).nodePath).toBe(process.execPath);
  });

  it('refuses a path with a line break, a relative path and a bad name when built', () => {
    expect(() => spec({ config: { skillDir: '/x\n[Service]', stateDir: '/x/.wtt' } })).toThrow(/control characters/);
    expect(() => spec({ envFile: 'relative.env' })).toThrow(/--extra-env-file must be an absolute path/);
    expect(() => spec({ name: '../evil' })).toThrow(/--name/);
    expect(() => spec({ name: '' })).toThrow(/--name/);
  });
});

describe('systemd unit', () => {
  it('runs `node bin/wtt daemon` in the skill dir, restarting on failure, logging into the state dir', () => {
    const s = spec();
    const unit = systemdUnit(s);
    expect(systemdUnitName(s)).toBe('wtt.service');
    const service = section(unit, 'Service');
    expect(service).toContain(`ExecStart="/opt/node-24/bin/node" "${join(REPO_ROOT, 'bin', 'wtt')}" "daemon"`);
    expect(service).toContain('WorkingDirectory="/home/ann/.openclaw/workspace/skills/wtt-skill"');
    expect(service).toContain('Environment="WTT_SKILL_DIR=/home/ann/.openclaw/workspace/skills/wtt-skill"');
    expect(service).toContain('Environment="WTT_STATE_DIR=/home/ann/.openclaw/workspace/skills/wtt-skill/.wtt"');
    expect(service).toContain('Environment="PATH=/opt/node-24/bin:/usr/local/bin:/usr/bin:/bin"');
    expect(service).toContain('Restart=on-failure');
    expect(service).toContain('RestartSec=5');
    expect(service).toContain('StandardOutput=append:/home/ann/.openclaw/workspace/skills/wtt-skill/.wtt/logs/daemon.out');
    expect(service).toContain('StandardError=append:/home/ann/.openclaw/workspace/skills/wtt-skill/.wtt/logs/daemon.err');
    expect(unit).not.toContain('/tmp');
    expect(section(unit, 'Unit')).toEqual(expect.arrayContaining(['StartLimitIntervalSec=300', 'StartLimitBurst=10']));
    expect(section(unit, 'Install')).toEqual(['WantedBy=default.target']);
  });

  it('loads no environment file unless one is given, and then only optionally (-)', () => {
    expect(systemdUnit(spec())).not.toContain('EnvironmentFile');
    expect(section(systemdUnit(spec({ envFile: '/home/ann/wtt.env' })), 'Service')).toContain('EnvironmentFile=-/home/ann/wtt.env');
  });

  it('quotes spaces, quotes, backslashes, % specifiers and $ variables in paths', () => {
    expect(systemdQuote('/a b/"c"\\d')).toBe('"/a b/\\"c\\"\\\\d"');
    expect(systemdQuote('/100%/$HOME')).toBe('"/100%%/$$HOME"');
    const unit = systemdUnit(spec({ config: { skillDir: '/home/ann/my skills/100%', stateDir: '/home/ann/state' } }));
    expect(unit).toContain('WorkingDirectory="/home/ann/my skills/100%%"');
  });

  it('is the same text for the same spec (a re-install compares bytes)', () => {
    expect(systemdUnit(spec())).toBe(systemdUnit(spec()));
  });
});

describe('launchd plist', () => {
  it('runs the same command as a KeepAlive-on-failure agent with logs in the state dir', () => {
    const s = spec();
    const plist = launchdPlist(s);
    expect(launchdLabel(s)).toBe('ai.wtt.wtt');
    expect(plist).toContain('<key>Label</key><string>ai.wtt.wtt</string>');
    const args = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(plist)?.[1];
    expect([...(args ?? '').matchAll(/<string>([^<]*)<\/string>/g)].map((m) => m[1])).toEqual(['/opt/node-24/bin/node', join(REPO_ROOT, 'bin', 'wtt'), 'daemon']);
    expect(plist).toContain('<key>WorkingDirectory</key><string>/home/ann/.openclaw/workspace/skills/wtt-skill</string>');
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key><false\/>/);
    expect(plist).toContain('<key>RunAtLoad</key><true/>');
    expect(plist).toContain('<key>StandardOutPath</key><string>/home/ann/.openclaw/workspace/skills/wtt-skill/.wtt/logs/daemon.out</string>');
    expect(plist).toContain('<key>WTT_STATE_DIR</key><string>/home/ann/.openclaw/workspace/skills/wtt-skill/.wtt</string>');
    expect(plist).not.toContain('/tmp');
  });

  it('escapes XML in paths so that the plist stays well formed', () => {
    const plist = launchdPlist(spec({ config: { skillDir: '/Users/a&b/<x>', stateDir: '/Users/a&b/s' } }));
    expect(plist).toContain('<string>/Users/a&amp;b/&lt;x&gt;</string>');
    expect(plist).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
  });
});

describe('wtt service arguments', () => {
  it('reads the verb and the options', () => {
    expect(parseServiceArgs(['install', '--manager', 'nohup', '--name', 'second', '--extra-env-file', '/e', '--allow-gateway-tools', '--json'])).toEqual({
      verb: 'install', manager: 'nohup', name: 'second', envFile: '/e', allowGatewayTools: true, json: true,
    });
    expect(parseServiceArgs(['status'])).toMatchObject({ verb: 'status', manager: 'auto', name: 'wtt' });
  });

  it.each([
    [['start'], /unknown verb 'start'/],
    [[], /say install, uninstall or status/],
    [['install', '--manager', 'upstart'], /--manager must be/],
    [['install', '--name'], /--name needs a value/],
    [['status', '--allow-gateway-tools'], /unknown option/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseServiceArgs(argv)).toThrow(message);
  });
});

describe('gateway.tools.allow', () => {
  const file = (content: object) => {
    const p = join(mkdtempSync(join(tmpdir(), 'wtt-oc-')), 'openclaw.json');
    writeFileSync(p, JSON.stringify(content), { mode: 0o600 });
    return p;
  };

  it('only names the missing tools without consent, and leaves the file as it was', () => {
    const p = file({ gateway: { auth: { token: 'gw-secret-token' }, tools: { allow: ['sessions_list'] } } });
    const before = readFileSync(p, 'utf8');
    expect(ensureGatewayTools(p, false)).toEqual({ file: p, outcome: 'needs-consent', missing: ['sessions_spawn', 'sessions_send', 'sessions_history'] });
    expect(readFileSync(p, 'utf8')).toBe(before);
  });

  it('adds them with consent, keeps everything else and the mode, and changes nothing the second time', () => {
    const p = file({ gateway: { port: 18789, auth: { token: 'gw-secret-token' } }, channels: { telegram: { enabled: true } } });
    expect(ensureGatewayTools(p, true).outcome).toBe('patched');
    const after = JSON.parse(readFileSync(p, 'utf8')) as { gateway: { port: number; auth: { token: string }; tools: { allow: string[] } }; channels: unknown };
    expect(after.gateway.tools.allow).toEqual([...SESSION_TOOLS]);
    expect(after.gateway.auth.token).toBe('gw-secret-token');
    expect(after.gateway.port).toBe(18789);
    expect(after.channels).toEqual({ telegram: { enabled: true } });
    expect(statSync(p).mode & 0o777).toBe(0o600);
    const text = readFileSync(p, 'utf8');
    expect(ensureGatewayTools(p, true).outcome).toBe('ok');
    expect(readFileSync(p, 'utf8')).toBe(text);
  });

  it('says when there is no openclaw.json and refuses a file that is not JSON without echoing it', () => {
    expect(ensureGatewayTools('/nonexistent/openclaw.json', true).outcome).toBe('missing-file');
    const p = join(mkdtempSync(join(tmpdir(), 'wtt-oc-')), 'openclaw.json');
    writeFileSync(p, '{ token: "gw-secret-token" ');
    expect(() => ensureGatewayTools(p, true)).toThrow(/is not JSON/);
    try {
      ensureGatewayTools(p, true);
    } catch (e) {
      expect(String(e)).not.toContain('gw-secret-token');
    }
  });
});
