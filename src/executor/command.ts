/**
 * The `command` executor (`WTT_EXECUTOR=command`): runs `WTT_EXECUTOR_COMMAND` (argv, no shell) in
 * its own process group with the task as JSON on stdin. Its stdout is the result; a non-zero exit
 * is a failure with stderr as the reason (exit 75, EX_TEMPFAIL, marks it transient: the task
 * machine retries). Lines on stderr of the form `WTT_PROGRESS <0-100> <text>` are real progress
 * events. A timeout or an abort kills the whole process group (SIGTERM, then SIGKILL after a grace).
 * The child's environment has no WTT/OpenClaw secrets.
 */
import { spawn } from 'node:child_process';
import { ExecutorError, type ExecutionRequest, type Executor } from './types.js';

export const COMMAND_DEFAULTS = Object.freeze({
  /** Kept of stdout; more is cut (the report keeps at most 50,000 characters anyway). */
  maxStdoutBytes: 1_000_000,
  /** Kept of stderr (its tail is the failure reason). */
  maxStderrBytes: 16_000,
  /** Reason text at most this long. */
  maxReasonChars: 2_000,
  killGraceMs: 2_000,
  /** EX_TEMPFAIL (sysexits.h): "try again later". */
  transientExitCode: 75,
});

export interface CommandExecutorOptions {
  argv: readonly string[];
  cwd?: string | undefined;
  /** The child's environment (default: this process's, without secrets). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Kills the process after this long (the task machine also stops it at WTT_TASK_MAX_RUNTIME). */
  timeoutMs?: number | undefined;
  killGraceMs?: number | undefined;
  maxStdoutBytes?: number | undefined;
}

const SECRET_KEY = /TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE/iu;

/** This process's environment without anything that looks like a credential. */
export function childEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !SECRET_KEY.test(k)));
}

/** What the command reads on stdin. */
export function stdinPayload(req: ExecutionRequest): string {
  return `${JSON.stringify({ task: req.task, prompt: req.prompt, follow_ups: req.followUps, idempotency_key: req.idempotencyKey, attempt: req.attempt })}\n`;
}

const PROGRESS_LINE = /^WTT_PROGRESS\s+(\d{1,3})(?:\s+(.*))?$/u;

export function commandExecutor(opts: CommandExecutorOptions): Executor {
  const [file, ...args] = opts.argv;
  if (!file) throw new RangeError('the command executor needs a command');
  const grace = opts.killGraceMs ?? COMMAND_DEFAULTS.killGraceMs;
  const maxOut = opts.maxStdoutBytes ?? COMMAND_DEFAULTS.maxStdoutBytes;
  return {
    name: 'command',
    run(req: ExecutionRequest): Promise<string> {
      return new Promise<string>((resolve, reject) => {
        if (req.signal.aborted) {
          reject(new ExecutorError('WTT_ERR_EXECUTOR_ABORTED', 'the run was stopped before the command started'));
          return;
        }
        const child = spawn(file, args, {
          cwd: opts.cwd,
          env: { ...(opts.env ?? childEnv()), WTT_TASK_ID: req.task.id, WTT_IDEMPOTENCY_KEY: req.idempotencyKey, WTT_ATTEMPT: String(req.attempt) },
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: true, // its own process group, so a kill reaches its children too
          shell: false,
          windowsHide: true,
        });
        if (child.pid !== undefined) req.onSpawn?.(child.pid);
        const out: Buffer[] = [];
        let outBytes = 0;
        let errText = '';
        let errLine = '';
        let stopped: ExecutorError | undefined;
        let killTimer: NodeJS.Timeout | undefined;
        let timeout: NodeJS.Timeout | undefined;
        let settled = false;

        const killGroup = (signal: NodeJS.Signals) => {
          if (child.pid === undefined) return;
          try {
            process.kill(-child.pid, signal);
          } catch {
            // already gone
          }
        };
        const stop = (why: ExecutorError) => {
          if (stopped || settled) return;
          stopped = why;
          killGroup('SIGTERM');
          killTimer = setTimeout(() => killGroup('SIGKILL'), grace);
          killTimer.unref();
        };
        const onAbort = () => stop(new ExecutorError('WTT_ERR_EXECUTOR_ABORTED', 'the run was stopped'));
        req.signal.addEventListener('abort', onAbort, { once: true });
        if (opts.timeoutMs !== undefined) {
          timeout = setTimeout(() => stop(new ExecutorError('WTT_ERR_EXECUTOR_TIMEOUT', `the command ran longer than ${Math.round((opts.timeoutMs as number) / 1000)} s`)), opts.timeoutMs);
          timeout.unref();
        }
        const finish = (fn: () => void) => {
          if (settled) return;
          settled = true;
          req.signal.removeEventListener('abort', onAbort);
          if (timeout) clearTimeout(timeout);
          fn();
        };

        child.stdout.on('data', (b: Buffer) => {
          if (outBytes >= maxOut) return;
          const keep = b.subarray(0, maxOut - outBytes);
          out.push(keep);
          outBytes += keep.length;
        });
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (s: string) => {
          errText = (errText + s).slice(-COMMAND_DEFAULTS.maxStderrBytes);
          errLine += s;
          const lines = errLine.split('\n');
          errLine = lines.pop() ?? '';
          for (const line of lines) {
            const m = PROGRESS_LINE.exec(line.trim());
            if (m) req.onEvent?.({ progress: Math.min(100, Number(m[1])), text: (m[2] ?? '').slice(0, 500) });
            else if (line.trim() !== '') req.onEvent?.({ text: line.trim().slice(0, 500) });
          }
        });
        child.on('error', (e: NodeJS.ErrnoException) => {
          finish(() => reject(new ExecutorError('WTT_ERR_EXECUTOR', `cannot start ${file}: ${e.code ?? e.message}`, { cause: e })));
        });
        // stdin may close early if the command does not read it; that is its choice.
        child.stdin.on('error', () => {});
        child.stdin.end(stdinPayload(req));
        child.on('close', (code, signal) => {
          if (killTimer) clearTimeout(killTimer);
          // the leader exited; make sure nothing of its group stays behind
          if (stopped) killGroup('SIGKILL');
          finish(() => {
            if (stopped) return reject(stopped);
            const reason = errText.replace(/^WTT_PROGRESS.*$/gmu, '').trim().slice(-COMMAND_DEFAULTS.maxReasonChars);
            if (code === 0) return resolve(Buffer.concat(out).toString('utf8').replace(/\s+$/u, ''));
            const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with ${code}`;
            reject(
              new ExecutorError('WTT_ERR_EXECUTOR', `${file} ${how}${reason ? `: ${reason}` : ''}`, {
                transient: code === COMMAND_DEFAULTS.transientExitCode,
              }),
            );
          });
        });
      });
    },
  };
}
