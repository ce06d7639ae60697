/**
 * The log file in the state dir: secrets in every shape a daemon might log never reach it (nor the
 * console stream), the rest of each line does; the file rolls by size and keeps a bounded number.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { addLogSecrets, closeLogger, createLogger, scrubSecrets } from '../../src/log.js';
import { REPO } from '../helpers/hub-process.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'wtt-log-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

function readLogs(dir: string): string {
  return readdirSync(dir)
    .filter((f) => /^wtt\.\d+\.log$/.test(f))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('');
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`never happened: ${what}`);
}

const AGENT_TOKEN = 'agt-7f3c9e21d4b8a6f0';
const GATEWAY_TOKEN = 'gw-"quoted"\\token-5521';
const BEARER = 'wtt_sk_live_9a8b7c6d5e4f3a2b1c';
const WEBHOOK_SECRET = 'whsec-Zq81Lm02Xx';
const LATER_TOKEN = 'late-registered-token-4471';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjk5OTl9.c2lnbmF0dXJlLXBhcnQtMTIz';
const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const OPAQUE = 'Qm9vbS1vcGFxdWUtdmFsdWUtOTk'; // a credential only its key gives away
const ALL = [AGENT_TOKEN, GATEWAY_TOKEN, BEARER, WEBHOOK_SECRET, LATER_TOKEN, JWT, BOT_TOKEN, OPAQUE, '9a8b7c6d5e4f3a2b1c'];

describe('log file', () => {
  it('never writes a token, key or bearer, in any shape, to the file or the console stream', async () => {
    const dir = join(tempDir(), 'logs');
    const out = sink();
    const log = createLogger({ level: 'trace', name: 'wtt', file: { dir }, destination: out.stream, secrets: [AGENT_TOKEN, GATEWAY_TOKEN, WEBHOOK_SECRET] });
    log.info({ token: OPAQUE, topic_id: 't-1' }, 'top-level token');
    log.info({ deep: { deeper: { deepest: { agent_token: OPAQUE, route_key: 'telegram:555001' } } } }, 'nested');
    log.info({ config: { agentToken: OPAQUE, gatewayToken: GATEWAY_TOKEN, bearerToken: BEARER, webhookSecret: WEBHOOK_SECRET } }, 'config');
    log.info({ req: { headers: { authorization: `Bearer ${OPAQUE}`, 'x-agent-token': OPAQUE, 'X-Api-Key': OPAQUE } } }, 'headers');
    log.info({ list: [{ api_key: OPAQUE }, `key is ${BEARER}`, JWT] }, 'arrays');
    log.info({ usage: { max_tokens: 4096, tokens_used: 17 } }, 'counts are not tokens');
    log.info(`connecting with Authorization: Bearer ${OPAQUE}`);
    log.info(`the gateway token is ${GATEWAY_TOKEN} and the agent's ${AGENT_TOKEN}`);
    log.info('printf %s and %o', AGENT_TOKEN, { gatewayToken: GATEWAY_TOKEN });
    log.warn({ url: `http://127.0.0.1:1/ws/agent-1?token=${OPAQUE}&x=1` }, 'url with a token');
    log.warn({ url: `http://127.0.0.1:1/bot${BOT_TOKEN}/getUpdates` }, 'bot api url');
    log.warn({ url: `http://admin:${OPAQUE}@127.0.0.1:1/` }, 'userinfo');
    log.warn({ body: JSON.stringify({ agent_id: 'agent-1', agent_token: OPAQUE }) }, 'a JSON body as text');
    log.warn({ reason: `server said: token=${OPAQUE}; password: ${OPAQUE}` }, 'free text');
    const err = Object.assign(new Error(`401 for ${AGENT_TOKEN} (Bearer ${OPAQUE})`), { token: OPAQUE, response: { headers: { authorization: BEARER } } });
    log.error({ err }, 'an error carrying secrets');
    log.error(err);
    const child = log.child({ session: { bearer: OPAQUE, agent_id: 'agent-1' } });
    child.info({ jwt: JWT }, 'child with secret bindings');
    addLogSecrets(log, [LATER_TOKEN]);
    child.info(`registered: ${LATER_TOKEN}`);
    log.info({ note: `webhook ${WEBHOOK_SECRET}` }, 'webhook');
    await closeLogger(log);

    const file = readLogs(dir);
    const lines = file.trim().split('\n');
    expect(lines).toHaveLength(19);
    for (const text of [file, out.text()]) {
      for (const s of ALL) expect(text, `leaked ${s}`).not.toContain(s);
      // What is not a secret survives, and each line is still JSON.
      expect(text).toContain('"topic_id":"t-1"');
      expect(text).toContain('"route_key":"telegram:555001"');
      expect(text).toContain('"max_tokens":4096');
      expect(text).toContain('"agent_id":"agent-1"');
      expect(text).toContain('[Redacted]');
    }
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    const errLine = JSON.parse(lines[14] as string) as { err: { message: string; stack: string; token: string } };
    expect(errLine.err.message).toBe('401 for [Redacted] (Bearer [Redacted])');
    expect(errLine.err.token).toBe('[Redacted]');
    expect(errLine.err.stack).toContain('log-file.test.ts');
  });

  it('rolls the file at the size limit and keeps only the newest files', async () => {
    const dir = join(tempDir(), 'logs');
    const log = createLogger({ level: 'info', file: { dir, size: '1k', keep: 3, frequency: false }, console: false });
    // One line per turn of the event loop, as a daemon logs (a file rolls between turns).
    for (let i = 0; i < 120; i++) {
      log.info({ i, pad: 'x'.repeat(80) }, `line ${i}`);
      await new Promise((r) => setImmediate(r));
    }
    await closeLogger(log);
    await until(() => readdirSync(dir).filter((f) => /^wtt\.\d+\.log$/.test(f)).length <= 3, 'old files removed');
    const files = readdirSync(dir).filter((f) => /^wtt\.\d+\.log$/.test(f));
    const numbers = files.map((f) => Number(/\d+/.exec(f)?.[0])).sort((a, b) => a - b);
    expect(numbers).toHaveLength(3);
    // It rolled many times (about 14 KB at 1 KB a file), and the newest survive.
    expect(numbers[2]).toBeGreaterThan(5);
    expect(numbers).toEqual([numbers[2]! - 2, numbers[2]! - 1, numbers[2]]);
    expect(readlinkSync(join(dir, 'current.log'))).toBe(`wtt.${numbers[2]}.log`);
    const kept = readLogs(dir);
    expect(kept).toContain('"msg":"line 119"');
    expect(kept).not.toContain('"msg":"line 0"');
    for (const f of files) expect(readFileSync(join(dir, f)).length).toBeLessThan(1024 + 200);
  });

  it('continues numbering after a restart instead of overwriting', async () => {
    const dir = join(tempDir(), 'logs');
    const first = createLogger({ file: { dir }, console: false });
    first.info('before restart');
    await closeLogger(first);
    const second = createLogger({ file: { dir }, console: false });
    second.info('after restart');
    await closeLogger(second);
    const text = readLogs(dir);
    expect(text).toContain('before restart');
    expect(text).toContain('after restart');
  });

  it('sends only warnings to a console that is not a terminal when it writes a file', () => {
    const dir = join(tempDir(), 'logs');
    const script = `
      import { createLogger, closeLogger } from ${JSON.stringify(join(REPO, 'dist', 'src', 'log.js'))};
      const log = createLogger({ level: 'info', file: { dir: ${JSON.stringify(dir)} }, secrets: ['s3cr3t-value'] });
      log.info('routine state change');
      log.warn('hub unreachable with s3cr3t-value');
      await closeLogger(log);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain('routine state change');
    expect(r.stderr).toContain('hub unreachable with [Redacted]');
    expect(JSON.parse(r.stderr.trim()).level).toBe(40);
    const file = readLogs(dir);
    expect(file).toContain('routine state change');
    expect(file).toContain('hub unreachable with [Redacted]');
    expect(existsSync(join(dir, 'current.log'))).toBe(true);
  });

  it('opens a deferred file later with the earlier lines first, in order, and at once on close', async () => {
    const dir = join(tempDir(), 'logs');
    const log = createLogger({ file: { dir, openAfterMs: 200 }, console: false });
    log.info('line 1');
    log.info('line 2');
    expect(readdirSync(dir).filter((f) => f.endsWith('.log'))).toEqual([]);
    await until(() => readLogs(dir).includes('line 2'), 'the file opened by its timer');
    log.info('line 3');
    await closeLogger(log);
    expect(readLogs(dir).trim().split('\n').map((l) => JSON.parse(l).msg)).toEqual(['line 1', 'line 2', 'line 3']);

    const dir2 = join(tempDir(), 'logs');
    const soon = createLogger({ file: { dir: dir2, openAfterMs: 60_000 }, console: false });
    soon.info('closed before its timer');
    await closeLogger(soon);
    expect(readLogs(dir2)).toContain('closed before its timer');
  });

  it('writes the lines of a process that exits before its deferred file opened to stderr, scrubbed', () => {
    const dir = join(tempDir(), 'logs');
    const script = `
      import { createLogger } from ${JSON.stringify(join(REPO, 'dist', 'src', 'log.js'))};
      const log = createLogger({ level: 'info', file: { dir: ${JSON.stringify(dir)}, openAfterMs: 60000 }, secrets: ['s3cr3t-value'] });
      log.info('started with s3cr3t-value');
      process.exit(3);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('started with [Redacted]');
    expect(r.stderr).not.toContain('s3cr3t-value');
  });

  it('scrubs credential-looking text but leaves ordinary text alone', () => {
    expect(scrubSecrets('Bearer abcdefgh12345678 ok')).toBe('Bearer [Redacted] ok');
    expect(scrubSecrets(`jwt ${JWT}.`)).toBe('jwt [Redacted].');
    expect(scrubSecrets('max_tokens: 4096, status: doing, topic_id=t-1')).toBe('max_tokens: 4096, status: doing, topic_id=t-1');
  });
});
