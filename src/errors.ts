/**
 * Every error the runtime raises on purpose: a stable `code` to branch on, a default message,
 * an optional HTTP `status` and `detail` from a server, and a `cause`. Messages never carry tokens.
 */
export const ERROR_CODES = {
  WTT_ERR_CONFIG: 'configuration is invalid',
  WTT_ERR_USAGE: 'command usage is wrong',
  WTT_ERR_EXECUTOR: 'the task executor failed',
  WTT_ERR_EXECUTOR_TIMEOUT: 'the task executor ran out of time',
  WTT_ERR_EXECUTOR_ABORTED: 'the task execution was stopped',
  WTT_ERR_GATEWAY_TOOLS: 'the OpenClaw gateway does not allow the session tools',
  WTT_ERR_HTTP: 'the WTT server answered with an error',
  WTT_ERR_AUTH_REJECTED: 'the WTT server refused the agent token',
  WTT_ERR_NOT_FOUND: 'not found',
  WTT_ERR_CONFLICT: 'the request conflicts with the current state',
  WTT_ERR_RATE_LIMITED: 'too many requests',
  WTT_ERR_TIMEOUT: 'the request timed out',
  WTT_ERR_NETWORK: 'the WTT server could not be reached',
  WTT_ERR_BAD_RESPONSE: 'the WTT server sent a response that does not match the protocol',
  WTT_ERR_SOCKET_CLOSED: 'the WebSocket closed before the request was answered',
  WTT_ERR_NOT_CONNECTED: 'the WebSocket is not connected',
  WTT_ERR_ACTION_FAILED: 'the WTT server refused the WebSocket action',
  WTT_ERR_STORE: 'the state store failed',
  WTT_ERR_ENV_PARSE: 'the .env file cannot be parsed',
  WTT_ERR_NO_AGENT: 'no agent id is configured',
  WTT_ERR_DELIVERY: 'a chat delivery failed',
  WTT_ERR_SERVICE: 'the service manager (systemctl / launchctl) failed',
} as const;
export type WttErrorCode = keyof typeof ERROR_CODES;

export interface WttErrorOptions {
  message?: string;
  status?: number;
  detail?: string;
  retryAfterS?: number;
  cause?: unknown;
}

export class WttError extends Error {
  override readonly name = 'WttError';
  readonly code: WttErrorCode;
  readonly status: number | undefined;
  readonly detail: string | undefined;
  readonly retryAfterS: number | undefined;

  constructor(code: WttErrorCode, opts: WttErrorOptions = {}) {
    super(opts.message ?? ERROR_CODES[code], opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.status = opts.status;
    this.detail = opts.detail;
    this.retryAfterS = opts.retryAfterS;
  }
}

export function isWttError(e: unknown, code?: WttErrorCode): e is WttError {
  return e instanceof WttError && (code === undefined || e.code === code);
}

/** HTTP status → error code, in one place. */
export function codeForStatus(status: number): WttErrorCode {
  if (status === 401 || status === 403) return 'WTT_ERR_AUTH_REJECTED';
  if (status === 404) return 'WTT_ERR_NOT_FOUND';
  if (status === 409) return 'WTT_ERR_CONFLICT';
  if (status === 429) return 'WTT_ERR_RATE_LIMITED';
  return 'WTT_ERR_HTTP';
}
