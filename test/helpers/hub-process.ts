/**
 * The hub as a CHILD PROCESS (`node bin/wtt hub --port P --data D`), for tests that must kill it
 * (SIGKILL), freeze it (SIGSTOP/SIGCONT) or restart it on the same port and data dir.
 * Needs `npm run build` first (bin/wtt runs dist/).
 *
 *   const h = await spawnHub({ dataDir });          // { url, wsUrl, port, dataDir, pid }
 *   await h.kill();                                 // SIGKILL, waits for the exit
 *   const h2 = await spawnHub({ dataDir, port: h.port });
 *   h2.freeze(); h2.thaw(); await h2.stop();        // SIGSTOP / SIGCONT / SIGTERM
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO, 'bin', 'wtt');

export interface SpawnHubOptions {
  dataDir?: string;
  port?: number;
  auth?: 'required' | 'legacy';
  /** Requests per minute per agent; 0 = off (default off: tests publish fast). */
  rateLimit?: number;
  startTimeoutMs?: number;
}

export interface HubProcess {
  url: string;
  wsUrl: string;
  port: number;
  dataDir: string;
  pid: number;
  child: ChildProcess;
  /** Everything the hub wrote to stderr (for failure messages). */
  stderr(): string;
  kill(): Promise<void>;
  stop(): Promise<void>;
  freeze(): void;
  thaw(): void;
}

const processes = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of processes) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function spawnHub(opts: SpawnHubOptions = {}): Promise<HubProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'wtt-hubp-'));
  const args = [BIN, 'hub', '--host', '127.0.0.1', '--port', String(opts.port ?? 0), '--data', dataDir, '--rate-limit', String(opts.rateLimit ?? 0)];
  if (opts.auth) args.push('--auth', opts.auth);
  const timeoutMs = opts.startTimeoutMs ?? 15_000;
  // A port freed by a killed hub can take a moment to be reusable: retry the bind a few times.
  for (let attempt = 0; ; attempt++) {
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      env: { ...process.env, WTT_LOG_LEVEL: 'warn', WTT_SKILL_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processes.add(child);
    child.once('exit', () => processes.delete(child));
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.length > 100_000) err = err.slice(-50_000);
    });
    const url = await new Promise<string | undefined>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`hub did not start within ${timeoutMs} ms: ${err}`)), timeoutMs);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/[^\s]+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
      child.once('exit', () => {
        clearTimeout(t);
        resolve(undefined);
      });
    });
    if (!url) {
      if (attempt < 20 && /EADDRINUSE/.test(err)) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      throw new Error(`hub exited before listening: ${err}`);
    }
    const port = Number(new URL(url).port);
    return {
      url,
      wsUrl: `ws://127.0.0.1:${port}/ws`,
      port,
      dataDir,
      pid: child.pid as number,
      child,
      stderr: () => err,
      async kill() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT');
          child.kill('SIGKILL');
        }
        await exited(child);
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT');
          child.kill('SIGTERM');
        }
        await exited(child);
      },
      freeze: () => child.kill('SIGSTOP'),
      thaw: () => child.kill('SIGCONT'),
    };
  }
}
