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
import { BIN, REPO } from './hub-process.js';

export interface DaemonProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
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
  return {
    child,
    exited,
    stdout: () => buf.stdout,
    stderr: () => buf.stderr,
    waitFor(stream, pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} on ${stream}\nstdout: ${buf.stdout}\nstderr: ${buf.stderr}`)), timeoutMs);
        const check = () => {
          const m = pattern.exec(buf[stream]);
          if (m) { clearTimeout(timer); resolve(m); return; }
          if (child.exitCode !== null) { clearTimeout(timer); reject(new Error(`wtt ${args.join(' ')} exited ${child.exitCode} before ${pattern}\nstdout: ${buf.stdout}\nstderr: ${buf.stderr}`)); return; }
          waiters.push(check);
        };
        check();
      });
    },
    stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
