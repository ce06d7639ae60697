/**
 * Every limit of the hub in one place: its named default, the `wtt hub` flag that changes it and
 * what it bounds. `buildHub({ limits })` takes any subset; docs/hub.md ("Limits") lists the same table.
 */
import { LIMITS } from '../protocol/index.js';

export interface HubLimits {
  /** Deepest nesting of `[`/`{` accepted in a REST body or WS frame (checked on the raw text, before parsing). */
  maxJsonDepth: number;
  /** Largest REST body or WS frame, in bytes. */
  maxBodyBytes: number;
  /** Bytes a socket may have queued and unsent before it is closed as a slow consumer (4008). */
  wsMaxPendingBytes: number;
  /** After the slow-consumer close frame, how long the hub waits for the close handshake before it drops the socket. */
  wsCloseGraceMs: number;
  /** The hub pings every socket this often; one that has not answered the previous ping is dropped. 0 = off. */
  wsHeartbeatMs: number;
  /** A socket that has not authenticated within this time is closed (4401), `required` mode. */
  wsAuthTimeoutMs: number;
  /** Frames per second one socket may send (token bucket refill); past it frames get `ok:false` "frame rate". */
  wsFrameRate: number;
  /** Bucket size: a burst of this many frames passes before the frame rate applies. */
  wsFrameBurst: number;
  /** Authenticated sockets one agent may hold at once; one more is closed with 4029. */
  maxSocketsPerAgent: number;
  /** Open TCP connections (HTTP and WS) from one client address; past it new ones are dropped. */
  maxConnectionsPerAddress: number;
  /**
   * Client addresses `maxConnectionsPerAddress` does not apply to. Default loopback: local clients
   * (the daemon, the CLI, a reverse proxy on this machine, which caps its own clients).
   */
  connectionCapExempt: readonly string[];
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** A connection with no traffic at all (before any upgrade) is closed after this. */
  idleTimeoutMs: number;
  /** Largest history, poll, feed and export answer in bytes of JSON; longer pages are cut (and say so). */
  maxResponseBytes: number;
  /** Memory files one agent may keep. */
  memoryMaxFiles: number;
  /** Bytes of memory files one agent may keep. */
  memoryMaxBytes: number;
  /** Largest single upload (`POST /media/sign` size). */
  mediaMaxBytes: number;
  /** Bytes of media one agent (or the anonymous legacy caller) may keep. */
  mediaQuotaBytes: number;
  /** Pending (signed, not committed) uploads one agent may have. */
  mediaMaxPending: number;
  /** Content types an upload may have; media are served with exactly this type. */
  mediaTypes: readonly string[];
  /** Preview: whole fetch. */
  previewTimeoutMs: number;
  /** Preview: bytes read of a page. */
  previewMaxBytes: number;
  /** Preview: redirects followed. */
  previewMaxRedirects: number;
  /**
   * Preview destinations allowed although private or local: IPs (`10.0.0.5`), CIDR blocks
   * (`10.0.0.0/8`), `IP:port` / `[IPv6]:port`, or host names (`wiki.internal`). Empty by default.
   */
  previewAllow: readonly string[];
}

/** Media types that browsers never run as a document in the hub's origin. No HTML, no SVG, no XML. */
export const DEFAULT_MEDIA_TYPES: readonly string[] = Object.freeze([
  'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif',
  'audio/mpeg', 'audio/ogg', 'audio/wav', 'audio/webm', 'audio/mp4',
  'video/mp4', 'video/webm', 'application/pdf', 'text/plain', 'application/zip', 'application/octet-stream',
]);

/** Types a browser may run as a document or script; never accepted for media, whatever the flag says. */
const ACTIVE_TYPE = /html|xml|svg|javascript|ecmascript|x-shockwave|wasm/i;

export const DEFAULT_LIMITS: Readonly<HubLimits> = Object.freeze({
  maxJsonDepth: 64,
  maxBodyBytes: LIMITS.maxFrameBytes,
  wsMaxPendingBytes: 4 * 1024 * 1024,
  wsCloseGraceMs: 5_000,
  wsHeartbeatMs: 30_000,
  wsAuthTimeoutMs: 10_000,
  wsFrameRate: 500,
  wsFrameBurst: 1_000,
  maxSocketsPerAgent: 16,
  maxConnectionsPerAddress: 256,
  connectionCapExempt: Object.freeze(['127.0.0.1', '::1', '::ffff:127.0.0.1']) as readonly string[],
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  maxResponseBytes: 8 * 1024 * 1024,
  memoryMaxFiles: 200,
  memoryMaxBytes: 32 * 1024 * 1024,
  mediaMaxBytes: 10 * 1024 * 1024,
  mediaQuotaBytes: 100 * 1024 * 1024,
  mediaMaxPending: 20,
  mediaTypes: DEFAULT_MEDIA_TYPES,
  previewTimeoutMs: 5_000,
  previewMaxBytes: 1024 * 1024,
  previewMaxRedirects: 3,
  previewAllow: Object.freeze([]) as readonly string[],
});

type NumberKey = { [K in keyof HubLimits]: HubLimits[K] extends number ? K : never }[keyof HubLimits];
type ListKey = { [K in keyof HubLimits]: HubLimits[K] extends readonly string[] ? K : never }[keyof HubLimits];

export interface LimitFlag {
  readonly flag: string;
  readonly key: keyof HubLimits;
  readonly kind: 'number' | 'list';
  /** Smallest value a number may take. */
  readonly min?: number;
}

const num = (flag: string, key: NumberKey, min = 1): LimitFlag => ({ flag, key, kind: 'number', min });
const list = (flag: string, key: ListKey): LimitFlag => ({ flag, key, kind: 'list' });

/** The `wtt hub` flag of every limit. */
export const LIMIT_FLAGS: readonly LimitFlag[] = Object.freeze([
  num('--max-json-depth', 'maxJsonDepth'),
  num('--max-body-bytes', 'maxBodyBytes', 1024),
  num('--ws-max-pending-bytes', 'wsMaxPendingBytes', 1024),
  num('--ws-close-grace-ms', 'wsCloseGraceMs', 0),
  num('--ws-heartbeat-ms', 'wsHeartbeatMs', 0),
  num('--ws-auth-timeout-ms', 'wsAuthTimeoutMs'),
  num('--ws-frame-rate', 'wsFrameRate'),
  num('--ws-frame-burst', 'wsFrameBurst'),
  num('--max-sockets-per-agent', 'maxSocketsPerAgent'),
  num('--max-connections-per-address', 'maxConnectionsPerAddress'),
  list('--connection-cap-exempt', 'connectionCapExempt'),
  num('--headers-timeout-ms', 'headersTimeoutMs'),
  num('--request-timeout-ms', 'requestTimeoutMs'),
  num('--keep-alive-timeout-ms', 'keepAliveTimeoutMs'),
  num('--idle-timeout-ms', 'idleTimeoutMs'),
  num('--max-response-bytes', 'maxResponseBytes', 1024),
  num('--memory-max-files', 'memoryMaxFiles'),
  num('--memory-max-bytes', 'memoryMaxBytes', 1024),
  num('--media-max-bytes', 'mediaMaxBytes'),
  num('--media-quota-bytes', 'mediaQuotaBytes'),
  num('--media-max-pending', 'mediaMaxPending'),
  list('--media-types', 'mediaTypes'),
  num('--preview-timeout-ms', 'previewTimeoutMs'),
  num('--preview-max-bytes', 'previewMaxBytes'),
  num('--preview-max-redirects', 'previewMaxRedirects', 0),
  list('--preview-allow', 'previewAllow'),
]);

/** The defaults with `overrides` applied; a value out of range → TypeError naming the limit. */
export function resolveLimits(overrides: Partial<HubLimits> = {}): HubLimits {
  const out = { ...DEFAULT_LIMITS, ...overrides } as HubLimits;
  for (const f of LIMIT_FLAGS) {
    const v = out[f.key];
    if (f.kind === 'number') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < (f.min ?? 1)) {
        throw new TypeError(`hub limit ${f.key} (${f.flag}) must be a whole number ≥ ${f.min ?? 1}, got ${String(v)}`);
      }
    } else if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
      throw new TypeError(`hub limit ${f.key} (${f.flag}) must be a list of strings`);
    }
  }
  const runnable = out.mediaTypes.find((t) => ACTIVE_TYPE.test(t));
  if (runnable) throw new TypeError(`hub limit mediaTypes (--media-types) must not allow ${runnable}: a browser could run it as a page of the hub`);
  return out;
}
