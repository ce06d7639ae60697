/**
 * Which adapter a chat channel goes to, and what its target must look like. No imports from the
 * rest of the runtime: config.ts uses it to check routes while it validates the environment.
 *
 * - `openclaw`: every OpenClaw channel (telegram, discord, whatsapp, …); the target is a chat id.
 * - `webhook`: slack, dingtalk, feishu, lark, wecom and generic JSON (`webhook`); the target is the
 *   webhook URL, which is a secret (it carries the token), so it never appears in keys or messages.
 * - `file`: the target is an absolute path; `console`: the target is `stdout`.
 */
export const WEBHOOK_CHANNELS = ['slack', 'dingtalk', 'feishu', 'lark', 'wecom', 'webhook'] as const;
export type WebhookChannel = (typeof WEBHOOK_CHANNELS)[number];
export type ChannelKind = 'openclaw' | 'webhook' | 'file' | 'console';

export function isWebhookChannel(channel: string): channel is WebhookChannel {
  return (WEBHOOK_CHANNELS as readonly string[]).includes(channel);
}

export function channelKind(channel: string): ChannelKind {
  if (channel === 'file') return 'file';
  if (channel === 'console') return 'console';
  if (isWebhookChannel(channel)) return 'webhook';
  return 'openclaw';
}

export function isHttpUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/**
 * A URL as it may be shown: scheme and host only (`https://hooks.slack.com/…`). A webhook URL's
 * path or query is its credential; anything that does not parse shows as `(a URL)`.
 */
export function safeUrlText(text: string): string {
  try {
    const u = new URL(text);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(a URL)';
  }
}

/** A target as it may be shown in an error: a URL is cut to its host, anything else as it is. */
export function safeTargetText(target: string): string {
  return isHttpUrl(target) ? safeUrlText(target) : target;
}

/** The webhook kind a URL's host implies, for a URL target given without WTT_IM_CHANNEL. */
export function webhookChannelForUrl(url: string): WebhookChannel {
  let host = '';
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return 'webhook';
  }
  if (host === 'hooks.slack.com') return 'slack';
  if (host === 'oapi.dingtalk.com') return 'dingtalk';
  if (host.endsWith('feishu.cn')) return 'feishu';
  if (host.endsWith('larksuite.com')) return 'lark';
  if (host === 'qyapi.weixin.qq.com') return 'wecom';
  return 'webhook';
}

const CHAT_ID = /^[A-Za-z0-9_.:@+-]{1,200}$/;

/** A target echoed in an error: anything URL-like is hidden, the rest cut to 60 characters. */
function shown(target: string): string {
  if (/\/\/|[?#=]/.test(target)) return '(a URL-like value, hidden)';
  return target.slice(0, 60);
}

/** Why `target` cannot be used on `channel` (undefined = fine). Never repeats a URL beyond its host. */
export function targetProblem(channel: string, target: string): string | undefined {
  if (/^https?$/i.test(channel)) return `a route needs a channel before the URL, e.g. slack:https://… or webhook:https://…`;
  switch (channelKind(channel)) {
    case 'webhook': {
      if (!isHttpUrl(target)) return `channel ${channel} needs a webhook URL (http or https) as its target, got '${shown(target)}'`;
      try {
        const u = new URL(target);
        if (u.username || u.password) return `the ${channel} webhook URL must not carry a user name or password`;
      } catch {
        return `the ${channel} webhook target is not a valid URL (${safeUrlText(target)})`;
      }
      return undefined;
    }
    case 'file':
      return target.startsWith('/') ? undefined : `channel file needs an absolute path as its target, got '${shown(target)}'`;
    case 'console':
      return target === 'stdout' ? undefined : `channel console takes the target stdout, got '${shown(target)}'`;
    case 'openclaw':
      if (isHttpUrl(target)) return `channel ${channel} is an OpenClaw channel and needs a chat id, not a URL (${safeUrlText(target)}); for a webhook use slack, dingtalk, feishu, lark, wecom or webhook`;
      return CHAT_ID.test(target) ? undefined : `channel ${channel} needs a chat id or handle (letters, digits and . _ : @ + -), got '${shown(target)}'`;
  }
}
