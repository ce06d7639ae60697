/**
 * launchd (macOS): the agent in `~/Library/LaunchAgents/<label>.plist`, bootstrapped into the
 * user's `gui/<uid>` domain. A changed plist is booted out and in again; the same plist with the
 * agent loaded changes nothing.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readText, removeFile, writeIfChanged } from './files.js';
import { launchdLabel, launchdPlist } from './launchd-plist.js';
import { mustRun, type InstallResult, type ManagerDeps, type ServiceManager, type ServiceStatus } from './manager.js';

export function launchAgentsDir(env: NodeJS.ProcessEnv): string {
  return join(env.HOME || homedir(), 'Library', 'LaunchAgents');
}

export function launchdManager({ spec, run, env }: ManagerDeps & { uid?: number }): ServiceManager {
  const label = launchdLabel(spec);
  const file = join(launchAgentsDir(env), `${label}.plist`);
  const domain = `gui/${process.getuid?.() ?? 501}`;
  const target = `${domain}/${label}`;
  const loaded = async () => {
    const r = await run('launchctl', ['print', target]);
    return { loaded: r.code === 0, text: r.stdout };
  };

  return {
    kind: 'launchd',
    file,
    render: () => launchdPlist(spec),
    async available() {
      const r = await run('launchctl', ['print', domain]);
      return r.code === 0;
    },
    async install(): Promise<InstallResult> {
      mkdirSync(spec.logDir, { recursive: true });
      const change = writeIfChanged(file, launchdPlist(spec));
      const actions: string[] = [];
      const doing = async (...args: string[]) => {
        await mustRun(run, 'launchctl', args);
        actions.push(args.join(' '));
      };
      const now = await loaded();
      if (now.loaded && change !== 'unchanged') await doing('bootout', target);
      if (!now.loaded || change !== 'unchanged') await doing('bootstrap', domain, file);
      return { kind: 'launchd', file, file_change: change, actions, notes: [`logs: ${spec.logDir}`] };
    },
    async uninstall() {
      const actions: string[] = [];
      if ((await loaded()).loaded) {
        await mustRun(run, 'launchctl', ['bootout', target]);
        actions.push(`bootout ${target}`);
      }
      return { kind: 'launchd' as const, file, removed: removeFile(file), actions };
    },
    async status(): Promise<ServiceStatus> {
      const text = readText(file);
      const now = await loaded();
      const state = now.loaded ? (/^\s*state = (.+)$/m.exec(now.text)?.[1]?.trim() ?? 'loaded') : 'not loaded';
      const pid = Number.parseInt(/^\s*pid = (\d+)$/m.exec(now.text)?.[1] ?? '', 10);
      return {
        kind: 'launchd',
        file,
        installed: text !== undefined,
        up_to_date: text === launchdPlist(spec),
        state,
        enabled: now.loaded,
        pid: Number.isInteger(pid) && pid > 0 ? pid : null,
      };
    },
  };
}
