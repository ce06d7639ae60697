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

/**
 * Node flags the daemon runs with (every service manager, and \`npm run bench\`). A 1 MiB young
 * generation: V8's default lets it grow to 16 MiB per semi-space while modules load, and those
 * pages stay resident for the process's life. Measured on the idle daemon (smaps, Node 20): about
 * 108 → 88 MB RSS, anonymous memory 60 → 40 MB (docs/benchmarks.md).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=1']);

/** The daemon's command line as a service manager runs it. */
export function daemonArgv(spec: Pick<ServiceSpec, 'nodePath' | 'binPath'>): string[] {
  return [spec.nodePath, ...DAEMON_NODE_FLAGS, spec.binPath, 'daemon'];
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
