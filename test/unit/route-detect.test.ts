import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectRoute, sqliteStorePath, toEpochMs, type RouteDetectInput } from '../../src/onboarding/route-detect.js';
import { buildLegacySessions, buildSqliteStore, deliveryEntry } from '../fixtures/openclaw-store.js';

let home: string;
const open: { close(): void }[] = [];
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'wtt-oc-'));
});
afterEach(() => {
  for (const db of open.splice(0)) db.close();
  rmSync(home, { recursive: true, force: true });
});

const input = (over: Partial<RouteDetectInput> = {}): RouteDetectInput => ({
  imChannel: undefined,
  imTargets: [],
  openclawHome: home,
  openclawConfigPath: join(home, 'openclaw.json'),
  openclawAgentId: 'main',
  ...over,
});

const T0 = Date.parse('2026-09-01T10:00:00Z');

describe('route-detect', () => {
  it('uses the configured route and reads no store when .env already has a target', () => {
    open.push(buildSqliteStore(home, 'main', [{ key: 'k', entry: deliveryEntry('telegram', 'telegram:999', T0) }], []));
    const r = detectRoute(input({ imChannel: 'discord', imTargets: ['42'] }));
    expect(r.route).toEqual({ channel: 'discord', targets: ['42'], source: 'env' });
  });

  it('takes the channel from openclaw.json when .env has a target but no channel', () => {
    writeFileSync(join(home, 'openclaw.json'), JSON.stringify({ channels: { slack: { enabled: false }, telegram: { enabled: true } } }));
    expect(detectRoute(input({ imTargets: ['7'] })).route).toMatchObject({ channel: 'telegram', targets: ['7'], source: 'env' });
  });

  it('reads the newest delivery context from session_nodes when the SQLite store exists', () => {
    open.push(
      buildSqliteStore(
        home,
        'main',
        [
          { key: 'agent:main:main', entry: deliveryEntry('telegram', 'telegram:555001', T0) },
          { key: 'agent:main:other', entry: deliveryEntry('telegram', 'telegram:555002', T0 + 60_000) },
          { key: 'agent:main:group', entry: deliveryEntry('telegram', 'telegram:-100777', T0 + 120_000, { chatType: 'group' }) },
          { key: 'agent:main:web', entry: deliveryEntry('webchat', 'webchat:x', T0 + 180_000) },
        ],
        [],
      ),
    );
    const r = detectRoute(input());
    expect(r.route).toMatchObject({ channel: 'telegram', targets: ['555002'], source: 'sqlite', updatedAt: T0 + 60_000 });
    expect(r.route?.from).toBe(sqliteStorePath(home, 'main'));
  });

  it('reads direct rows of the conversations table newest first when they are newer than the sessions', () => {
    open.push(
      buildSqliteStore(
        home,
        'main',
        [{ key: 'agent:main:main', entry: deliveryEntry('telegram', 'telegram:555001', T0) }],
        [
          { channel: 'telegram', kind: 'direct', peer_id: '555003', delivery_target: 'telegram:555003', updated_at: T0 + 5_000 },
          { channel: 'telegram', kind: 'group', peer_id: '-100', delivery_target: 'telegram:-100', updated_at: T0 + 9_000 },
          { channel: 'discord', kind: 'direct', peer_id: 'user42', delivery_target: null, updated_at: T0 + 7_000 },
        ],
      ),
    );
    expect(detectRoute(input()).route).toMatchObject({ channel: 'discord', targets: ['user42'], source: 'sqlite' });
  });

  it('keeps to the configured channel when only WTT_IM_CHANNEL is set', () => {
    open.push(
      buildSqliteStore(home, 'main', [], [
        { channel: 'telegram', kind: 'direct', peer_id: '1', delivery_target: 'telegram:1', updated_at: T0 },
        { channel: 'discord', kind: 'direct', peer_id: '2', delivery_target: 'discord:2', updated_at: T0 + 1 },
      ]),
    );
    expect(detectRoute(input({ imChannel: 'telegram' })).route).toMatchObject({ channel: 'telegram', targets: ['1'] });
  });

  it('reads the store while another connection holds it open in WAL mode and never writes to it', () => {
    const writer = buildSqliteStore(home, 'main', [{ key: 'a', entry: deliveryEntry('telegram', 'telegram:1', T0) }], []);
    open.push(writer);
    writer.prepare('INSERT INTO session_nodes (session_key, entry_json) VALUES (?, ?)').run('b', JSON.stringify(deliveryEntry('telegram', 'telegram:2', T0 + 1)));
    const path = sqliteStorePath(home, 'main');
    const before = readFileSync(path);
    expect(detectRoute(input()).route).toMatchObject({ targets: ['2'] });
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('opens the store read-only so that a read-only file still works', () => {
    const db = buildSqliteStore(home, 'main', [{ key: 'a', entry: deliveryEntry('telegram', 'telegram:31', T0) }], []);
    db.pragma('journal_mode = DELETE');
    db.close();
    chmodSync(sqliteStorePath(home, 'main'), 0o444);
    expect(detectRoute(input()).route).toMatchObject({ targets: ['31'], source: 'sqlite' });
  });

  it('falls back to the legacy sessions.json key pattern when there is no SQLite store', () => {
    buildLegacySessions(home, 'main', {
      'agent:main:telegram:direct:555001': { updatedAt: T0 },
      'agent:main:telegram:direct:555009': { updatedAt: T0 + 10 },
      'agent:main:telegram:group:-1001': { updatedAt: T0 + 20 },
    });
    const r = detectRoute(input());
    expect(r.route).toMatchObject({ channel: 'telegram', targets: ['555009'], source: 'sessions.json' });
    expect(r.notes.some((n) => n.includes('no OpenClaw SQLite store'))).toBe(true);
  });

  it("reads the entry's delivery context when the legacy key is the default agent:main:main", () => {
    buildLegacySessions(home, 'main', {
      'agent:main:main': { updatedAt: T0, deliveryContext: { channel: 'telegram', to: 'telegram:777' } },
    });
    expect(detectRoute(input()).route).toMatchObject({ channel: 'telegram', targets: ['777'], source: 'sessions.json' });
  });

  it('picks the newest route across the SQLite store and sessions.json when both exist', () => {
    open.push(buildSqliteStore(home, 'main', [{ key: 'a', entry: deliveryEntry('telegram', 'telegram:100', T0) }], []));
    buildLegacySessions(home, 'main', { 'agent:main:telegram:direct:200': { updatedAt: T0 + 1000 } });
    expect(detectRoute(input()).route).toMatchObject({ targets: ['200'], source: 'sessions.json' });

    rmSync(join(home, 'agents', 'main', 'sessions'), { recursive: true });
    buildLegacySessions(home, 'main', { 'agent:main:telegram:direct:300': { updatedAt: T0 - 1000 } });
    expect(detectRoute(input()).route).toMatchObject({ targets: ['100'], source: 'sqlite' });
  });

  it('prefers the SQLite store when both stores have the same time', () => {
    open.push(buildSqliteStore(home, 'main', [{ key: 'a', entry: deliveryEntry('telegram', 'telegram:100', T0) }], []));
    buildLegacySessions(home, 'main', { 'agent:main:telegram:direct:200': { updatedAt: T0 } });
    expect(detectRoute(input()).route).toMatchObject({ targets: ['100'], source: 'sqlite' });
  });

  it('looks under the configured OpenClaw agent id when OPENCLAW_AGENT_ID is not main', () => {
    open.push(buildSqliteStore(home, 'main', [{ key: 'a', entry: deliveryEntry('telegram', 'telegram:1', T0) }], []));
    open.push(buildSqliteStore(home, 'work', [{ key: 'a', entry: deliveryEntry('telegram', 'telegram:2', T0 - 5) }], []));
    expect(detectRoute(input({ openclawAgentId: 'work' })).route).toMatchObject({ targets: ['2'] });
  });

  it('reports why nothing was found when there is no direct chat anywhere', () => {
    const r = detectRoute(input());
    expect(r.route).toBeUndefined();
    expect(r.notes.join('\n')).toMatch(/no OpenClaw SQLite store/);
    expect(r.notes.join('\n')).toMatch(/no legacy sessions file/);
  });

  it('survives a corrupt store and a corrupt sessions.json when reading them', () => {
    const p = sqliteStorePath(home, 'main');
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, 'not a database at all');
    buildLegacySessions(home, 'main', {});
    writeFileSync(join(home, 'agents', 'main', 'sessions', 'sessions.json'), '{ broken');
    const r = detectRoute(input());
    expect(r.route).toBeUndefined();
    expect(r.notes.join('\n')).toMatch(/cannot read .*sessions\.json/);
  });

  it('understands milliseconds, seconds and ISO text when it reads timestamps', () => {
    expect(toEpochMs(T0)).toBe(T0);
    expect(toEpochMs(T0 / 1000)).toBe(T0);
    expect(toEpochMs('2026-09-01T10:00:00Z')).toBe(T0);
    expect(toEpochMs(String(T0))).toBe(T0);
    expect(toEpochMs('soon')).toBeUndefined();
  });
});
