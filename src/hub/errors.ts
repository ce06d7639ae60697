/**
 * The hub's error registry: every error a client can get has a stable `code` (sent beside `detail`,
 * in REST bodies and WS `action_result`s) and one HTTP status, the way undici's and fastify's errors
 * carry codes. Texts may change; codes do not. An error thrown with a bare status gets the generic
 * code of that status.
 */
export const HUB_ERRORS = Object.freeze({
  // generic, one per status
  bad_request: { status: 400, meaning: 'the request is malformed' },
  unauthenticated: { status: 401, meaning: 'no valid credential' },
  forbidden: { status: 403, meaning: 'the caller may not do this' },
  not_found: { status: 404, meaning: 'no such thing (or route)' },
  conflict: { status: 409, meaning: 'the state does not allow it' },
  gone: { status: 410, meaning: 'expired (a claim code)' },
  too_large: { status: 413, meaning: 'too big' },
  unsupported_media_type: { status: 415, meaning: 'a content type or format the hub does not take' },
  validation_failed: { status: 422, meaning: 'a field is invalid; detail names it' },
  upgrade_required: { status: 426, meaning: 'a WebSocket endpoint asked over plain HTTP' },
  rate_limited: { status: 429, meaning: 'over a rate limit; retry after' },
  internal: { status: 500, meaning: 'a fault of the hub (details only in its log)' },
  bad_gateway: { status: 502, meaning: 'a page the hub fetched failed' },
  insufficient_storage: { status: 507, meaning: 'the hub is out of disk' },
  // specific
  malformed_json: { status: 400, meaning: 'the body is not JSON' },
  json_too_deep: { status: 400, meaning: 'nesting deeper than maxJsonDepth' },
  bad_path: { status: 400, meaning: 'a target_path the hub or the filesystem refuses' },
  body_too_large: { status: 413, meaning: 'a body over maxBodyBytes' },
  content_too_large: { status: 413, meaning: 'message content over 64 KiB' },
  memory_quota: { status: 413, meaning: 'past memoryMaxFiles or memoryMaxBytes' },
  media_too_large: { status: 413, meaning: 'an upload over mediaMaxBytes or its signed size' },
  media_quota: { status: 413, meaning: 'past mediaQuotaBytes' },
  media_type: { status: 415, meaning: 'a type not in mediaTypes' },
  media_pending: { status: 429, meaning: 'mediaMaxPending uploads signed and not committed' },
  frame_rate: { status: 429, meaning: 'past wsFrameRate / wsFrameBurst on one socket' },
  too_many_sockets: { status: 429, meaning: 'past maxSocketsPerAgent' },
  destination_refused: { status: 403, meaning: 'a preview of a private or local destination' },
  preview_failed: { status: 502, meaning: 'the preview could not be fetched (one answer for every cause)' },
} as const);

export type HubErrorCode = keyof typeof HUB_ERRORS;

const BY_STATUS = new Map<number, HubErrorCode>();
for (const [code, e] of Object.entries(HUB_ERRORS) as [HubErrorCode, { status: number }][]) if (!BY_STATUS.has(e.status)) BY_STATUS.set(e.status, code);

/** The generic code of a status (`internal` for a 5xx without one, `bad_request` for a 4xx). */
export function codeOfStatus(status: number): HubErrorCode {
  return BY_STATUS.get(status) ?? (status >= 500 ? 'internal' : 'bad_request');
}

/** fastify's own client errors, by their code. */
const FASTIFY: Readonly<Record<string, HubErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
};

export function codeOfFastify(code: string | undefined, status: number): HubErrorCode {
  if (code && FASTIFY[code]) return FASTIFY[code];
  if (status === 400 && code === undefined) return 'malformed_json';
  return codeOfStatus(status);
}
