/**
 * Deep, JSON-safe copies of what the actor system shows (contexts, events, snapshots) with every
 * credential removed: a key that names one (`isSecretKey`: token, agent_token, authorization…) at any
 * depth becomes `[Redacted]`, and every string is scrubbed by pattern and by the configured secret
 * values (`scrubSecrets`). Actor refs become `{ actor: id }`, other class instances `[ClassName]`; functions are dropped;
 * an object met twice and anything deeper than `maxDepth` become `[…]`. The inspector stream and the status page see only these copies.
 */
import { isSecretKey, scrubSecrets } from '../log.js';

const REDACTED = '[Redacted]';

export interface ScrubOptions {
  secrets?: () => readonly (string | undefined)[];
  /**
   * Values found under a secret key are added here (and scrubbed from every string from then on,
   * this value included): a token the system learns at run time (registration) is known by its key
   * first, then hidden wherever it is repeated in free text.
   */
  learned?: Set<string>;
  maxDepth?: number;
}

/** Strings under secret keys, anywhere in `value` (first pass of scrubDeep). */
function harvest(value: unknown, into: Set<string>, maxDepth: number): void {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number) => {
    if (v === null || typeof v !== 'object' || depth >= maxDepth || seen.has(v)) return;
    seen.add(v);
    const proto = Object.getPrototypeOf(v) as object | null;
    if (isActorRef(v) || (proto !== null && proto !== Object.prototype && !Array.isArray(v))) return;
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string' && x.length >= 8 && isSecretKey(k)) into.add(x);
      else walk(x, depth + 1);
    }
  };
  walk(value, 0);
}

function isActorRef(v: object): v is { id: string; sessionId: string } {
  return 'sessionId' in v && 'send' in v && typeof (v as { send: unknown }).send === 'function';
}

export function scrubDeep(value: unknown, opts: ScrubOptions = {}): unknown {
  const maxDepth = opts.maxDepth ?? 12;
  if (opts.learned) harvest(value, opts.learned, maxDepth);
  const secrets = [...(opts.secrets?.() ?? []), ...(opts.learned ?? [])];
  const seen = new WeakSet<object>();
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return scrubSecrets(v, secrets);
    if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
    if (typeof v === 'bigint') return v.toString();
    if (typeof v !== 'object') return undefined;
    if (isActorRef(v)) return { actor: v.id };
    if (v instanceof Date) return v.toISOString();
    if (v instanceof Error) return { name: v.name, message: scrubSecrets(v.message, secrets) };
    if (depth >= maxDepth || seen.has(v)) return '[…]';
    // Each object once (a shared one is shown where it is met first); class instances other than
    // the plain containers (a logger, a store, a client) by their class name only.
    seen.add(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1) ?? null);
    if (v instanceof Map) return walk(Object.fromEntries(v), depth + 1);
    if (v instanceof Set) return walk([...v], depth + 1);
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto !== null && proto !== Object.prototype) return `[${(v.constructor as { name?: string } | undefined)?.name || 'object'}]`;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (isSecretKey(k)) {
        if (x !== undefined && x !== null && x !== '') out[k] = REDACTED;
        continue;
      }
      const w = walk(x, depth + 1);
      if (w !== undefined) out[k] = w;
    }
    return out;
  };
  return walk(value, 0);
}
