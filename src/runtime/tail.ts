/**
 * `wtt tail`: the connection and intake alone. One JSON line per handed-on message on stdout, one
 * JSON line per connection state change on stderr. Stopped and started again with the same state
 * dir it prints nothing twice and misses nothing.
 */
import type { Config } from '../config.js';
import { WttError } from '../errors.js';
import { createLogger } from '../log.js';
import type { Message } from '../protocol/index.js';
import type { ConnectionStatus } from '../../machines/connection.machine.js';
import type { IntakeSource } from './intake.js';
import { prelude } from './prelude.js';
import { Link, type LinkTuning } from './link.js';
import { runUntilSignal } from './until-signal.js';

export const TAIL_USAGE = `usage: wtt tail [--backoff-base-ms N] [--backoff-cap-ms N] [--stable-ms N] [--poll-after-ms N] [--socket-timeout-ms N]

Prints every message handed on as one JSON line on stdout and each connection state change as one
JSON line on stderr. Agent id and token come from the configuration (WTT_AGENT_ID, WTT_AGENT_TOKEN);
the state (cursors, seen ids) lives in WTT_STATE_DIR. Heartbeat, liveness and poll interval come from
WTT_HEARTBEAT_S, WTT_LIVENESS_S and WTT_POLL_INTERVAL. Ctrl-C (SIGINT) or SIGTERM stops it.`;

const FLAGS: Record<string, keyof LinkTuning> = {
  '--backoff-base-ms': 'backoffBaseMs',
  '--backoff-cap-ms': 'backoffCapMs',
  '--stable-ms': 'stableMs',
  '--poll-after-ms': 'pollAfterMs',
  '--socket-timeout-ms': 'socketTimeoutMs',
};

export function parseTailArgs(argv: readonly string[]): LinkTuning {
  const tuning: LinkTuning = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const key = FLAGS[name];
    if (!key) throw new WttError('WTT_ERR_USAGE', { message: `unknown option '${arg}'` });
    const raw = inline ?? argv[++i];
    const n = Number(raw);
    if (raw === undefined || raw.trim() === '' || !Number.isInteger(n) || n < 0) {
      throw new WttError('WTT_ERR_USAGE', { message: `${name} needs a whole number of milliseconds ≥ 0, got '${raw ?? ''}'` });
    }
    tuning[key] = n;
  }
  return tuning;
}

/** The JSON line for one message (protocol names, unchanged). */
export function messageLine(m: Message, source: IntakeSource): string {
  const out: Record<string, unknown> = {
    id: m.id,
    topic_id: m.topic_id,
    sender_id: m.sender_id,
    sender_type: m.sender_type,
    content_type: m.content_type,
    semantic_type: m.semantic_type,
    content: m.content,
    created_at: m.created_at ?? m.timestamp,
    seq: m.seq,
    topic_name: m.topic_name,
    topic_type: m.topic_type,
    reply_to: m.reply_to ?? undefined,
    task_id: m.task_id ?? undefined,
    via: source,
  };
  return JSON.stringify(out);
}

export function statusLine(s: ConnectionStatus): string {
  return JSON.stringify({ status: s.state, ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'state')) });
}

export async function main(argv: string[]): Promise<number> {
  const pre = prelude('tail', TAIL_USAGE, argv, parseTailArgs);
  if (!pre.ok) return pre.exitCode;
  const tuning: LinkTuning = pre.flags;
  const config: Readonly<Config> = pre.config;
  const log = createLogger({ level: config.logLevel, name: 'wtt-tail' });
  let link: Link;
  try {
    link = new Link({
      config,
      log,
      tuning,
      handOn: (m, source) => {
        // Synchronous on Linux for files and pipes: the line is out before the store records it.
        process.stdout.write(`${messageLine(m, source)}\n`);
      },
    });
  } catch (e) {
    process.stderr.write(`wtt tail: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  link.onStatus((s) => process.stderr.write(`${statusLine(s)}\n`));

  return runUntilSignal({
    start: (stop) => {
      process.stdout.on('error', stop);
      link.start();
    },
    shutdown: () => link.stop(),
  });
}
