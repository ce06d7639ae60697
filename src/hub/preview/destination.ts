/**
 * Where `/preview/url` may connect. Only public unicast addresses (ipaddr.js `range() === 'unicast'`)
 * are allowed: loopback, private, link-local (cloud metadata), CGNAT, multicast, broadcast,
 * unspecified, reserved, IPv4-mapped / NAT64 / 6to4 / Teredo forms and the rest are refused,
 * unless an operator lists the destination in `previewAllow` (`--preview-allow`).
 *
 * The check runs on the address actually connected to: an IP literal before the connection, a host
 * name inside the connection's own DNS lookup (every resolved address must pass, and the socket
 * connects to exactly the addresses checked, so a DNS rebind cannot slip in between). The hub's
 * preview agent uses `guardedConnector`, so every connection (every redirect hop too) goes through it.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { buildConnector } from 'undici';

/** Thrown (through the connector) when a destination is refused; never reaches the network. */
export class DestinationRefused extends Error {
  override readonly name = 'DestinationRefused';
  readonly code = 'WTT_DESTINATION_REFUSED';
}

/** `ipaddr.js` range name of an address in any spelling it accepts, or undefined if it is not an IP. */
export function addressClass(raw: string): string | undefined {
  const s = stripHost(raw);
  if (!ipaddr.isValid(s)) return undefined;
  return ipaddr.parse(s).range();
}

/** Is this (an IP in any spelling) a public unicast address? Anything that is not an IP → false. */
export function isPublicAddress(raw: string): boolean {
  return addressClass(raw) === 'unicast';
}

/** `[::1]` → `::1`, `localhost.` → `localhost`, lower case. */
export function stripHost(raw: string): string {
  let s = raw.trim().toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  while (s.endsWith('.')) s = s.slice(0, -1);
  return s;
}

type Rule =
  | { kind: 'cidr'; range: [ipaddr.IPv4 | ipaddr.IPv6, number]; port?: number }
  | { kind: 'host'; host: string; port?: number };

/** An allow list: IPs, CIDR blocks, `IP:port`, `[IPv6]:port`, host names, `host:port`. */
export class AllowList {
  private readonly rules: Rule[];

  constructor(entries: readonly string[]) {
    this.rules = entries.map(parseRule);
  }

  get size(): number {
    return this.rules.length;
  }

  /** Is the host name (as written in the URL) listed? */
  allowsHost(host: string, port: number): boolean {
    const h = stripHost(host);
    return this.rules.some((r) => r.kind === 'host' && r.host === h && (r.port === undefined || r.port === port));
  }

  /** Is this resolved address (and port) listed? */
  allowsAddress(address: string, port: number): boolean {
    const a = toAddr(address);
    if (!a) return false;
    return this.rules.some((r) => r.kind === 'cidr' && (r.port === undefined || r.port === port) && a.kind() === r.range[0].kind() && a.match(r.range));
  }
}

function toAddr(raw: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const s = stripHost(raw);
  return ipaddr.isValid(s) ? ipaddr.parse(s) : undefined;
}

function parseRule(raw: string): Rule {
  const entry = raw.trim();
  if (entry === '') throw new TypeError('previewAllow: empty entry');
  let host = entry;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1] as string;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if ((entry.match(/:/g) ?? []).length === 1) {
    const i = entry.lastIndexOf(':');
    host = entry.slice(0, i);
    port = Number(entry.slice(i + 1));
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new TypeError(`previewAllow: bad port in '${raw}'`);
  if (ipaddr.isValidCIDR(host)) return { kind: 'cidr', range: ipaddr.parseCIDR(host), ...(port !== undefined ? { port } : {}) };
  const addr = toAddr(host);
  if (addr) return { kind: 'cidr', range: [addr, addr.kind() === 'ipv4' ? 32 : 128], ...(port !== undefined ? { port } : {}) };
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(host)) throw new TypeError(`previewAllow: '${raw}' is not an IP, CIDR block or host name`);
  return { kind: 'host', host: stripHost(host), ...(port !== undefined ? { port } : {}) };
}

/** `localhost`, `foo.localhost` (any case, trailing dots ignored). */
export function isLocalhostName(host: string): boolean {
  const h = stripHost(host);
  return h === 'localhost' || h.endsWith('.localhost');
}

/** Why the address may not be connected to, or undefined when it may. */
export function refusal(address: string, port: number, allow: AllowList): string | undefined {
  const cls = addressClass(address);
  if (cls === undefined) return 'not an IP address';
  if (cls === 'unicast' || allow.allowsAddress(address, port)) return undefined;
  return `${cls} addresses are refused`;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
type Resolver = (host: string, opts: { all: true; family?: number; hints?: number }, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolver: Resolver = (host, opts, cb) => dnsLookup(host, opts, cb);

/**
 * A `lookup` for `net.connect` that resolves `host`, refuses the connection unless EVERY resolved
 * address passes, and hands the socket exactly those addresses.
 */
export function checkedLookup(port: number, allow: AllowList, resolve: Resolver = systemResolver) {
  return (host: string, opts: { family?: number | string; hints?: number; all?: boolean }, cb: LookupCallback): void => {
    const name = stripHost(host);
    // RFC 6761: `localhost` and `*.localhost` are loopback; refused without asking any resolver.
    if (isLocalhostName(name) && !allow.allowsHost(name, port)) {
      cb(new DestinationRefused(`${name}: loopback addresses are refused`), []);
      return;
    }
    const family = typeof opts.family === 'number' ? opts.family : opts.family === 'IPv6' ? 6 : opts.family === 'IPv4' ? 4 : undefined;
    resolve(name, { all: true, ...(family ? { family } : {}), ...(opts.hints !== undefined ? { hints: opts.hints } : {}) }, (err, addresses) => {
      if (err) {
        cb(err, []);
        return;
      }
      const hostAllowed = allow.allowsHost(host, port);
      for (const a of addresses) {
        const why = hostAllowed ? undefined : refusal(a.address, port, allow);
        if (why) {
          cb(new DestinationRefused(`${stripHost(host)} resolves to an address that is not allowed: ${why}`), []);
          return;
        }
      }
      if (addresses.length === 0) {
        cb(Object.assign(new Error(`no address for ${host}`), { code: 'ENOTFOUND' }), []);
        return;
      }
      if (opts.all) cb(null, addresses);
      else cb(null, (addresses[0] as LookupAddress).address, (addresses[0] as LookupAddress).family);
    });
  };
}

/** An undici connector that checks every connection's destination before any packet leaves. */
export function guardedConnector(
  allow: AllowList,
  o: { timeoutMs: number; resolve?: Resolver; build?: (opts: buildConnector.BuildOptions) => buildConnector.connector },
): buildConnector.connector {
  const build = o.build ?? buildConnector;
  const direct = build({ timeout: o.timeoutMs });
  return (opts, cb) => {
    const host = stripHost(opts.hostname);
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    if (isIP(host) !== 0 || ipaddr.isValid(host)) {
      const why = allow.allowsHost(host, port) ? undefined : refusal(host, port, allow);
      if (why) {
        cb(new DestinationRefused(`${host}: ${why}`), null);
        return;
      }
      direct(opts, cb);
      return;
    }
    build({ timeout: o.timeoutMs, lookup: checkedLookup(port, allow, o.resolve) })(opts, cb);
  };
}

/** The refusal behind an error thrown by undici, if that is what it is. */
export function refusedIn(e: unknown): DestinationRefused | undefined {
  for (let cur: unknown = e, i = 0; cur && i < 5; cur = (cur as { cause?: unknown }).cause, i++) {
    if (cur instanceof DestinationRefused) return cur;
  }
  return undefined;
}
