/**
 * `bin/wtt daemon|up …` as a child process with a clean environment (PATH plus what the test
 * gives), its output kept, waits on it, and a SIGTERM stop that resolves with the exit code.
 * Every process started here is SIGKILLed by `killDaemons()` (call it in afterEach). Needs dist/.
 *
 *   const d = startDaemon(['daemon', '--inspect=ws://127.0.0.1:9999'], env);
 *   await d.waitFor('stderr', /connection: live/);
 *   expect(await d.stop()).toBe(0);
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO } from './hub-process.js';

export interface DaemonProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** `log`: the daemon's JSON log file(s) in `<state dir>/logs` (info lines go there, not to stderr). */
  waitFor(stream: 'stdout' | 'stderr' | 'log', pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** The log file(s) so far. */
  log(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

const started = new Set<ChildProcess>();

export function killDaemons(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  started.clear();
}

export function startDaemon(args: readonly string[], env: Record<string, string>, execPath = process.execPath): DaemonProcess {
  const child = spawn(execPath, [BIN, ...args], { cwd: REPO, env: { PATH: process.env.PATH ?? '', ...env } });
  started.add(child);
  const buf = { stdout: '', stderr: '' };
  const waiters: Array<() => void> = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  child.stdout?.on('data', (d: Buffer) => { buf.stdout += d.toString(); poke(); });
  child.stderr?.on('data', (d: Buffer) => { buf.stderr += d.toString(); poke(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { poke(); resolve(code); }));
  const logDir = join(env.WTT_STATE_DIR ?? join(env.WTT_SKILL_DIR ?? env.HOME ?? '.', '.wtt'), 'logs');
  const log = () =>
    existsSync(logDir)
      ? readdirSync(logDir)
          .filter((f) => /^wtt\.\d+\.log$/.test(f))
          .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
          .map((f) => readFileSync(join(logDir, f), 'utf8'))
          .join('')
      : '';
  return {
    child,
    exited,
    stdout: () => buf.stdout,
    stderr: () => buf.stderr,
    log,
    waitFor(stream, pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        let poll: NodeJS.Timeout | undefined;
        const timer = setTimeout(() => {
          if (poll) clearInterval(poll);
          reject(new Error(`timed out waiting for ${pattern} on ${stream}\nstdout: ${buf.stdout}\nstderr: ${buf.stderr}${stream === 'log' ? `\nlog: ${log().slice(-3000)}` : ''}`));
        }, timeoutMs);
        const text = () => (stream === 'log' ? log() : buf[stream]);
        const check = () => {
          const m = pattern.exec(text());
          if (m) { clearTimeout(timer); if (poll) clearInterval(poll); resolve(m); return; }
          if (child.exitCode !== null) { clearTimeout(timer); if (poll) clearInterval(poll); reject(new Error(`wtt ${args.join(' ')} exited ${child.exitCode} before ${pattern}\nstdout: ${buf.stdout}\nstderr: ${buf.stderr}`)); return; }
          if (stream !== 'log') waiters.push(check);
        };
        // The log file is written by another process: look at it every 50 ms.
        if (stream === 'log') poll = setInterval(check, 50);
        check();
      });
    },
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
