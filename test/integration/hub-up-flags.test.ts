/** `wtt up` takes every limit flag `wtt hub` takes and hands them to its embedded hub. */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LIMIT_FLAGS } from '../../src/hub/index.js';
import { parseHubArgs } from '../../src/hub/main.js';
import { parseUpArgs } from '../../src/runtime/up.js';
import { assertBuilt } from './cli-helpers.js';
import { BIN, REPO } from '../helpers/hub-process.js';
import { freePort } from '../helpers/net.js';

/** A valid value for each flag: the smallest number it takes (at least 1), or a list of two. */
const sample = (f: (typeof LIMIT_FLAGS)[number]): string => (f.kind === 'list' ? (f.key === 'mediaTypes' ? 'image/png,text/plain' : 'a.test,b.test') : String(Math.max(f.min ?? 1, 1) + 1024));

describe('wtt up hub flags', () => {
  it('parses every flag of the limit table as wtt hub does, both --flag V and --flag=V', () => {
    for (const f of LIMIT_FLAGS) {
      const spaced = parseUpArgs([f.flag, sample(f)]);
      const joined = parseUpArgs([`${f.flag}=${sample(f)}`, '--json']);
      const hub = parseHubArgs([f.flag, sample(f)]);
      expect(spaced.hubLimits, f.flag).toEqual(hub.limits);
      expect(joined.hubLimits, f.flag).toEqual(hub.limits);
      expect(joined.json).toBe(true);
      expect(Object.keys(spaced.hubLimits ?? {}), f.flag).toEqual([f.key]);
    }
    const lists = parseUpArgs(['--preview-allow', 'a.test', '--preview-allow=b.test,c.test', '--max-response-bytes', '4096']);
    expect(lists.hubLimits).toEqual({ previewAllow: ['a.test', 'b.test', 'c.test'], maxResponseBytes: 4096 });
    expect(parseUpArgs([]).hubLimits).toBeUndefined();
  });

  it('refuses a bad value naming the flag, a flag without a value, and limits with --no-hub', () => {
    expect(() => parseUpArgs(['--max-body-bytes', '5'])).toThrow("--max-body-bytes must be at least 1024, got '5'");
    expect(() => parseUpArgs(['--ws-frame-rate', 'fast'])).toThrow('--ws-frame-rate must be a whole number');
    expect(() => parseUpArgs(['--max-response-bytes'])).toThrow('--max-response-bytes needs a value');
    expect(() => parseUpArgs(['--media-types', 'text/html'])).toThrow('must not allow text/html');
    expect(() => parseUpArgs(['--no-hub', '--max-response-bytes', '4096'])).toThrow('--no-hub starts no hub');
    expect(DEFAULT_LIMITS.maxBodyBytes).toBeGreaterThan(2048);
  });

  it('runs its embedded hub with the limits given on the command line', async () => {
    assertBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'wtt-up-flags-'));
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'up', '--max-body-bytes', '2048'], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: dir, WTT_SKILL_DIR: dir, WTT_HUB_PORT: String(port), WTT_LOG_LEVEL: 'warn' },
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      let out = '';
      // Live: the hub is up and wtt up's signal handling is in place.
      await new Promise<void>((resolve, reject) => {
        const seen = (d: Buffer) => {
          out += d.toString();
          if (out.includes('hub: listening on') && out.includes('connection: live')) resolve();
        };
        child.stdout.on('data', seen);
        child.stderr.on('data', seen);
        void exited.then((code) => reject(new Error(`wtt up exited ${code}: ${out}`)));
      });
      const big = await fetch(`http://127.0.0.1:${port}/topics/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(3000) }) });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { detail: string }).detail).toContain('larger than 2048 bytes');
      const small = await fetch(`http://127.0.0.1:${port}/health`);
      expect(small.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
