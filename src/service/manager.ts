/** One way to keep `wtt daemon` running (systemd --user, launchd, or a nohup'd process). */
import { WttError } from '../errors.js';
import type { RunResult, Runner } from './runner.js';
import type { ServiceSpec } from './spec.js';

export type ManagerKind = 'systemd' | 'launchd' | 'nohup';

export interface InstallResult {
  kind: ManagerKind;
  /** The unit, plist or pid file. */
  file: string;
  file_change: 'created' | 'updated' | 'unchanged';
  /** What was done, in order (`daemon-reload`, `enable`, `start`…); empty when nothing changed. */
  actions: string[];
  notes: string[];
}

export interface ServiceStatus {
  kind: ManagerKind;
  file: string;
  installed: boolean;
  /** The file on disk is what an install would write now. */
  up_to_date: boolean;
  /** The manager's word: `active`, `inactive`, `failed`, `running`, `not loaded`… */
  state: string;
  enabled: boolean;
  pid: number | null;
}

export interface ServiceManager {
  readonly kind: ManagerKind;
  readonly file: string;
  /** The text an install writes. */
  render(): string;
  /** Whether this manager can be used here (its program exists and answers). */
  available(): Promise<boolean>;
  install(): Promise<InstallResult>;
  uninstall(): Promise<{ kind: ManagerKind; file: string; removed: boolean; actions: string[] }>;
  status(): Promise<ServiceStatus>;
}

export interface ManagerDeps {
  spec: ServiceSpec;
  run: Runner;
  /** HOME, XDG_CONFIG_HOME… (where the unit or plist goes). */
  env: NodeJS.ProcessEnv;
}

/** Runs a command that must succeed; its failure is a WTT_ERR_SERVICE naming the command. */
export async function mustRun(run: Runner, cmd: string, args: readonly string[]): Promise<RunResult> {
  const r = await run(cmd, args);
  if (r.code !== 0) {
    const why = r.missing ? `${cmd} is not on PATH` : `exit ${r.code ?? 'signal'}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`;
    throw new WttError('WTT_ERR_SERVICE', { message: `\`${cmd} ${args.join(' ')}\` failed (${why})` });
  }
  return r;
}
