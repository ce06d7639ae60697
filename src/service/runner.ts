/**
 * The outside boundary of the service commands: running `systemctl` / `launchctl` (found on PATH).
 * Tests put recording fakes first on PATH (test/fakes/service-manager.ts) or pass another Runner.
 */
import { spawn } from 'node:child_process';

export interface RunResult {
  /** Exit code; null when the program is missing or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program is not on PATH. */
  missing: boolean;
}

export type Runner = (cmd: string, args: readonly string[]) => Promise<RunResult>;

const TIMEOUT_MS = 30_000;
const MAX_OUTPUT = 64 * 1024;

export function spawnRunner(env: NodeJS.ProcessEnv = process.env): Runner {
  return (cmd, args) =>
    new Promise((resolve) => {
      const out = { stdout: '', stderr: '' };
      let child;
      try {
        child = spawn(cmd, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
      } catch (e) {
        resolve({ code: null, stdout: '', stderr: e instanceof Error ? e.message : String(e), missing: true });
        return;
      }
      child.stdout.on('data', (d: Buffer) => { if (out.stdout.length < MAX_OUTPUT) out.stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { if (out.stderr.length < MAX_OUTPUT) out.stderr += d.toString(); });
      child.once('error', (e: NodeJS.ErrnoException) => resolve({ code: null, ...out, stderr: out.stderr || e.message, missing: e.code === 'ENOENT' }));
      child.once('close', (code) => resolve({ code, ...out, missing: false }));
    });
}
