import { pino, type Logger, type DestinationStream, type LoggerOptions } from 'pino';

/** Keys whose values never reach a log line, wherever they appear (two levels deep and in headers). */
export const REDACT_PATHS = [
  'token', 'agent_token', 'access_token', 'api_key', 'password', 'authorization', 'Authorization',
  'x-agent-token', 'X-Agent-Token', 'bearer', 'gatewayToken', 'agentToken',
  '*.token', '*.agent_token', '*.access_token', '*.api_key', '*.password', '*.authorization', '*.Authorization',
  '*.gatewayToken', '*.agentToken', '*.bearer',
  'headers.authorization', 'headers["x-agent-token"]', 'req.headers.authorization', 'req.headers["x-agent-token"]',
  'config.agentToken', 'config.gatewayToken', 'config.bearerToken',
];

/** Scrub anything that looks like a bearer credential out of free text (URLs, error messages). */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[Redacted]');
  return out
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[Redacted]')
    .replace(/\bwtt_sk_[A-Za-z0-9_-]+/g, 'wtt_sk_[Redacted]')
    .replace(/([?&](?:token|agent_token|access_token)=)[^&\s]+/gi, '$1[Redacted]');
}

export interface LogOptions {
  level?: string;
  name?: string;
  /** Where lines go; default stderr so that stdout stays the command's output. */
  destination?: DestinationStream;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.WTT_LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    base: opts.name ? { name: opts.name } : null,
  };
  return pino(options, opts.destination ?? pino.destination(2));
}

export type { Logger };
