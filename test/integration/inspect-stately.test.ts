/**
 * `wtt daemon --inspect=ws://127.0.0.1:<port>`: the real daemon against the real hub sends its actor
 * system's events to a Stately inspector receiver on loopback (test/fakes/stately-receiver.ts): the
 * actor tree, the connection reaching `live`, events, with no token anywhere in the stream; it
 * reconnects when the receiver comes back and still stops at once on SIGTERM. Needs `npm run build`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startStatelyReceiver, type FakeStatelyReceiver, type ReceivedEvent } from '../fakes/stately-receiver.js';
import { killDaemons, startDaemon } from '../helpers/daemon-process.js';
import { startHub, type StartedHub } from '../helpers/hub.js';
import { assertBuilt, runCli } from './cli-helpers.js';

let hub: StartedHub | undefined;
const receivers: FakeStatelyReceiver[] = [];
afterEach(async () => {
  killDaemons();
  for (const r of receivers.splice(0)) await r.close();
  await hub?.close();
  hub = undefined;
});

const isLive = (e: ReceivedEvent, names: Map<string, string>) =>
  e.type === '@xstate.snapshot' && names.get(e.sessionId ?? '') === 'connection' && JSON.stringify(e.snapshot?.value ?? '').includes('live');

function namesOf(events: readonly ReceivedEvent[]): Map<string, string> {
  return new Map(events.filter((e) => e.type === '@xstate.actor').map((e) => [e.sessionId ?? '', e.name ?? '']));
}

describe('wtt daemon --inspect', () => {
  it('sends the actor tree, snapshots and events to the receiver on loopback, with no token in them', async () => {
    assertBuilt();
    hub = await startHub();
    const receiver = await startStatelyReceiver();
    receivers.push(receiver);
    const skill = mkdtempSync(join(tmpdir(), 'wtt-inspect-'));
    const env = { HOME: skill, WTT_SKILL_DIR: skill, WTT_API_URL: hub.url, WTT_LOG_LEVEL: 'warn', WTT_STATUS_PORT: 'off' };
    const d = startDaemon(['daemon', `--inspect=${receiver.url}`], env);
    await d.waitFor('stdout', new RegExp(`inspect: sending actor events to the Stately inspector at ${receiver.url.replace(/\./g, '\\.')}`));
    await d.waitFor('stderr', /connection: live/);
    await receiver.waitFor((e, all) => isLive(e, namesOf(all)));

    const names = namesOf(receiver.events);
    expect([...names.values()]).toEqual(expect.arrayContaining(['runtime', 'onboarding', 'connection', 'router', 'commands', 'control']));
    const root = receiver.events.find((e) => e.type === '@xstate.actor' && e.name === 'runtime');
    const connection = receiver.events.find((e) => e.type === '@xstate.actor' && e.name === 'connection');
    expect(connection?.parentId).toBe(root?.sessionId);
    // A command through the control socket shows up as an event in the stream.
    expect((await runCli(['list'], env)).code).toBe(0);
    await receiver.waitFor((e) => e.type === '@xstate.event' && /COMMAND|REQUEST|CONTROL/i.test(e.event?.type ?? ''));

    // The agent registered at start (its token was never in the configuration given to the inspector).
    const token = /WTT_AGENT_TOKEN=(\S+)/.exec(readFileSync(join(skill, '.env'), 'utf8'))?.[1] ?? '';
    expect(token.length).toBeGreaterThan(20);
    expect(receiver.raw()).not.toContain(token);
    expect(receiver.raw()).toContain('[Redacted]');

    expect(await d.stop()).toBe(0);
  });

  it('reconnects when the receiver comes back, and stops at once on SIGTERM while the receiver is away', async () => {
    assertBuilt();
    hub = await startHub();
    const first = await startStatelyReceiver();
    const skill = mkdtempSync(join(tmpdir(), 'wtt-inspect-'));
    const env = { HOME: skill, WTT_SKILL_DIR: skill, WTT_API_URL: hub.url, WTT_LOG_LEVEL: 'warn', WTT_STATUS_PORT: 'off' };
    const d = startDaemon(['daemon', `--inspect=${first.url}`], env);
    await first.waitFor((e, all) => isLive(e, namesOf(all)));
    const port = first.port;
    await first.close();
    const second = await startStatelyReceiver(port);
    receivers.push(second);
    // Something happens in the system after the receiver is back: a command.
    expect((await runCli(['list'], env)).code).toBe(0);
    await second.waitFor((e) => e.type === '@xstate.event');
    await second.close();
    receivers.length = 0;
    expect(await d.stop()).toBe(0);
  });

  it('refuses an inspector that is not on loopback', async () => {
    assertBuilt();
    const skill = mkdtempSync(join(tmpdir(), 'wtt-inspect-'));
    const env = { HOME: skill, WTT_SKILL_DIR: skill, WTT_API_URL: 'http://127.0.0.1:9' };
    const r = await runCli(['daemon', '--inspect=ws://192.0.2.1:8080'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--inspect must be a ws:// URL on loopback (only 127.0.0.1, ::1 or localhost, got 192.0.2.1)');
    const viaEnv = await runCli(['daemon'], { ...env, WTT_INSPECT: 'wss://stately.ai/inspect' });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toContain('WTT_INSPECT must be on, off or a ws:// URL on loopback (only ws://, got wss://)');
  });
});
