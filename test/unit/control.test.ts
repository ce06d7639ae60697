import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { askDaemon, controlSocketPath, startControlServer } from '../../src/runtime/control.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function serve(dir: string, agentId = 'agent-aaaaaaaaaaaa') {
  const seen: string[][] = [];
  const server = await startControlServer({
    path: controlSocketPath(dir),
    agentId,
    handle: async (argv) => {
      seen.push(argv);
      if (argv[0] === 'boom') throw new Error('secret internals');
      return { text: `ran ${argv.join(' ')}`, exitCode: 0 };
    },
  });
  if (!server) throw new Error('no server');
  servers.push(server);
  return { server, seen };
}

function rawRequest(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    s.on('data', (d) => (buf += d.toString()));
    s.on('end', () => resolve(buf));
    s.on('error', reject);
    s.write(line);
  });
}

describe('control socket', () => {
  it('runs the command in the daemon and returns its text and exit code when the agent matches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-ctl-'));
    const { seen } = await serve(dir);
    const r = await askDaemon(controlSocketPath(dir), 'agent-aaaaaaaaaaaa', ['publish', 't1', 'two\nlines'], 5000);
    expect(r).toEqual({ text: 'ran publish t1 two\nlines', exitCode: 0 });
    expect(seen).toEqual([['publish', 't1', 'two\nlines']]);
  });

  it('leaves the work to the CLI when the daemon serves another agent or none runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-ctl-'));
    expect(await askDaemon(controlSocketPath(dir), 'agent-aaaaaaaaaaaa', ['list'], 5000)).toBeUndefined();
    const { seen } = await serve(dir);
    expect(await askDaemon(controlSocketPath(dir), 'agent-bbbbbbbbbbbb', ['list'], 5000)).toBeUndefined();
    expect(seen).toEqual([]);
  });

  it('creates the socket for its user only and removes it on close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-ctl-'));
    const { server } = await serve(dir);
    expect(statSync(controlSocketPath(dir)).mode & 0o777).toBe(0o600);
    await new Promise<void>((r) => server.close(() => r()));
    servers.splice(servers.indexOf(server), 1);
    expect(() => statSync(controlSocketPath(dir))).toThrow();
  });

  it('replaces a stale socket file left by a crash and refuses to start beside a live daemon', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-ctl-'));
    writeFileSync(controlSocketPath(dir), '');
    await serve(dir);
    await expect(serve(dir)).rejects.toThrow('another wtt daemon is already running');
  });

  it('answers malformed requests and handler failures with a clear error and keeps serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wtt-ctl-'));
    await serve(dir);
    const path = controlSocketPath(dir);
    expect(JSON.parse(await rawRequest(path, 'not json\n'))).toEqual({ text: 'control request is not JSON', exitCode: 1 });
    expect(JSON.parse(await rawRequest(path, '{"v":2}\n'))).toEqual({ text: 'control request has the wrong shape', exitCode: 1 });
    const failed = await askDaemon(path, 'agent-aaaaaaaaaaaa', ['boom'], 5000);
    expect(failed).toEqual({ text: 'the daemon failed to run the command', exitCode: 1 });
    expect(await askDaemon(path, 'agent-aaaaaaaaaaaa', ['list'], 5000)).toEqual({ text: 'ran list', exitCode: 0 });
  });
});
