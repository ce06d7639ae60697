import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isWttError } from '../../src/errors.js';
import { CONSOLE_ROUTE, parseRouteSpec, routesFromConfig } from '../../src/im/route.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wtt-route-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const SLACK = 'https://hooks.slack.com/services/T000/B000/SlackSecretPath1234';
const DING = 'https://oapi.dingtalk.com/robot/send?access_token=DingSecretToken5678';

const routes = (env: Record<string, string>) =>
  routesFromConfig(loadConfig({ env: { WTT_SKILL_DIR: dir, HOME: dir, ...env }, ignoreEnvFile: true }));

function configError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isWttError(e, 'WTT_ERR_CONFIG')) return e.message;
    throw e;
  }
  throw new Error('expected a configuration error');
}

describe('im route', () => {
  it.each([
    ['nothing configured', {}, ['console:stdout'], []],
    ['a channel without a target', { WTT_IM_CHANNEL: 'telegram' }, ['console:stdout'], []],
    ['one telegram target', { WTT_IM_CHANNEL: 'telegram', WTT_IM_TARGET: '555001' }, ['telegram:555001'], []],
    ['several targets', { WTT_IM_CHANNEL: 'discord', WTT_IM_TARGETS: 'user:1, channel:2' }, ['discord:user:1', 'discord:channel:2'], []],
    ['a repeated target', { WTT_IM_CHANNEL: 'telegram', WTT_IM_TARGETS: '7,7' }, ['telegram:7'], []],
    ['a bare chat id', { WTT_IM_TARGET: '42' }, ['telegram:42'], []],
    ['a bare file path', { WTT_IM_TARGET: '/var/log/wtt.txt' }, ['file:/var/log/wtt.txt'], []],
    ['a file channel', { WTT_IM_CHANNEL: 'file', WTT_IM_TARGET: '/tmp/n.txt' }, ['file:/tmp/n.txt'], []],
    ['the console channel', { WTT_IM_CHANNEL: 'console', WTT_IM_TARGET: 'stdout' }, ['console:stdout'], []],
    [
      'fallbacks of every kind',
      { WTT_IM_CHANNEL: 'telegram', WTT_IM_TARGET: '1', WTT_IM_FALLBACKS: 'telegram:2, file:/tmp/f.txt, console:stdout' },
      ['telegram:1'],
      ['telegram:2', 'file:/tmp/f.txt', 'console:stdout'],
    ],
    ['a fallback equal to the primary', { WTT_IM_CHANNEL: 'telegram', WTT_IM_TARGET: '1', WTT_IM_FALLBACKS: 'telegram:1,telegram:3' }, ['telegram:1'], ['telegram:3']],
  ])('routes %s', (_what, env, primary, fallbacks) => {
    const r = routes(env);
    expect(r.primary.map((x) => x.key)).toEqual(primary);
    expect(r.fallbacks.map((x) => x.key)).toEqual(fallbacks);
  });

  it('takes the first enabled OpenClaw channel for a bare chat id when openclaw.json names one', () => {
    const ocDir = join(dir, '.openclaw');
    mkdirSync(ocDir);
    writeFileSync(join(ocDir, 'openclaw.json'), JSON.stringify({ channels: { slack: { enabled: false }, discord: { enabled: true } } }));
    expect(routes({ WTT_IM_TARGET: '99' }).primary.map((x) => x.key)).toEqual(['discord:99']);
  });

  it.each([
    ['slack', SLACK, /^slack:hooks\.slack\.com#[0-9a-f]{12}$/],
    ['dingtalk', DING, /^dingtalk:oapi\.dingtalk\.com#[0-9a-f]{12}$/],
    ['webhook', 'http://127.0.0.1:9/hook/abcSecret', /^webhook:127\.0\.0\.1:9#[0-9a-f]{12}$/],
  ])('keys a %s webhook route by host and hash, never by its URL', (channel, url, key) => {
    const r = routes({ WTT_IM_CHANNEL: channel, WTT_IM_TARGET: url });
    expect(r.primary).toHaveLength(1);
    expect(r.primary[0]?.key).toMatch(key);
    expect(r.primary[0]?.target).toBe(url);
    expect(r.primary[0]?.key).not.toContain('Secret');
  });

  it('gives two webhook URLs on the same host two keys', () => {
    const r = routes({ WTT_IM_CHANNEL: 'slack', WTT_IM_TARGETS: `${SLACK},${SLACK}x` });
    expect(new Set(r.primary.map((x) => x.key)).size).toBe(2);
  });

  it.each([
    [SLACK, 'slack'],
    [DING, 'dingtalk'],
    ['https://open.feishu.cn/open-apis/bot/v2/hook/abc', 'feishu'],
    ['https://open.larksuite.com/open-apis/bot/v2/hook/abc', 'lark'],
    ['https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc', 'wecom'],
    ['https://example.org/hook', 'webhook'],
  ])('picks the webhook kind from the host of %s when WTT_IM_CHANNEL is unset', (url, channel) => {
    expect(routes({ WTT_IM_TARGET: url }).primary[0]?.channel).toBe(channel);
  });

  it('parses webhook fallbacks written channel:url', () => {
    const r = routes({ WTT_IM_CHANNEL: 'telegram', WTT_IM_TARGET: '1', WTT_IM_FALLBACKS: `slack:${SLACK},dingtalk:${DING}` });
    expect(r.fallbacks.map((x) => x.channel)).toEqual(['slack', 'dingtalk']);
    expect(r.fallbacks.map((x) => x.target)).toEqual([SLACK, DING]);
  });

  it.each([
    [{ WTT_IM_CHANNEL: 'slack', WTT_IM_TARGET: '555001' }, 'channel slack needs a webhook URL'],
    [{ WTT_IM_CHANNEL: 'telegram', WTT_IM_TARGET: SLACK }, 'channel telegram is an OpenClaw channel and needs a chat id, not a URL (https://hooks.slack.com/…)'],
    [{ WTT_IM_CHANNEL: 'file', WTT_IM_TARGET: 'notes.txt' }, 'channel file needs an absolute path'],
    [{ WTT_IM_FALLBACKS: `telegram:${DING}` }, 'WTT_IM_FALLBACKS: channel telegram is an OpenClaw channel'],
    [{ WTT_IM_FALLBACKS: 'slack:nope' }, 'channel slack needs a webhook URL'],
    [{ WTT_IM_FALLBACKS: 'console:stderr' }, 'channel console takes the target stdout'],
  ])('rejects a target that does not fit its channel (%o)', (env, expected) => {
    const msg = configError(() => routes(env));
    expect(msg).toContain(expected);
    expect(msg).not.toContain('SlackSecretPath1234');
    expect(msg).not.toContain('DingSecretToken5678');
  });

  it('never repeats a webhook URL beyond its host when a fallback is malformed', () => {
    const msg = configError(() => routes({ WTT_IM_FALLBACKS: `:${SLACK}` }));
    expect(msg).toContain('WTT_IM_FALLBACKS must be a comma list of channel:target');
    expect(msg).not.toContain('SlackSecretPath1234');
  });

  it('parses one channel:target spec and refuses one without a channel', () => {
    expect(parseRouteSpec('telegram:555001')).toEqual({ key: 'telegram:555001', channel: 'telegram', target: '555001' });
    expect(parseRouteSpec(`slack:${SLACK}`).key).toMatch(/^slack:hooks\.slack\.com#/);
    expect(configError(() => parseRouteSpec('555001'))).toContain('channel:target');
    expect(configError(() => parseRouteSpec(SLACK))).not.toContain('SlackSecretPath1234');
    expect(CONSOLE_ROUTE.key).toBe('console:stdout');
  });

  it('reads WTT_WEBHOOK_SECRET as a secret that never appears in an error', () => {
    expect(loadConfig({ env: { WTT_SKILL_DIR: dir, HOME: dir, WTT_WEBHOOK_SECRET: 'SECabc' }, ignoreEnvFile: true }).webhookSecret).toBe('SECabc');
    const msg = configError(() => loadConfig({ env: { WTT_SKILL_DIR: dir, HOME: dir, WTT_WEBHOOK_SECRET: 'SEC with space' }, ignoreEnvFile: true }));
    expect(msg).toContain('WTT_WEBHOOK_SECRET');
    expect(msg).not.toContain('SEC with');
  });
});
