import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/hub.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'wtt');

function readLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`no line on stdout within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        clearTimeout(t);
        resolve(buf.slice(0, i));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`exited (${code}) before printing a line`));
    });
  });
}

function exitCode(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

describe('wtt hub', () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'src', 'hub', 'main.js'))) {
      const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
      if (b.status !== 0) throw new Error(`build failed: ${b.stdout}${b.stderr}`);
    }
  }, 120_000);

  it('prints one listening line, serves requests and exits 0 when sent SIGTERM', async () => {
    const data = tempDir();
    const child = spawn(process.execPath, [BIN, 'hub', '--port', '0', '--data', data], {
      cwd: ROOT,
      env: { ...process.env, WTT_LOG_LEVEL: 'silent', WTT_STATE_DIR: data },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = await readLine(child, 15_000);
    const m = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    expect(m).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThan(0);
    const health = await fetch(`${m![1]}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', service: 'wtt-hub' });
    const done = exitCode(child, 15_000);
    child.kill('SIGTERM');
    expect(await done).toBe(0);
    expect(existsSync(join(data, 'hub.sqlite'))).toBe(true);
  });

  it('exits 0 on SIGINT too', async () => {
    const data = tempDir();
    const child = spawn(process.execPath, [BIN, 'hub', '--port=0', `--data=${data}`, '--auth', 'legacy', '--rate-limit', '0'], {
      cwd: ROOT,
      env: { ...process.env, WTT_LOG_LEVEL: 'silent', WTT_STATE_DIR: data },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(await readLine(child, 15_000)).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    const done = exitCode(child, 15_000);
    child.kill('SIGINT');
    expect(await done).toBe(0);
  });

  it('prints usage on stderr and exits 2 when a flag is bad', () => {
    for (const args of [['--port', 'abc'], ['--auth', 'maybe'], ['--wat'], ['--port']]) {
      const r = spawnSync(process.execPath, [BIN, 'hub', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, WTT_LOG_LEVEL: 'silent' } });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/usage: wtt hub/);
    }
  });
});
