/** scrubDeep: what the inspector stream and the status page see of contexts, events and snapshots. */
import { createActor, createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { scrubDeep } from '../../src/inspect/scrub.js';
import { loopbackWsProblem } from '../../src/config.js';

describe('scrubDeep', () => {
  it('redacts secret keys at any depth and keeps the rest', () => {
    const out = scrubDeep({ agentId: 'agent-1', config: { agentToken: 'tok-123456789', apiUrl: 'http://127.0.0.1:1' }, headers: { Authorization: 'Bearer abc' }, max_tokens: 3, list: [{ gateway_token: 'g' }] });
    expect(out).toEqual({ agentId: 'agent-1', config: { agentToken: '[Redacted]', apiUrl: 'http://127.0.0.1:1' }, headers: { Authorization: '[Redacted]' }, max_tokens: 3, list: [{ gateway_token: '[Redacted]' }] });
  });

  it('scrubs configured and learned secret values out of free text, also when the text comes first', () => {
    const learned = new Set<string>();
    const event = { reason: 'refused plain-token-value-42 for agent-1', registered: { agent_token: 'plain-token-value-42' } };
    expect(scrubDeep(event, { learned })).toEqual({ reason: 'refused [Redacted] for agent-1', registered: { agent_token: '[Redacted]' } });
    expect(scrubDeep({ later: 'x plain-token-value-42 y' }, { learned })).toEqual({ later: 'x [Redacted] y' });
    expect(scrubDeep('Bearer abcdefghijkl and cfg-secret-1', { secrets: () => ['cfg-secret-1'] })).toBe('Bearer [Redacted] and [Redacted]');
  });

  it('turns actor refs, class instances, cycles and errors into small JSON-safe values', () => {
    const ref = createActor(createMachine({ id: 'm' })).start();
    class Store { file = '/x'; }
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    const out = scrubDeep({ ref, store: new Store(), cyclic, err: new Error('token=abcdef123 failed'), fn: () => 1, when: new Date(0), set: new Set([1]) });
    expect(out).toEqual({ ref: { actor: ref.id }, store: '[Store]', cyclic: { name: 'a', self: '[…]' }, err: { name: 'Error', message: 'token=[Redacted] failed' }, when: '1970-01-01T00:00:00.000Z', set: [1] });
    expect(() => JSON.stringify(out)).not.toThrow();
    ref.stop();
  });
});

describe('loopbackWsProblem', () => {
  it.each([
    ['ws://127.0.0.1:8080', undefined],
    ['ws://localhost:1', undefined],
    ['ws://[::1]:8080', undefined],
    ['wss://127.0.0.1:8080', 'only ws://, got wss://'],
    ['ws://192.0.2.1:8080', 'only 127.0.0.1, ::1 or localhost, got 192.0.2.1'],
    ['ws://u:p@127.0.0.1:1', 'no user name or password'],
    ['nonsense', "not a URL: 'nonsense'"],
  ])('%s → %s', (url, problem) => {
    expect(loopbackWsProblem(url)).toBe(problem);
  });
});
