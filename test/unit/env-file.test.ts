import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireEnvLock, formatEnvValue, parseEnvText, upsertEnvFile } from '../../src/env-file.js';
import { isWttError } from '../../src/errors.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wtt-env-'));
  file = join(dir, '.env');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ORIGINAL = [
  '# wtt configuration',
  '',
  '# the agent',
  'WTT_AGENT_ID=old-id   # set by config auto',
  'MY_OWN_KEY=keep me',
  'export OTHER_TOOL_URL="http://example.invalid/x"',
  '',
  '# route',
  "WTT_IM_CHANNEL='telegram'",
  '',
].join('\n');

describe('env-file', () => {
  it('keeps comments, order and unknown keys when it replaces a key', async () => {
    writeFileSync(file, ORIGINAL);
    const r = await upsertEnvFile(file, { WTT_AGENT_ID: 'agent-123', WTT_AGENT_TOKEN: 'tok en#1' });
    expect(r.replaced).toEqual(['WTT_AGENT_ID']);
    expect(r.appended).toEqual(['WTT_AGENT_TOKEN']);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(
      [
        '# wtt configuration',
        '',
        '# the agent',
        'WTT_AGENT_ID=agent-123   # set by config auto',
        'MY_OWN_KEY=keep me',
        'export OTHER_TOOL_URL="http://example.invalid/x"',
        '',
        '# route',
        "WTT_IM_CHANNEL='telegram'",
        "WTT_AGENT_TOKEN='tok en#1'",
        '',
      ].join('\n'),
    );
    expect(parseEnvText(text).values).toMatchObject({ WTT_AGENT_ID: 'agent-123', WTT_AGENT_TOKEN: 'tok en#1', MY_OWN_KEY: 'keep me' });
  });

  it('creates the file with mode 0600 when it does not exist', async () => {
    await upsertEnvFile(file, { WTT_AGENT_ID: 'a1' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe('WTT_AGENT_ID=a1\n');
  });

  it('tightens an existing world-readable file to 0600 when it writes', async () => {
    writeFileSync(file, 'A=1\n', { mode: 0o644 });
    await upsertEnvFile(file, { B: '2' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('replaces every line of a key set twice and keeps the export prefix', async () => {
    writeFileSync(file, 'export K=1\nX=y\nK=2\n');
    await upsertEnvFile(file, { K: '3' });
    expect(readFileSync(file, 'utf8')).toBe('export K=3\nX=y\nK=3\n');
  });

  it('appends after a blank line when the file ends with a comment', async () => {
    writeFileSync(file, 'A=1\n# trailing note\n');
    await upsertEnvFile(file, { B: '2' });
    expect(readFileSync(file, 'utf8')).toBe('A=1\n# trailing note\n\nB=2\n');
  });

  it('updates the target file and keeps the link when .env is a symlink', async () => {
    const real = join(dir, 'secrets.env');
    writeFileSync(real, 'A=1\n');
    symlinkSync(real, file);
    await upsertEnvFile(file, { B: '2' });
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('A=1\nB=2\n');
  });

  it('keeps CRLF line endings when the file uses them', async () => {
    writeFileSync(file, '# c\r\nA=1\r\n');
    await upsertEnvFile(file, { A: '2', B: '3' });
    expect(readFileSync(file, 'utf8')).toBe('# c\r\nA=2\r\nB=3\r\n');
  });

  it('leaves a malformed file untouched and names the line when it cannot parse it', async () => {
    const bad = '# ok\nA=1\nthis line has no equals sign\nB=2\n';
    writeFileSync(file, bad, { mode: 0o640 });
    const err = await upsertEnvFile(file, { A: '9' }).catch((e: unknown) => e);
    expect(isWttError(err, 'WTT_ERR_ENV_PARSE')).toBe(true);
    expect((err as Error).message).toContain(`${file} line 3`);
    expect((err as Error).message).toContain("no '='");
    expect((err as Error).message).not.toContain('this line has no equals sign');
    expect(readFileSync(file, 'utf8')).toBe(bad);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['.env']);
  });

  it.each([
    ['an unclosed double quote', 'A="abc\n', 'line 1', 'not closed'],
    ['an unclosed single quote', "X=1\nA='abc\n", 'line 2', 'not closed'],
    ['an invalid name', 'X=1\nY=2\n1BAD=3\n', 'line 3', 'not a valid variable name'],
    ['text after a quoted value', 'A="x" y\n', 'line 1', 'unexpected text'],
    ['an unknown escape', 'A="\\q"\n', 'line 1', 'unknown escape'],
  ])('reports %s with its line number when parsing', (_what, text, line, reason) => {
    let err: unknown;
    try {
      parseEnvText(text, 'my.env');
    } catch (e) {
      err = e;
    }
    expect(isWttError(err, 'WTT_ERR_ENV_PARSE')).toBe(true);
    expect((err as Error).message).toContain(`my.env ${line}`);
    expect((err as Error).message).toContain(reason);
  });

  it('never echoes a secret-looking line when it reports a parse error', () => {
    const token = 'wtt_tok_9f8e7d6c5b4a39281706';
    expect(() => parseEnvText(`A=1\n${token}\n`)).toThrow(/line 2/);
    try {
      parseEnvText(`A=1\n${token}\n`);
    } catch (e) {
      expect((e as Error).message).not.toContain(token);
    }
  });

  it('reads values back unchanged for any string when written with formatEnvValue', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (v) => {
        fc.pre(!v.includes('\0'));
        const text = `K=${formatEnvValue(v)}\n`;
        const got = parseEnvText(text).values.K;
        // Bare values are trimmed by the parser, so the writer must never leave edge spaces bare.
        expect(got).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a value that a POSIX shell reads back unchanged when it has spaces, # and quotes', async () => {
    const value = `it's "quoted" # not a comment $HOME \\ end`;
    await upsertEnvFile(file, { TRICKY: value });
    const out = await new Promise<string>((res, rej) => {
      const p = spawn('sh', ['-c', `. "${file}" && printf '%s' "$TRICKY"`], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      let s = '';
      p.stdout.on('data', (d: Buffer) => (s += d.toString()));
      p.on('error', rej);
      p.on('close', () => res(s));
    });
    expect(out).toBe(value);
    expect(parseEnvText(readFileSync(file, 'utf8')).values.TRICKY).toBe(value);
  });

  it('keeps both sets of keys when two processes write 200 times each', async () => {
    writeFileSync(file, '# shared file\nUNRELATED=1\n');
    const writer = fileURLToPath(new URL('../fixtures/env-writer.ts', import.meta.url));
    const start = (prefix: string) => {
      const p = spawn(process.execPath, ['--import', 'tsx', writer, file, prefix, '200'], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
      let out = '';
      let err = '';
      const ready = new Promise<void>((res, rej) => {
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.startsWith('ready\n')) res();
        });
        p.on('close', () => rej(new Error(`writer ${prefix} ended before it was ready: ${err}`)));
      });
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const done = new Promise<string>((res, rej) => {
        p.on('error', rej);
        p.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`writer ${prefix} exited ${code}: ${err}`))));
      });
      return { ready, done, go: () => p.stdin.end('go\n') };
    };
    const writers = [start('PROC_A'), start('PROC_B')];
    // Both processes are loaded before either writes, so their 200 writes really overlap.
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.go();
    const [a, b] = await Promise.all(writers.map((w) => w.done));
    expect(a).toBe('ready\ndone\n');
    expect(b).toBe('ready\ndone\n');
    const text = readFileSync(file, 'utf8');
    const { values } = parseEnvText(text);
    expect(text.startsWith('# shared file\nUNRELATED=1\n')).toBe(true);
    for (const p of ['PROC_A', 'PROC_B']) {
      expect(values[`${p}_LAST`]).toBe('199 with space # and hash');
      for (let k = 0; k < 10; k++) expect(values[`${p}_${k}`]).toBe(`v${190 + k}`);
    }
    expect(Object.keys(values)).toHaveLength(1 + 2 * 11);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['.env']);
  });

  it('serialises writers in one process when they run at once', async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => upsertEnvFile(file, { [`K${i}`]: String(i) })));
    const { values } = parseEnvText(readFileSync(file, 'utf8'));
    expect(Object.keys(values).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `K${i}`).sort());
  });

  it('breaks a stale lock when its process is gone', async () => {
    // A pid that cannot be alive: above the kernel's pid_max.
    writeFileSync(`${file}.lock`, '99999999 deadbeef\n');
    await upsertEnvFile(file, { A: '1' }, { lockTimeoutMs: 5000 });
    expect(readFileSync(file, 'utf8')).toBe('A=1\n');
    expect(readdirSync(dir)).toEqual(['.env']);
  });

  it('breaks a lock older than staleLockMs when its process still runs', async () => {
    writeFileSync(`${file}.lock`, `${process.pid} abcdef\n`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    await upsertEnvFile(file, { A: '1' }, { staleLockMs: 30_000 });
    expect(readFileSync(file, 'utf8')).toBe('A=1\n');
  });

  it('waits for a live lock and reports a clear timeout when it is never released', async () => {
    const release = await acquireEnvLock(file);
    const err = await upsertEnvFile(file, { A: '1' }, { lockTimeoutMs: 200 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/timed out .* waiting for .*\.env\.lock/);
    await release();
    await upsertEnvFile(file, { A: '2' });
    expect(readFileSync(file, 'utf8')).toBe('A=2\n');
  });
});
