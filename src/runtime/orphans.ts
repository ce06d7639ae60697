/**
 * Executions that outlive a crashed runtime. The command executor runs each task in its own process
 * group (so a cancel can kill it whole), which also means a SIGKILLed daemon leaves it running.
 * Each started group is recorded in the store (`exec:<run key>#<attempt>` → pid, task id) and
 * forgotten when its execution ends; at the next start the recorded groups still alive are killed
 * before the interrupted runs start again. A pid is only killed when it is verifiably the same
 * execution (Linux: its environment names the task, `WTT_TASK_ID=<id>`); elsewhere it is left
 * alone and logged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { StateStore } from './store.js';

const PREFIX = 'exec:';
const Entry = z.object({ pid: z.number().int().positive(), task_id: z.string().min(1) });

export function recordExecution(store: StateStore, key: string, taskId: string, pid: number): void {
  store.setKv(`${PREFIX}${key}`, JSON.stringify({ pid, task_id: taskId }));
}

export function forgetExecution(store: StateStore, key: string): void {
  store.deleteKv(`${PREFIX}${key}`);
}

/** Is `pid` still the process that runs task `taskId`? (undefined: cannot tell on this system) */
function isOurs(pid: number, taskId: string): boolean | undefined {
  const environ = `/proc/${pid}/environ`;
  if (!existsSync('/proc/self/environ')) return undefined;
  try {
    return readFileSync(environ, 'latin1').split('\0').includes(`WTT_TASK_ID=${taskId}`);
  } catch {
    return false;
  }
}

/** Kills the recorded process groups of a previous run of this runtime; returns how many. */
export function killOrphans(store: StateStore, log: Logger): number {
  let killed = 0;
  for (const { key, value } of store.kvWithPrefix(PREFIX)) {
    store.deleteKv(key);
    let entry: z.output<typeof Entry>;
    try {
      entry = Entry.parse(JSON.parse(value));
    } catch {
      continue;
    }
    const ours = isOurs(entry.pid, entry.task_id);
    if (ours === undefined) {
      log.warn({ pid: entry.pid, task_id: entry.task_id }, 'an execution of the previous run may still be running; it cannot be verified here, so it is left alone');
      continue;
    }
    if (!ours) continue;
    try {
      process.kill(-entry.pid, 'SIGKILL');
      killed++;
    } catch {
      // already gone
    }
  }
  if (killed > 0) log.warn({ killed }, 'stopped executions left running by the previous run (they are run again)');
  return killed;
}
