/**
 * What a service definition says, whichever manager runs it: which node runs which `bin/wtt`, in
 * which folder, with which skill and state dirs, logging where. Built once from the configuration
 * and the running node (`process.execPath`, the node the user installs with: Node 24 for OpenClaw).
 */
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { REPO_ROOT, type Config } from '../config.js';
import { WttError } from '../errors.js';

/** A service name: `wtt` by default; another one lets two agents (two skill dirs) run side by side. */
export const ServiceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a service name is 1 to 64 letters, digits, . _ - (starting with a letter or digit)');

export interface ServiceSpec {
  /** `wtt` → systemd `wtt.service`, launchd label `ai.wtt.wtt`. */
  name: string;
  /** Absolute path of the node binary that runs the daemon. */
  nodePath: string;
  /** Absolute path of the repository's `bin/wtt`. */
  binPath: string;
  skillDir: string;
  stateDir: string;
  /** `<stateDir>/logs`: the daemon's stdout/stderr files beside its rotated JSON log. */
  logDir: string;
  /** An extra environment file for the service manager to load (`--extra-env-file`); the daemon reads `<skillDir>/.env` itself. */
  envFile: string | undefined;
  /** PATH for the daemon: the node's own folder first (the `openclaw` CLI installed beside it), then the system's. */
  path: string;
  version: string;
}

const SYSTEM_PATH = ['/usr/local/bin', '/usr/bin', '/bin'];

/** A path that can go into a unit file or a plist: absolute, no control characters. */
function checkedPath(what: string, p: string): string {
  if (!p.startsWith('/')) throw new WttError('WTT_ERR_CONFIG', { message: `${what} must be an absolute path, got '${p}'` });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) throw new WttError('WTT_ERR_CONFIG', { message: `${what} must not contain control characters (a line break would split the unit file)` });
  return p;
}

export interface SpecInput {
  name: string;
  config: Pick<Config, 'skillDir' | 'stateDir'>;
  nodePath?: string;
  envFile?: string | undefined;
  version: string;
}

export function serviceSpec(input: SpecInput): ServiceSpec {
  const name = ServiceName.safeParse(input.name);
  if (!name.success) throw new WttError('WTT_ERR_USAGE', { message: `--name: ${name.error.issues[0]?.message ?? 'invalid'}` });
  const nodePath = checkedPath('the node binary', input.nodePath ?? process.execPath);
  const nodeDir = dirname(nodePath);
  return Object.freeze({
    name: name.data,
    nodePath,
    binPath: checkedPath('bin/wtt', join(REPO_ROOT, 'bin', 'wtt')),
    skillDir: checkedPath('the skill dir', input.config.skillDir),
    stateDir: checkedPath('the state dir', input.config.stateDir),
    logDir: checkedPath('the log dir', join(input.config.stateDir, 'logs')),
    envFile: input.envFile === undefined ? undefined : checkedPath('--extra-env-file', input.envFile),
    path: [nodeDir, ...SYSTEM_PATH.filter((p) => p !== nodeDir)].join(':'),
    version: input.version,
  });
}
