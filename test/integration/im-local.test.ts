import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adapterFor, CONSOLE_ROUTE, DeliveryError, makeRoute, routesFromConfig, type AdapterDeps } from '../../src/im/index.js';
import { loadConfig } from '../../src/config.js';
import { captureLog } from '../helpers/log-capture.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wtt-im-local-'));
});
afterEach(() => {
  chmodSync(dir, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

const AT = Date.UTC(2026, 11, 2, 7, 9, 11);

function deps(extra: Partial<AdapterDeps> = {}): AdapterDeps {
  return {
    config: { gatewayUrl: undefined, gatewayToken: undefined, openclawConfigPath: join(dir, 'openclaw.json'), openclawBin: undefined, webhookSecret: undefined, httpTimeoutMs: 5000, agentId: undefined },
    log: captureLog().log,
    now: () => AT,
    ...extra,
  };
}

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeliveryError) return e;
    throw e;
  }
  throw new Error('expected a DeliveryError');
}

describe('im file adapter', () => {
  it('appends each message with a timestamp header to a new file readable only by its owner', async () => {
    const path = join(dir, 'sub', 'notify.txt');
    const route = makeRoute('file', path);
    const a = adapterFor(route, deps());
    expect(await a.send({ route, text: 'first', idempotencyKey: 'a' })).toEqual({ adapter: 'file' });
    await a.send({ route, text: 'second\nline', idempotencyKey: 'b' });
    expect(readFileSync(path, 'utf8')).toBe('\n--- [2026-12-02 07:09:11 UTC] ---\nfirst\n\n--- [2026-12-02 07:09:11 UTC] ---\nsecond\nline\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('keeps every entry whole when many appends run at once', async () => {
    const path = join(dir, 'burst.txt');
    const route = makeRoute('file', path);
    const a = adapterFor(route, deps());
    const texts = Array.from({ length: 50 }, (_, i) => `message ${i} ${'x'.repeat(2000)}`);
    await Promise.all(texts.map((text, i) => a.send({ route, text, idempotencyKey: String(i) })));
    const entries = readFileSync(path, 'utf8').split('\n--- [2026-12-02 07:09:11 UTC] ---\n').slice(1).map((e) => e.replace(/\n$/, ''));
    expect(entries.sort()).toEqual([...texts].sort());
  });

  it('keeps the content of a file that is already there', async () => {
    const path = join(dir, 'existing.txt');
    writeFileSync(path, 'old\n');
    const route = makeRoute('file', path);
    await adapterFor(route, deps()).send({ route, text: 'new', idempotencyKey: 'a' });
    expect(readFileSync(path, 'utf8')).toBe('old\n\n--- [2026-12-02 07:09:11 UTC] ---\nnew\n');
  });

  it('reports a path that cannot be written as a config error', async () => {
    const d = join(dir, 'is-a-dir');
    mkdirSync(d);
    const route = makeRoute('file', d);
    const e = await failure(adapterFor(route, deps()).send({ route, text: 'x', idempotencyKey: 'a' }));
    expect(e.kind).toBe('config');
    expect(e.message).toContain('EISDIR');
    expect(e.message).toContain(d);
  });
});

describe('im console adapter', () => {
  it('writes to stdout and is the route used when nothing is configured', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const { primary, fallbacks } = routesFromConfig(loadConfig({ env: { WTT_SKILL_DIR: dir, HOME: dir }, ignoreEnvFile: true }));
    expect(primary).toEqual([CONSOLE_ROUTE]);
    expect(fallbacks).toEqual([]);
    const a = adapterFor(CONSOLE_ROUTE, deps({ stdout: out }));
    expect(await a.send({ route: CONSOLE_ROUTE, text: 'to the console', idempotencyKey: 'a' })).toEqual({ adapter: 'console' });
    expect(chunks.join('')).toBe('\n--- [2026-12-02 07:09:11 UTC] ---\nto the console\n');
  });

  it('reports a closed stdout as transient instead of crashing', async () => {
    const out = new PassThrough();
    out.destroy();
    const e = await failure(adapterFor(CONSOLE_ROUTE, deps({ stdout: out })).send({ route: CONSOLE_ROUTE, text: 'x', idempotencyKey: 'a' }));
    expect(e.kind).toBe('transient');
  });
});
