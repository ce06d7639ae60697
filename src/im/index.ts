/**
 * Chat delivery: routes and the adapters behind them. The notifier calls `adapterFor(route, deps)`
 * and then `send` / `edit`; every failure is a `DeliveryError` whose `kind` says what to do.
 */
import { channelKind, isWebhookChannel } from './channels.js';
import { ConsoleAdapter } from './console.js';
import type { AdapterDeps, ImAdapter } from './delivery.js';
import { FileAdapter } from './file.js';
import { OpenclawAdapter } from './openclaw.js';
import type { Route } from './route.js';
import { WebhookAdapter } from './webhooks.js';

export { channelKind, isWebhookChannel, safeTargetText, WEBHOOK_CHANNELS, type ChannelKind, type WebhookChannel } from './channels.js';
export {
  checkButtons,
  DeliveryError,
  isDeliveryError,
  MAX_BUTTON_VALUE_BYTES,
  type AdapterDeps,
  type Button,
  type DeliveryErrorKind,
  type ImAdapter,
  type SendRequest,
  type SendResult,
} from './delivery.js';
export { CONSOLE_ROUTE, makeRoute, parseRouteSpec, routeKey, routesFromConfig, type Route, type RouteSet } from './route.js';
export { OPENCLAW_DEFAULT_MAX_CHARS, OPENCLAW_MAX_CHARS, openclawMaxChars } from './openclaw.js';
export { WEBHOOK_MAX_CHARS } from './webhooks.js';

/** The adapter for a route: OpenClaw (gateway first, CLI fallback inside), a webhook, a file or the console. */
export function adapterFor(route: Route, deps: AdapterDeps): ImAdapter {
  if (isWebhookChannel(route.channel)) return new WebhookAdapter(route.channel, deps);
  const kind = channelKind(route.channel);
  if (kind === 'console') return new ConsoleAdapter(deps);
  if (kind === 'file') return new FileAdapter(deps);
  return new OpenclawAdapter(route.channel, deps);
}
