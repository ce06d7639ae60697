/**
 * systemd --user: the unit in `$XDG_CONFIG_HOME/systemd/user/<name>.service` (default
 * `~/.config/systemd/user`), enabled for `default.target` and started. Re-running with the same
 * unit only asks systemctl (is-enabled, is-active) and changes nothing.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readText, removeFile, writeIfChanged } from './files.js';
import { mustRun, type InstallResult, type ManagerDeps, type ServiceManager, type ServiceStatus } from './manager.js';
import { systemdUnit, systemdUnitName } from './systemd-unit.js';
import { mkdirSync } from 'node:fs';

export function systemdUnitDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  return join(xdg && xdg.startsWith('/') ? xdg : join(env.HOME || homedir(), '.config'), 'systemd', 'user');
}

export function systemdManager({ spec, run, env }: ManagerDeps): ServiceManager {
  const unit = systemdUnitName(spec);
  const file = join(systemdUnitDir(env), unit);
  const ctl = (...args: string[]) => run('systemctl', ['--user', ...args]);
  const word = async (...args: string[]) => (await ctl(...args)).stdout.trim().split('\n')[0] ?? '';

  return {
    kind: 'systemd',
    file,
    render: () => systemdUnit(spec),
    async available() {
      const r = await ctl('show-environment');
      return r.code === 0;
    },
    async install(): Promise<InstallResult> {
      mkdirSync(spec.logDir, { recursive: true });
      const change = writeIfChanged(file, systemdUnit(spec));
      const actions: string[] = [];
      const doing = async (...args: string[]) => {
        await mustRun(run, 'systemctl', ['--user', ...args]);
        actions.push(args.join(' '));
      };
      if (change !== 'unchanged') await doing('daemon-reload');
      if ((await word('is-enabled', unit)) !== 'enabled') await doing('enable', unit);
      const active = (await word('is-active', unit)) === 'active';
      if (!active) await doing('start', unit);
      else if (change !== 'unchanged') await doing('restart', unit);
      return {
        kind: 'systemd',
        file,
        file_change: change,
        actions,
        notes: [
          `logs: ${spec.logDir} (journalctl --user -u ${unit} for systemd's own view)`,
          'to keep it running while you are logged out: loginctl enable-linger "$USER"',
        ],
      };
    },
    async uninstall() {
      const actions: string[] = [];
      const present = readText(file) !== undefined;
      if (present || (await word('is-active', unit)) === 'active') {
        const stop = await ctl('disable', '--now', unit);
        if (stop.code === 0) actions.push(`disable --now ${unit}`);
      }
      const removed = removeFile(file);
      if (removed) {
        await mustRun(run, 'systemctl', ['--user', 'daemon-reload']);
        actions.push('daemon-reload');
      }
      return { kind: 'systemd' as const, file, removed, actions };
    },
    async status(): Promise<ServiceStatus> {
      const text = readText(file);
      const state = (await word('is-active', unit)) || 'unknown';
      const pidText = (await word('show', '--property=MainPID', '--value', unit)) || '0';
      const pid = Number.parseInt(pidText, 10);
      return {
        kind: 'systemd',
        file,
        installed: text !== undefined,
        up_to_date: text === systemdUnit(spec),
        state,
        enabled: (await word('is-enabled', unit)) === 'enabled',
        pid: Number.isInteger(pid) && pid > 0 ? pid : null,
      };
    },
  };
}
