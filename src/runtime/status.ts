/**
 * `wtt status [--json]`: what a user or a monitoring script asks of the running daemon, over its
 * control socket. Exit 0 when a daemon answers, 3 when none runs ("not running"), 1 on an error.
 */
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { WttError } from '../errors.js';
import { askDaemon, controlSocketPath } from './control.js';

export const STATUS_USAGE = `usage: wtt status [--json]

Asks the running daemon (wtt up / wtt daemon) for its state: the connection and since when, live or
polling, the last catch-up, the outbox depth and failed deliveries, tasks in progress, the last
error, whether the state file can be written (a full disk), the process's memory, handles and live
actors, uptime and version. Exit 0 when it answers; exit 3 and "not running" when no daemon runs for
this state dir; --json prints one JSON object for scripts.`;

/** The request word the daemon's commands actor answers with a StatusReport (JSON). */
export const STATUS_REQUEST = '\u0000status';

export const StatusReport = z.object({
  running: z.literal(true),
  version: z.string(),
  pid: z.number(),
  uptime_s: z.number(),
  agent_id: z.string().nullable(),
  state_dir: z.string(),
  api_url: z.string(),
  connection: z.object({ state: z.string(), since: z.string(), reason: z.string().optional() }),
  last_catchup: z.object({ at: z.string(), delivered: z.number() }).nullable(),
  intake: z.object({ delivered: z.number(), duplicates: z.number(), invalid: z.number(), failed: z.number() }),
  outbox: z.record(z.string(), z.number()).nullable(),
  /** null: WTT_EXECUTOR is unset (this agent runs no tasks). */
  tasks: z
    .object({
      active: z.number(),
      total: z.number().default(0),
      by_status: z.record(z.string(), z.number()).default({}),
      pipelines: z.number().default(0),
      /** At most 50, running ones first. */
      tasks: z
        .array(
          z.object({
            id: z.string(),
            title: z.string(),
            status: z.string(),
            phase: z.string().optional(),
            run: z.number(),
            last_event: z.string().nullable(),
            reason: z.string().nullable(),
          }),
        )
        .default([]),
    })
    .nullable(),
  last_error: z.object({ at: z.string(), where: z.string(), message: z.string() }).nullable(),
  children: z.record(z.string(), z.number()),
  /** One entry per chat route: its notifier state (idle, retrying, circuitOpen, misconfigured, …). */
  routes: z.array(z.object({ route: z.string(), state: z.string(), last_error: z.string().nullable() })).default([]),
  /** Whether the state file can be written now (false while the disk is full), and why not. */
  store: z.object({ writable: z.boolean(), since: z.string().nullable(), error: z.string().nullable(), failed_writes: z.number() }).nullable().default(null),
  /** The process itself: memory, open handles, live actors, outbox depth (what `npm run soak` watches). */
  process: z
    .object({ rss_mb: z.number(), heap_used_mb: z.number(), handles: z.number(), actors: z.number(), outbox_depth: z.number() })
    .nullable()
    .default(null),
});
export type StatusReport = z.infer<typeof StatusReport>;

function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${(s / 3600).toFixed(1)} h ago`;
}

function duration(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}

export function statusLines(r: StatusReport, now = Date.now()): string {
  const c = r.connection;
  const mode = c.state === 'live' ? 'live (WebSocket)' : c.state === 'polling' ? 'polling (REST fallback; the socket keeps retrying)' : c.state;
  const outbox = r.outbox ? Object.entries(r.outbox).map(([k, v]) => `${k} ${v}`).join(', ') || 'empty' : 'not available';
  const sick = Object.entries(r.children).filter(([, n]) => n > 0);
  return [
    `wtt daemon: running (pid ${r.pid}, version ${r.version}, up ${duration(r.uptime_s)})`,
    `agent: ${r.agent_id ?? '(registering)'} on ${r.api_url}`,
    `connection: ${mode} since ${c.since} (${ago(c.since, now)})${c.reason ? ` — ${c.reason}` : ''}`,
    `last catch-up: ${r.last_catchup ? `${r.last_catchup.at} (${ago(r.last_catchup.at, now)}), ${r.last_catchup.delivered} message(s)` : 'none yet'}`,
    `messages in: ${r.intake.delivered} (duplicates ${r.intake.duplicates}, invalid ${r.intake.invalid}, failed ${r.intake.failed})`,
    `outbox: ${outbox}`,
    ...(r.store && !r.store.writable ? [`state file: NOT WRITABLE since ${r.store.since ?? '?'} (${r.store.failed_writes} failed write(s)) — ${r.store.error ?? 'unknown error'}`] : []),
    ...r.routes.map((x) => `chat route ${x.route}: ${x.state}${x.last_error && x.state !== 'idle' ? ` — ${x.last_error}` : ''}`),
    `tasks in progress: ${r.tasks ? `${r.tasks.active}${r.tasks.total > r.tasks.active ? ` (of ${r.tasks.total} task actors: ${Object.entries(r.tasks.by_status).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}` : 'not available (WTT_EXECUTOR is unset)'}`,
    ...(r.tasks?.tasks ?? []).map(
      (t) => `  task ${t.id} "${t.title}": ${t.status}${t.phase ? ` (${t.phase})` : ''}, run ${t.run}${t.reason ? ` — ${t.reason}` : t.last_event ? ` — ${t.last_event}` : ''}`,
    ),
    `last error: ${r.last_error ? `${r.last_error.at} ${r.last_error.where}: ${r.last_error.message}` : 'none'}`,
    ...(sick.length > 0 ? [`restarting: ${sick.map(([k, n]) => `${k} (${n} failure${n === 1 ? '' : 's'})`).join(', ')}`] : []),
    ...(r.process ? [`process: ${r.process.rss_mb} MB RSS, heap ${r.process.heap_used_mb} MB, ${r.process.handles} handles, ${r.process.actors} actors, outbox depth ${r.process.outbox_depth}`] : []),
    `state: ${r.state_dir}`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${STATUS_USAGE}\n`);
    return 0;
  }
  const json = argv.includes('--json');
  const unknown = argv.find((a) => a !== '--json');
  if (unknown) {
    process.stderr.write(`wtt status: unknown option '${unknown}'\n${STATUS_USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`wtt status: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const path = controlSocketPath(config.stateDir);
  let answer;
  try {
    answer = await askDaemon(path, config.agentId, [STATUS_REQUEST], 10_000);
  } catch (e) {
    process.stderr.write(`wtt status: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (!answer) {
    process.stdout.write(json ? `${JSON.stringify({ running: false, state_dir: config.stateDir })}\n` : `wtt daemon: not running (state dir ${config.stateDir})\n`);
    return 3;
  }
  const parsed = StatusReport.safeParse((() => { try { return JSON.parse(answer.text) as unknown; } catch { return undefined; } })());
  if (!parsed.success) {
    process.stderr.write(`wtt status: ${new WttError('WTT_ERR_BAD_RESPONSE', { message: 'the daemon answered with a status this CLI cannot read (different versions?)' }).message}\n`);
    return 1;
  }
  process.stdout.write(`${json ? JSON.stringify(parsed.data) : statusLines(parsed.data)}\n`);
  return 0;
}
