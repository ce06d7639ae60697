import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adapterFor, DeliveryError, makeRoute, type AdapterDeps, type ImAdapter, type SendRequest } from '../../src/im/index.js';
import { startFakeGateway, type FakeGateway } from '../fakes/gateway.js';
import { writeFakeOpenclaw, type FakeOpenclawBin } from '../fakes/openclaw-bin.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';

const TOKEN = 'gw-Secret-Token-9f8e7d6c5b4a';
const AGENT_TOKEN = 'wtt-agent-Secret-1234567890';
const route = makeRoute('telegram', '555001');

let dir: string;
let gw: FakeGateway;
let cap: CapturedLog;
let oc: FakeOpenclawBin;
const errors: string[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wtt-im-oc-'));
  gw = await startFakeGateway({ token: TOKEN });
  cap = captureLog();
  oc = writeFakeOpenclaw(mkdtempSync(join(dir, 'bin-')));
  errors.length = 0;
});
afterEach(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

type ConfigOver = Partial<AdapterDeps['config']>;
function deps(config: ConfigOver = {}, extra: Partial<AdapterDeps> = {}): AdapterDeps {
  return {
    config: {
      gatewayUrl: gw.url,
      gatewayToken: TOKEN,
      openclawConfigPath: join(dir, 'missing', 'openclaw.json'),
      openclawBin: undefined,
      webhookSecret: undefined,
      httpTimeoutMs: 5000,
      agentId: 'agent-1',
      ...config,
    },
    log: cap.log,
    env: oc.env('ok', { WTT_AGENT_TOKEN: AGENT_TOKEN }),
    ...extra,
  };
}

const req = (text: string, extra: Partial<SendRequest> = {}): SendRequest => ({ route, text, idempotencyKey: `k-${text.length}`, ...extra });

async function failure(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DeliveryError) {
      errors.push(e.message, String(e.detail ?? ''));
      return e;
    }
    throw e;
  }
  throw new Error('expected a DeliveryError');
}

function writeOpenclawJson(content: string): string {
  const p = join(dir, 'oc', 'openclaw.json');
  mkdirSync(join(dir, 'oc'), { recursive: true });
  writeFileSync(p, content);
  return p;
}

function expectNoSecrets() {
  const all = `${errors.join('\n')}\n${cap.text()}`;
  expect(all).not.toContain(TOKEN);
  expect(all).not.toContain(AGENT_TOKEN);
}

describe('im openclaw adapter (gateway)', () => {
  it('sends through /tools/invoke with the bearer token and returns the chat message ids in order', async () => {
    const a = adapterFor(route, deps());
    expect(a.name).toBe('openclaw');
    expect(a.maxChars).toBe(3800);
    const r1 = await a.send({ route, text: 'hello', idempotencyKey: 'idem-1' });
    const r2 = await a.send({ route, text: 'world', idempotencyKey: 'idem-2' });
    expect(r1).toEqual({ adapter: 'openclaw-gateway', messageId: '1000' });
    expect(r2).toEqual({ adapter: 'openclaw-gateway', messageId: '1001' });
    expect(gw.calls.map((c) => c.body)).toEqual([
      { tool: 'message', args: { action: 'send', channel: 'telegram', target: '555001', message: 'hello' }, idempotencyKey: 'idem-1' },
      { tool: 'message', args: { action: 'send', channel: 'telegram', target: '555001', message: 'world' }, idempotencyKey: 'idem-2' },
    ]);
    expect(gw.calls[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(oc.runs()).toHaveLength(0);
    expectNoSecrets();
  });

  it('finds the gateway port and token in openclaw.json when the environment sets neither', async () => {
    const path = writeOpenclawJson(JSON.stringify({ gateway: { mode: 'local', port: gw.port, auth: { mode: 'token', token: TOKEN } }, channels: {} }));
    const r = await adapterFor(route, deps({ gatewayUrl: undefined, gatewayToken: undefined, openclawConfigPath: path })).send(req('from file'));
    expect(r.messageId).toBe('1000');
    expect(gw.calls[0]?.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('reports a refused token as a config error that says what to fix, without a retry hint', async () => {
    const e = await failure(adapterFor(route, deps({ gatewayToken: 'wrong-token-value' })).send(req('x')));
    expect(e.kind).toBe('config');
    expect(e.code).toBe('WTT_ERR_CONFIG');
    expect(e.status).toBe(401);
    expect(e.retryAfterMs).toBeUndefined();
    expect(e.message).toContain('refused the token');
    expect(e.message).toContain('OPENCLAW_GATEWAY_TOKEN');
    expect(e.message).not.toContain('wrong-token-value');
    expectNoSecrets();
  });

  it('names openclaw.json as the token source when the token there is refused', async () => {
    const path = writeOpenclawJson(JSON.stringify({ gateway: { port: gw.port, auth: { token: 'stale-token-in-file' } } }));
    const e = await failure(adapterFor(route, deps({ gatewayUrl: undefined, gatewayToken: undefined, openclawConfigPath: path })).send(req('x')));
    expect(e.kind).toBe('config');
    expect(e.message).toContain(`gateway.auth.token in ${path}`);
    expect(e.message).not.toContain('stale-token-in-file');
  });

  it('treats 500 tool execution failed as transient and points at the gateway log, then delivers on the next try', async () => {
    gw.fail(500);
    const a = adapterFor(route, deps());
    const e = await failure(a.send(req('retry me')));
    expect(e.kind).toBe('transient');
    expect(e.status).toBe(500);
    expect(e.message).toContain('tool execution failed');
    expect(e.message).toContain("gateway's log");
    expect(e.adapter).toBe('openclaw-gateway');
    expect((await a.send(req('retry me'))).messageId).toBe('1000');
    expect(oc.runs()).toHaveLength(0);
  });

  it('honours the 429 Retry-After of the gateway itself', async () => {
    gw.fail(429);
    const e = await failure(adapterFor(route, deps()).send(req('slow down')));
    expect(e.kind).toBe('transient');
    expect(e.retryAfterMs).toBe(3000);
  });

  it('treats a 401 injected mid-stream as config, and a 400 as permanent', async () => {
    gw.fail(401);
    expect((await failure(adapterFor(route, deps()).send(req('a')))).kind).toBe('config');
    const e = await failure(adapterFor(makeRoute('telegram', '555001'), deps()).send({ ...req('b'), route: { key: 'telegram:', channel: 'telegram', target: '' } }));
    expect(e.kind).toBe('permanent');
    expect(e.message).toContain('to required');
  });

  it('attaches buttons in the plain presentation form and reads the id from details.result', async () => {
    const r = await adapterFor(route, deps()).send(req('review?', { buttons: [{ label: 'Approve', value: 'wtt:ok:123' }, { label: 'Reject', value: 'wtt:no:123' }] }));
    expect(r.messageId).toBe('1000');
    expect((gw.calls[0]?.body.args as Record<string, unknown>).presentation).toEqual({
      blocks: [{ type: 'buttons', buttons: [{ label: 'Approve', value: 'wtt:ok:123' }, { label: 'Reject', value: 'wtt:no:123' }] }],
    });
  });

  it('refuses a button value over 64 bytes before anything is sent', async () => {
    const e = await failure(adapterFor(route, deps()).send(req('x', { buttons: [{ label: 'Approve', value: `wtt:ok:${'é'.repeat(30)}` }] })));
    expect(e.kind).toBe('permanent');
    expect(e.message).toContain('64 bytes');
    expect(gw.calls).toHaveLength(0);
  });

  it('edits a message in place and fails transiently on an unknown message id', async () => {
    const a = adapterFor(route, deps()) as ImAdapter & Required<Pick<ImAdapter, 'edit'>>;
    const { messageId } = await a.send(req('phase: queued'));
    const r = await a.edit({ ...req('phase: running'), messageId: messageId ?? '' });
    expect(r).toEqual({ adapter: 'openclaw-gateway', messageId: '1000' });
    expect(gw.calls[1]?.body.args).toEqual({ action: 'edit', channel: 'telegram', target: '555001', messageId: '1000', message: 'phase: running' });
    expect(gw.messages.get('1000')).toMatchObject({ text: 'phase: running', edits: 1 });
    const e = await failure(a.edit({ ...req('x'), messageId: '424242' }));
    expect(e.kind).toBe('transient');
    expect(e.message).toContain("gateway's log");
  });
});

describe('im openclaw adapter (CLI fallback)', () => {
  it('uses the openclaw CLI while the gateway refuses connections, and the gateway again once it is back', async () => {
    const a = adapterFor(route, deps());
    await gw.down();
    const r = await a.send(req('-starts with a dash'));
    expect(r).toEqual({ adapter: 'openclaw-cli', messageId: '7001' });
    expect(oc.runs()).toEqual([
      { argv: ['message', 'send', '--channel', 'telegram', '--target', '555001', '--message=-starts with a dash'], sawAgentToken: false },
    ]);
    expect(cap.text()).toContain('gateway unreachable');
    await gw.up();
    expect((await a.send(req('back'))).adapter).toBe('openclaw-gateway');
    expect(oc.runs()).toHaveLength(1);
    expectNoSecrets();
  });

  it('uses the CLI named by OPENCLAW_BIN when no gateway is configured at all', async () => {
    const r = await adapterFor(route, deps({ gatewayUrl: undefined, gatewayToken: undefined, openclawBin: oc.bin }, { env: { FAKE_OPENCLAW_LOG: oc.log, PATH: process.env.PATH ?? '' } })).send(req('plain text'));
    expect(r.adapter).toBe('openclaw-cli');
    expect(oc.runs()[0]?.argv).toEqual(['message', 'send', '--channel', 'telegram', '--target', '555001', '--message', 'plain text']);
    expect(gw.calls).toHaveLength(0);
  });

  it('never falls back to the CLI after the gateway answered with an error', async () => {
    gw.fail(500);
    await failure(adapterFor(route, deps()).send(req('once')));
    expect(oc.runs()).toHaveLength(0);
  });

  it('never falls back to the CLI when the gateway took the request but did not answer in time', async () => {
    gw.stall();
    const e = await failure(adapterFor(route, deps({ httpTimeoutMs: 300 })).send(req('maybe delivered')));
    expect(e.kind).toBe('transient');
    expect(e.message).toContain('did not answer');
    expect(gw.calls).toHaveLength(1);
    expect(oc.runs()).toHaveLength(0);
  });

  it('stays transient when the gateway is down and the CLI is missing too', async () => {
    await gw.down();
    const e = await failure(adapterFor(route, deps({ openclawBin: join(dir, 'no-such-openclaw') })).send(req('x')));
    expect(e.kind).toBe('transient');
    expect(e.message).toContain('cannot be reached');
    expect(e.message).toContain('OPENCLAW_BIN');
  });

  it('is a config error when neither a gateway nor the CLI exists', async () => {
    const e = await failure(adapterFor(route, deps({ gatewayUrl: undefined, gatewayToken: undefined }, { env: { PATH: join(dir, 'empty') } })).send(req('x')));
    expect(e.kind).toBe('config');
    expect(e.message).toContain('no OpenClaw gateway is configured');
  });

  it.each([
    ['config', 'config', 'configuration is invalid'],
    ['fail', 'transient', 'chat not found'],
  ] as const)('maps a CLI that answers %s to %s', async (mode, kind, text) => {
    const e = await failure(adapterFor(route, deps({ gatewayUrl: undefined, gatewayToken: undefined }, { env: oc.env(mode) })).send(req('x')));
    expect(e.kind).toBe(kind);
    expect(e.adapter).toBe('openclaw-cli');
    expect(e.message).toContain(text);
  });

  it('gives up on a CLI that hangs after its timeout, as a transient error', async () => {
    const e = await failure(adapterFor(route, deps({ gatewayUrl: undefined, gatewayToken: undefined }, { env: oc.env('hang'), cliTimeoutMs: 300 })).send(req('x')));
    expect(e.kind).toBe('transient');
    expect(e.message).toContain('did not finish');
  });
});

describe('im openclaw adapter (openclaw.json)', () => {
  it('reports a file that is not JSON as a config error naming the file and place, never its content', async () => {
    const path = writeOpenclawJson(`{\n  "gateway": { "auth": { "token": "${TOKEN}" } },\n  oops\n}`);
    const e = await failure(adapterFor(route, deps({ gatewayUrl: undefined, gatewayToken: undefined, openclawConfigPath: path })).send(req('x')));
    expect(e.kind).toBe('config');
    expect(e.message).toContain(path);
    expect(e.message).toContain('not valid JSON');
    expect(e.message).toMatch(/line 3/);
    expect(e.message).toContain('OPENCLAW_GATEWAY_URL');
    expect(oc.runs()).toHaveLength(0);
    expectNoSecrets();
  });

  it('reports a gateway section of the wrong shape with the path of the bad field', async () => {
    const path = writeOpenclawJson(JSON.stringify({ gateway: { port: 'eighteen', auth: { token: TOKEN } } }));
    const e = await failure(adapterFor(route, deps({ gatewayUrl: undefined, gatewayToken: undefined, openclawConfigPath: path })).send(req('x')));
    expect(e.kind).toBe('config');
    expect(e.message).toContain('gateway.port');
    expectNoSecrets();
  });

  it('does not read openclaw.json when both OPENCLAW_GATEWAY_URL and OPENCLAW_GATEWAY_TOKEN are set', async () => {
    const path = writeOpenclawJson('not json at all');
    expect((await adapterFor(route, deps({ openclawConfigPath: path })).send(req('x'))).adapter).toBe('openclaw-gateway');
  });
});
