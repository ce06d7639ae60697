/**
 * Routes: where chat deliveries go, parsed from the configuration (wtt-protocol.md §9.2).
 *
 * - Primary routes: `WTT_IM_CHANNEL` × each of `WTT_IM_TARGETS` (or `WTT_IM_TARGET`).
 * - Fallback routes: `WTT_IM_FALLBACKS=channel:target,…`, used when a primary route fails.
 * - No primary route configured → the console route `console:stdout`.
 *
 * A target is a chat id (OpenClaw channels), a webhook URL (`slack`, `dingtalk`, `feishu`, `lark`,
 * `wecom`, `webhook`), or an absolute path (`file`). Without WTT_IM_CHANNEL a URL target picks its
 * webhook kind from its host, a path means `file`, and a chat id takes OpenClaw's first enabled
 * channel (else telegram), as §9.2 says.
 *
 * A route's `key` names it in the outbox, in logs and in `@wtt trace`, so it never holds a secret:
 * a webhook route is keyed `slack:hooks.slack.com#<12 hex of sha256(url)>`.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import { WttError } from '../errors.js';
import { channelFromOpenclawConfig } from '../onboarding/route-detect.js';
import { channelKind, isHttpUrl, targetProblem, webhookChannelForUrl } from './channels.js';

export interface Route {
  /** `telegram:555001`, `slack:hooks.slack.com#1a2b3c4d5e6f`, `file:/var/log/wtt.txt`, `console:stdout`. Never a secret. */
  key: string;
  channel: string;
  /** The chat id, webhook URL (a secret: never log it) or file path. */
  target: string;
}

export interface RouteSet {
  primary: Route[];
  fallbacks: Route[];
}

export const CONSOLE_ROUTE: Route = Object.freeze({ key: 'console:stdout', channel: 'console', target: 'stdout' });

/** The key of a route: a webhook URL is reduced to its host and a hash. */
export function routeKey(channel: string, target: string): string {
  if (channelKind(channel) === 'webhook' && isHttpUrl(target)) {
    let host = 'invalid-url';
    try {
      host = new URL(target).host;
    } catch {
      // keep the placeholder: targetProblem reports the URL
    }
    const hash = createHash('sha256').update(target).digest('hex').slice(0, 12);
    return `${channel}:${host}#${hash}`;
  }
  return `${channel}:${target}`;
}

/** One route; a target that does not fit the channel is a WTT_ERR_CONFIG that never repeats a URL. */
export function makeRoute(channel: string, target: string): Route {
  const problem = targetProblem(channel, target);
  if (problem) throw new WttError('WTT_ERR_CONFIG', { message: problem });
  return Object.freeze({ key: routeKey(channel, target), channel, target });
}

/** `channel:target` (as in WTT_IM_FALLBACKS) → a route. */
export function parseRouteSpec(spec: string): Route {
  const s = spec.trim();
  const i = s.indexOf(':');
  if (i <= 0 || !/^[A-Za-z0-9_-]+$/.test(s.slice(0, i)) || isHttpUrl(s) || s.slice(i + 1).trim() === '') {
    throw new WttError('WTT_ERR_CONFIG', { message: `a route is written channel:target (telegram:555001, slack:https://…, file:/path), got '${isHttpUrl(s) ? '(a URL)' : s}'` });
  }
  return makeRoute(s.slice(0, i), s.slice(i + 1).trim());
}

/** The channel a bare target (no WTT_IM_CHANNEL) belongs to. */
export function channelForTarget(target: string, openclawChannel: () => string | undefined): string {
  if (isHttpUrl(target)) return webhookChannelForUrl(target);
  if (target.startsWith('/')) return 'file';
  return openclawChannel() ?? 'telegram';
}

function dedupe(routes: Route[]): Route[] {
  const seen = new Set<string>();
  return routes.filter((r) => (seen.has(r.key) ? false : (seen.add(r.key), true)));
}

export function routesFromConfig(config: Pick<Config, 'imChannel' | 'imTargets' | 'imFallbacks' | 'openclawConfigPath'>): RouteSet {
  let ocChannel: string | undefined | null = null;
  const openclawChannel = () => {
    if (ocChannel === null) ocChannel = channelFromOpenclawConfig(config.openclawConfigPath);
    return ocChannel;
  };
  const primary = dedupe(config.imTargets.map((t) => makeRoute(config.imChannel ?? channelForTarget(t, openclawChannel), t)));
  const fallbacks = dedupe(config.imFallbacks.map((f) => makeRoute(f.channel, f.target))).filter((f) => !primary.some((p) => p.key === f.key));
  return { primary: primary.length > 0 ? primary : [CONSOLE_ROUTE], fallbacks };
}
