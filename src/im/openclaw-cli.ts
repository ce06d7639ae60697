/**
 * The OpenClaw CLI as a last way into the chat: `openclaw message send --channel <c> --target <t>
 * --message <text>` (openclaw-integration.md; 9–14 s a call). The openclaw adapter uses it ONLY
 * when the gateway cannot be reached or none is configured. `OPENCLAW_BIN`, else `openclaw` on
 * PATH; run with execFile (no shell) and a timeout. Exit 0 = delivered.
 * - the binary is missing → `config` (the caller decides whether that is final);
 * - stderr says the OpenClaw config is invalid (`Config invalid`, `Unrecognized key`,
 *   `Invalid config at`, wtt-protocol.md §9.1) → `config`;
 * - any other failure or the timeout → `transient`.
 */
import { execFile } from 'node:child_process';
import { scrubSecrets } from '../log.js';
import { DeliveryError } from './delivery.js';

export const CLI_ADAPTER = 'openclaw-cli';
export const DEFAULT_CLI_TIMEOUT_MS = 60_000;

const CONFIG_BROKEN = /Config invalid|Unrecognized key|Invalid config at/;
/** Our own secrets are not the CLI's business. */
const NOT_FOR_THE_CLI = ['WTT_AGENT_TOKEN', 'WTT_BEARER_TOKEN', 'WTT_WEBHOOK_SECRET'];

export interface CliSend {
  bin: string | undefined;
  env: NodeJS.ProcessEnv;
  channel: string;
  target: string;
  text: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Values to scrub from the CLI's output before it goes into an error. */
  secrets?: readonly (string | undefined)[];
}

/** argv for `openclaw message send`; a text that starts with `-` goes as `--message=<text>`. */
export function cliArgs(channel: string, target: string, text: string): string[] {
  const msg = text.startsWith('-') ? [`--message=${text}`] : ['--message', text];
  return ['message', 'send', '--channel', channel, '--target', target, ...msg];
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}

/** Sends once; resolves with the message id when the CLI prints one (`messageId: 123` or JSON). */
export function sendViaCli(s: CliSend): Promise<{ messageId: string | undefined }> {
  const bin = s.bin ?? 'openclaw';
  const env: NodeJS.ProcessEnv = { ...s.env };
  for (const k of NOT_FOR_THE_CLI) delete env[k];
  const scrub = (t: string) => scrubSecrets(t, s.secrets ?? []).slice(0, 300);
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      cliArgs(s.channel, s.target, s.text),
      { env, timeout: s.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024, windowsHide: true, ...(s.signal ? { signal: s.signal } : {}) },
      (err, stdout, stderr) => {
        if (!err) {
          const m = /message[_ ]?id["']?\s*[:=]\s*["']?([A-Za-z0-9_-]+)/i.exec(stdout);
          return resolve({ messageId: m?.[1] });
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: number | string | null };
        if (e.code === 'ENOENT' || e.code === 'EACCES') {
          const how = s.bin ? `OPENCLAW_BIN=${s.bin}` : '`openclaw` on PATH';
          return reject(new DeliveryError('config', CLI_ADAPTER, `the openclaw CLI cannot be run (${how}: ${e.code}); install OpenClaw or set OPENCLAW_BIN`));
        }
        if (s.signal?.aborted) return reject(new DeliveryError('transient', CLI_ADAPTER, 'the openclaw CLI send was cancelled'));
        if (e.killed || e.signal) {
          return reject(new DeliveryError('transient', CLI_ADAPTER, `the openclaw CLI did not finish within ${Math.round(s.timeoutMs / 1000)} s`));
        }
        const why = scrub(lastLine(String(stderr)) || lastLine(String(stdout)) || 'no output');
        if (CONFIG_BROKEN.test(String(stderr))) {
          return reject(new DeliveryError('config', CLI_ADAPTER, `the openclaw CLI says OpenClaw's configuration is invalid: ${why}; run \`openclaw doctor\` or fix openclaw.json`));
        }
        return reject(new DeliveryError('transient', CLI_ADAPTER, `openclaw message send exited with ${String(e.code)}: ${why}`));
      },
    );
  });
}
