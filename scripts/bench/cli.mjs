/**
 * cli_ms: wall time of `wtt list` (node start-up included): through the running daemon (control
 * socket in its state dir), in process (no daemon for that state dir: REST straight to the hub), and
 * floor = `node -e 0`. Interleaved, median of 15 runs each (quick: 5).
 */
import { spawnSync } from 'node:child_process';
import { BIN, agents, median, round, spawnDaemon, startGateway, temp, topicWith } from './lib.mjs';

function timed(args, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 500)}`);
  return ms;
}

export async function cli({ hub, quick }) {
  const [me, other] = await agents(hub.url, 2);
  await topicWith(me, [other], 'cli');
  const gateway = await startGateway();
  const stateDir = temp('wtt-bench-cli-');
  const daemon = await spawnDaemon({ hubUrl: hub.url, agent: me, stateDir, gateway });
  await daemon.waitState('live');
  const envFor = (dir) => ({ PATH: process.env.PATH, HOME: dir, WTT_SKILL_DIR: dir, WTT_STATE_DIR: dir, WTT_API_URL: hub.url, WTT_AGENT_ID: me.agent_id, WTT_AGENT_TOKEN: me.agent_token, WTT_LOG_LEVEL: 'warn' });
  const viaDaemon = envFor(stateDir);
  const alone = envFor(temp('wtt-bench-cli-alone-'));
  timed(['-e', '0'], alone);
  timed([BIN, 'list'], viaDaemon);
  timed([BIN, 'list'], alone);
  const floor = [];
  const d = [];
  const p = [];
  for (let i = 0; i < (quick ? 5 : 15); i++) {
    floor.push(timed(['-e', '0'], alone));
    d.push(timed([BIN, 'list'], viaDaemon));
    p.push(timed([BIN, 'list'], alone));
  }
  await daemon.stop();
  await gateway.close();
  return { cli_ms: { daemon: round(median(d), 1), in_process: round(median(p), 1), floor: round(median(floor), 1) } };
}
