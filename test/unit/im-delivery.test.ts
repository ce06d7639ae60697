import { describe, expect, it } from 'vitest';
import { checkButtons, DeliveryError, retryAfterMs } from '../../src/im/delivery.js';
import { isWttError } from '../../src/errors.js';
import { cliArgs } from '../../src/im/openclaw-cli.js';
import { messageToolBody } from '../../src/im/openclaw-gateway.js';
import { bodyVerdict, dingtalkSign, signDingtalkUrl, webhookPayload } from '../../src/im/webhooks.js';

describe('im delivery', () => {
  it.each([
    ['7', 7000],
    ['0', 0],
    ['1.5', 1500],
    [new Date(1_000_000 + 30_000).toUTCString(), 29_000],
    [new Date(1_000_000 - 30_000).toUTCString(), 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('reads Retry-After %s as %s ms', (header, ms) => {
    expect(retryAfterMs(header, 1_000_000 + 1000)).toBe(ms);
  });

  it('gives a config DeliveryError the config code and the others the delivery code', () => {
    const c = new DeliveryError('config', 'slack', 'bad url');
    const t = new DeliveryError('transient', 'slack', 'busy', { retryAfterMs: 2500, status: 429 });
    expect(isWttError(c, 'WTT_ERR_CONFIG')).toBe(true);
    expect(isWttError(t, 'WTT_ERR_DELIVERY')).toBe(true);
    expect(t.retryAfterMs).toBe(2500);
    expect(t.retryAfterS).toBe(2.5);
    expect(t.status).toBe(429);
    expect(c.retryAfterMs).toBeUndefined();
  });

  it('accepts a 64-byte button value and refuses 65 bytes or an empty label', () => {
    expect(() => checkButtons('x', [{ label: 'OK', value: 'a'.repeat(64) }])).not.toThrow();
    expect(() => checkButtons('x', [{ label: 'OK', value: 'a'.repeat(65) }])).toThrow(/65 bytes/);
    expect(() => checkButtons('x', [{ label: ' ', value: 'v' }])).toThrow(/empty label/);
    expect(() => checkButtons('x', [{ label: 'OK', value: '' }])).toThrow(/0 bytes/);
  });

  it('builds the message tool body in the verified shape', () => {
    expect(messageToolBody({ action: 'edit', channel: 'telegram', target: '1', message: 'm', messageId: '9', buttons: [{ label: 'A', value: 'wtt:a' }] }, 'k')).toEqual({
      tool: 'message',
      args: { action: 'edit', channel: 'telegram', target: '1', message: 'm', messageId: '9', presentation: { blocks: [{ type: 'buttons', buttons: [{ label: 'A', value: 'wtt:a' }] }] } },
      idempotencyKey: 'k',
    });
  });

  it('passes a text that starts with a dash to the CLI as --message=', () => {
    expect(cliArgs('telegram', '1', '--help')).toEqual(['message', 'send', '--channel', 'telegram', '--target', '1', '--message=--help']);
    expect(cliArgs('telegram', '1', 'hi')).toEqual(['message', 'send', '--channel', 'telegram', '--target', '1', '--message', 'hi']);
  });

  it('signs DingTalk URLs with HMAC-SHA256 of "<timestamp>\\n<secret>" and keeps the token parameter', () => {
    const sign = dingtalkSign(1_700_000_000_000, 'SECx');
    // computed independently: python3 hmac.new(b'SECx', b'1700000000000\nSECx', sha256) → base64
    expect(sign).toBe('rgcjbH+yFyES+S0llX+cAPCwVRpsr7sbiX5Lnyo/ocU=');
    const u = new URL(signDingtalkUrl('https://oapi.dingtalk.com/robot/send?access_token=T', 'SECx', 1_700_000_000_000));
    expect(u.searchParams.get('access_token')).toBe('T');
    expect(u.searchParams.get('timestamp')).toBe('1700000000000');
    expect(u.searchParams.get('sign')).toBe(sign);
  });

  it('reads no error from a success body and from services that report errors by status', () => {
    expect(bodyVerdict('dingtalk', '{"errcode":0,"errmsg":"ok"}')).toBeUndefined();
    expect(bodyVerdict('feishu', '{"code":0,"msg":"success"}')).toBeUndefined();
    expect(bodyVerdict('slack', 'ok')).toBeUndefined();
    expect(bodyVerdict('webhook', '{"errcode":5}')).toBeUndefined();
    expect(bodyVerdict('wecom', 'not json')).toBeUndefined();
  });

  it('leaves the generic payload agent_id null when no agent is registered', () => {
    expect(webhookPayload('webhook', 't', { agentId: undefined, nowMs: 0 })).toEqual({ source: 'wtt-skill', agent_id: null, message: 't', timestamp: '1970-01-01T00:00:00.000Z' });
  });
});
