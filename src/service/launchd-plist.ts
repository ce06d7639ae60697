/**
 * The launchd agent (`~/Library/LaunchAgents/<label>.plist`) that runs `wtt daemon` on macOS
 * (text only; launchd.ts installs it). `KeepAlive.SuccessfulExit=false` is launchd's
 * `Restart=on-failure`: restarted after a crash, not after a clean exit; `ThrottleInterval`
 * spaces the restarts. stdout/stderr go to `<stateDir>/logs/daemon.{out,err}`.
 */
import type { ServiceSpec } from './spec.js';

export function launchdLabel(spec: Pick<ServiceSpec, 'name'>): string {
  return `ai.wtt.${spec.name}`;
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const str = (s: string) => `<string>${xmlEscape(s)}</string>`;

export function launchdPlist(spec: ServiceSpec): string {
  const env: [string, string][] = [
    ['WTT_SKILL_DIR', spec.skillDir],
    ['WTT_STATE_DIR', spec.stateDir],
    ['PATH', spec.path],
    ['NODE_ENV', 'production'],
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    `<!-- Written by wtt service install (wtt ${xmlEscape(spec.version).replace(/--/g, '- -')}); wtt service uninstall removes it. -->`,
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key>${str(launchdLabel(spec))}`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...[spec.nodePath, spec.binPath, 'daemon'].map((a) => `    ${str(a)}`),
    '  </array>',
    `  <key>WorkingDirectory</key>${str(spec.skillDir)}`,
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    ...env.map(([k, v]) => `    <key>${k}</key>${str(v)}`),
    '  </dict>',
    '  <key>RunAtLoad</key><true/>',
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key><false/>',
    '  </dict>',
    '  <key>ThrottleInterval</key><integer>5</integer>',
    '  <key>ExitTimeOut</key><integer>20</integer>',
    '  <key>ProcessType</key><string>Background</string>',
    `  <key>StandardOutPath</key>${str(`${spec.logDir}/daemon.out`)}`,
    `  <key>StandardErrorPath</key>${str(`${spec.logDir}/daemon.err`)}`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
