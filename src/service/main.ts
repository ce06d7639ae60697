/**
 * `wtt service install|uninstall|status`: keeps `wtt daemon` running as a user service (systemd
 * --user on Linux, launchd on macOS, a detached process where neither answers). The scripts
 * scripts/install_autopoll.sh, status_autopoll.sh and uninstall_autopoll.sh call these.
 */
import { loadConfig } from '../config.js';
import { WttError } from '../errors.js';
import { controlSocketPath, daemonAnswers } from '../runtime/control.js';
import { VERSION } from '../version.js';
import { existsSync } from 'node:fs';
import { ensureGatewayTools, type GatewayToolsResult } from './gateway-tools.js';
import { launchdManager } from './launchd.js';
import type { ManagerDeps, ManagerKind, ServiceManager } from './manager.js';
import { nohupManager } from './nohup.js';
import { spawnRunner, type Runner } from './runner.js';
import { serviceSpec } from './spec.js';
import { systemdManager } from './systemd.js';

export const SERVICE_USAGE = `usage: wtt service install [--manager auto|systemd|launchd|nohup] [--name NAME] [--extra-env-file PATH] [--allow-gateway-tools] [--json]
       wtt service uninstall [--manager …] [--name NAME] [--json]
       wtt service status [--manager …] [--name NAME] [--json]

install   writes a systemd --user unit (Linux) or a launchd agent (macOS) that runs \`wtt daemon\`
          with this node (${process.execPath}) in the skill dir, restarted on failure, and starts
          it; where neither manager answers, starts the daemon detached (nohup). Re-running with
          the same settings changes nothing. --extra-env-file adds an environment file for the manager
          to load. --allow-gateway-tools adds the sessions_* tools to gateway.tools.allow in
          openclaw.json (task execution needs them); without it install only says they are missing.
uninstall stops the service and removes its file.
status    the manager's view (exit 0 when it runs, 3 when not) and whether the daemon answers.
--name    default wtt: give another name to run a second agent (another WTT_SKILL_DIR) beside it.`;

export interface ServiceFlags {
  verb: 'install' | 'uninstall' | 'status';
  manager: ManagerKind | 'auto';
  name: string;
  envFile: string | undefined;
  allowGatewayTools: boolean;
  json: boolean;
}

export function parseServiceArgs(argv: readonly string[]): ServiceFlags {
  const [verb, ...rest] = argv;
  if (verb !== 'install' && verb !== 'uninstall' && verb !== 'status') {
    throw new WttError('WTT_ERR_USAGE', { message: verb === undefined ? 'say install, uninstall or status' : `unknown verb '${verb}'` });
  }
  const flags: ServiceFlags = { verb, manager: 'auto', name: 'wtt', envFile: undefined, allowGatewayTools: false, json: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new WttError('WTT_ERR_USAGE', { message: `${a} needs a value` });
      return v;
    };
    if (a === '--json') flags.json = true;
    else if (a === '--allow-gateway-tools' && verb === 'install') flags.allowGatewayTools = true;
    else if (a === '--name') flags.name = value();
    else if (a === '--extra-env-file' && verb === 'install') flags.envFile = value();
    else if (a === '--manager') {
      const m = value();
      if (m !== 'auto' && m !== 'systemd' && m !== 'launchd' && m !== 'nohup') throw new WttError('WTT_ERR_USAGE', { message: `--manager must be auto, systemd, launchd or nohup, got '${m}'` });
      flags.manager = m;
    } else throw new WttError('WTT_ERR_USAGE', { message: `unknown option '${a}'` });
  }
  return flags;
}

const FACTORIES: Record<ManagerKind, (d: ManagerDeps) => ServiceManager> = { systemd: systemdManager, launchd: launchdManager, nohup: nohupManager };

/**
 * The manager to use. `auto`: for install, the platform's (systemd on Linux, launchd on macOS) when
 * it answers, else nohup; for uninstall/status, the one whose file exists (the platform's first), else the platform's.
 */
export async function chooseManager(flags: Pick<ServiceFlags, 'manager' | 'verb'>, deps: ManagerDeps, platform: NodeJS.Platform = process.platform): Promise<ServiceManager> {
  if (flags.manager !== 'auto') return FACTORIES[flags.manager](deps);
  const native = platform === 'darwin' ? launchdManager(deps) : platform === 'linux' ? systemdManager(deps) : undefined;
  if (flags.verb !== 'install') {
    const all = [native, systemdManager(deps), launchdManager(deps), nohupManager(deps)];
    for (const m of all) if (m && existsSync(m.file)) return m;
    return native ?? nohupManager(deps);
  }
  if (native && (await native.available())) return native;
  return nohupManager(deps);
}

export interface ServiceIo {
  out(s: string): void;
  err(s: string): void;
  env: NodeJS.ProcessEnv;
  run: Runner;
  platform: NodeJS.Platform;
}

function toolsLine(r: GatewayToolsResult): string | undefined {
  if (r.outcome === 'patched') return `openclaw: added ${r.missing.join(', ')} to gateway.tools.allow in ${r.file}`;
  if (r.outcome === 'needs-consent') return `openclaw: task execution needs ${r.missing.join(', ')} in gateway.tools.allow (${r.file}); re-run with --allow-gateway-tools to add them`;
  return undefined;
}

export async function runService(flags: ServiceFlags, io: ServiceIo): Promise<number> {
  const config = loadConfig({ env: io.env });
  const spec = serviceSpec({ name: flags.name, config, envFile: flags.envFile, version: VERSION });
  const manager = await chooseManager(flags, { spec, run: io.run, env: io.env }, io.platform);
  const print = (obj: object, text: string[]) => io.out(flags.json ? JSON.stringify(obj) : text.join('\n'));

  if (flags.verb === 'install') {
    const r = await manager.install();
    const tools = ensureGatewayTools(config.openclawConfigPath, flags.allowGatewayTools);
    const t = toolsLine(tools);
    print({ ...r, gateway_tools: tools.outcome }, [
      `service (${r.kind}): ${r.file} ${r.file_change}${r.actions.length ? `; ${r.actions.join(', ')}` : '; nothing to do'}`,
      ...r.notes,
      ...(t ? [t] : []),
    ]);
    return 0;
  }
  if (flags.verb === 'uninstall') {
    const r = await manager.uninstall();
    print(r, [`service (${r.kind}): ${r.removed ? `removed ${r.file}` : `nothing installed at ${r.file}`}${r.actions.length ? `; ${r.actions.join(', ')}` : ''}`]);
    return 0;
  }
  const s = await manager.status();
  const answers = await daemonAnswers(controlSocketPath(config.stateDir));
  const running = s.pid !== null || s.state === 'active' || s.state === 'running';
  print({ ...s, daemon_answers: answers }, [
    `service (${s.kind}): ${s.installed ? s.file : 'not installed'}${s.installed && !s.up_to_date ? ' (differs from what install writes now: re-run install)' : ''}`,
    `state: ${s.state}${s.pid ? ` (pid ${s.pid})` : ''}${s.kind !== 'nohup' ? `, ${s.enabled ? 'enabled' : 'not enabled'}` : ''}`,
    `daemon: ${answers ? 'answers on its control socket (wtt status for details)' : 'not answering'}`,
  ]);
  return running ? 0 : 3;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    process.stdout.write(`${SERVICE_USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  let flags: ServiceFlags;
  try {
    flags = parseServiceArgs(argv);
  } catch (e) {
    process.stderr.write(`wtt service: ${e instanceof Error ? e.message : String(e)}\n${SERVICE_USAGE}\n`);
    return 2;
  }
  try {
    return await runService(flags, {
      out: (s) => process.stdout.write(`${s}\n`),
      err: (s) => process.stderr.write(`${s}\n`),
      env: process.env,
      run: spawnRunner(process.env),
      platform: process.platform,
    });
  } catch (e) {
    process.stderr.write(`wtt service: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
