/**
 * The fallback where neither systemd --user nor launchd answers (a container, a minimal VM): the
 * daemon is started detached (like `nohup`), its output appended to `<stateDir>/logs/daemon.{out,err}`,
 * and its pid kept in `<stateDir>/service.json`. Nothing restarts it after a crash or a reboot;
 * install says so. Re-running while it runs changes nothing.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { holderAlive, processStart } from '../runtime/lock.js';
import { readText, removeFile, writeIfChanged } from './files.js';
import type { InstallResult, ManagerDeps, ServiceManager, ServiceStatus } from './manager.js';
import type { ServiceSpec } from './spec.js';

const Record_ = z.object({ kind: z.literal('nohup'), pid: z.number().int().positive(), start: z.string().nullable(), argv: z.array(z.string()) });
type NohupRecord = z.infer<typeof Record_>;

function argvOf(spec: ServiceSpec): string[] {
  return [spec.nodePath, spec.binPath, 'daemon'];
}

function readRecord(file: string): NohupRecord | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  try {
    const r = Record_.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function alive(r: NohupRecord | undefined): boolean {
  return r !== undefined && holderAlive({ pid: r.pid, start: r.start, boot: null });
}

export function nohupManager({ spec, env }: ManagerDeps): ServiceManager {
  const file = join(spec.stateDir, 'service.json');
  return {
    kind: 'nohup',
    file,
    render: () => argvOf(spec).join(' '),
    available: async () => true,
    async install(): Promise<InstallResult> {
      const notes = ['nothing restarts it after a crash or a reboot (no systemd --user or launchd here): run `wtt service install` again then', `logs: ${spec.logDir}`];
      const before = readRecord(file);
      if (alive(before) && JSON.stringify(before?.argv) === JSON.stringify(argvOf(spec))) {
        return { kind: 'nohup', file, file_change: 'unchanged', actions: [], notes };
      }
      const actions: string[] = [];
      if (before && alive(before)) {
        process.kill(before.pid, 'SIGTERM');
        actions.push(`stop ${before.pid}`);
      }
      mkdirSync(spec.logDir, { recursive: true });
      const out = openSync(join(spec.logDir, 'daemon.out'), 'a');
      const err = openSync(join(spec.logDir, 'daemon.err'), 'a');
      const [node, ...args] = argvOf(spec) as [string, ...string[]];
      const child = spawn(node, args, {
        cwd: spec.skillDir,
        detached: true,
        stdio: ['ignore', out, err],
        env: { ...env, WTT_SKILL_DIR: spec.skillDir, WTT_STATE_DIR: spec.stateDir, PATH: spec.path },
      });
      closeSync(out);
      closeSync(err);
      child.unref();
      const pid = child.pid;
      if (pid === undefined) throw new Error('the daemon could not be started');
      const record: NohupRecord = { kind: 'nohup', pid, start: processStart(pid), argv: argvOf(spec) };
      const change = writeIfChanged(file, `${JSON.stringify(record)}\n`);
      actions.push(`start ${pid}`);
      return { kind: 'nohup', file, file_change: change, actions, notes };
    },
    async uninstall() {
      const r = readRecord(file);
      const actions: string[] = [];
      if (r && alive(r)) {
        process.kill(r.pid, 'SIGTERM');
        actions.push(`stop ${r.pid}`);
      }
      return { kind: 'nohup' as const, file, removed: removeFile(file), actions };
    },
    async status(): Promise<ServiceStatus> {
      const r = readRecord(file);
      const running = alive(r);
      return {
        kind: 'nohup',
        file,
        installed: r !== undefined,
        up_to_date: r !== undefined && JSON.stringify(r.argv) === JSON.stringify(argvOf(spec)),
        state: running ? 'running' : r ? 'dead' : 'not installed',
        enabled: false,
        pid: running && r ? r.pid : null,
      };
    },
  };
}
