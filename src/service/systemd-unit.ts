/**
 * The systemd `--user` unit that runs `wtt daemon` (text only; systemd.ts installs it).
 *
 * - `Restart=on-failure`: a crash or a kill restarts it after `RestartSec`; a clean stop (exit 0,
 *   also "another daemon already runs") does not. `StartLimit*` stops a crash loop after 10 tries
 *   in 5 minutes instead of spinning for months.
 * - No `WatchdogSec`: that needs `sd_notify` from the process (a native library); the daemon's
 *   own supervision restarts failed children, and systemd restarts the process when it dies.
 * - The daemon reads `<skillDir>/.env` itself (and rewrites it when onboarding registers), so the
 *   unit passes only WTT_SKILL_DIR/WTT_STATE_DIR; `EnvironmentFile=` only for an extra `--extra-env-file`
 *   (values there win over `.env`, as any environment does).
 * - stdout/stderr are appended to `<stateDir>/logs/daemon.{out,err}` (never /tmp).
 */
import type { ServiceSpec } from './spec.js';

/** systemd turns `%x` into specifiers and `$X` into variables in ExecStart: double them. */
function escapeSpecials(s: string): string {
  return s.replace(/%/g, '%%').replace(/\$/g, '$$$$');
}

/** One double-quoted word for ExecStart/Environment (backslash and quote escaped). */
export function systemdQuote(s: string): string {
  return `"${escapeSpecials(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function systemdUnitName(spec: Pick<ServiceSpec, 'name'>): string {
  return `${spec.name}.service`;
}

export function systemdUnit(spec: ServiceSpec): string {
  const env = (k: string, v: string) => `Environment=${systemdQuote(`${k}=${v}`)}`;
  const lines = [
    `# Written by \`wtt service install\` (wtt ${spec.version}); \`wtt service uninstall\` removes it.`,
    `# Configuration: ${spec.skillDir}/.env (read by wtt itself). Logs: ${spec.logDir}.`,
    '[Unit]',
    `Description=wtt daemon: WTT agent network runtime for ${spec.skillDir.replace(/%/g, '%%')}`,
    'After=network-online.target',
    'Wants=network-online.target',
    'StartLimitIntervalSec=300',
    'StartLimitBurst=10',
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${systemdQuote(spec.skillDir)}`,
    env('WTT_SKILL_DIR', spec.skillDir),
    env('WTT_STATE_DIR', spec.stateDir),
    env('PATH', spec.path),
    env('NODE_ENV', 'production'),
    ...(spec.envFile ? [`EnvironmentFile=-${escapeSpecials(spec.envFile)}`] : []),
    `ExecStart=${[spec.nodePath, spec.binPath, 'daemon'].map(systemdQuote).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=5',
    'TimeoutStopSec=20',
    'KillSignal=SIGTERM',
    `StandardOutput=append:${escapeSpecials(spec.logDir)}/daemon.out`,
    `StandardError=append:${escapeSpecials(spec.logDir)}/daemon.err`,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ];
  return lines.join('\n');
}
