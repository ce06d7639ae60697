/**
 * The default adapter: OpenClaw channels (telegram, discord, …) through the gateway's
 * `/tools/invoke`, and through the openclaw CLI only when the gateway cannot be reached or none is
 * configured. A timeout or an error answer never falls back: the gateway may have delivered, and
 * the CLI would deliver a second time.
 */
import { checkButtons, DeliveryError, type AdapterDeps, type ImAdapter, type SendRequest, type SendResult } from './delivery.js';
import { GATEWAY_ADAPTER, resolveGateway } from './gateway-config.js';
import { CLI_ADAPTER, DEFAULT_CLI_TIMEOUT_MS, sendViaCli } from './openclaw-cli.js';
import { GatewayUnreachableError, invokeMessageTool } from './openclaw-gateway.js';

/**
 * The longest text per send, per channel. Telegram: the gateway splits above 4,000 characters by
 * itself and then reports only the last part's id, and its Markdown → HTML rendering can lengthen a
 * text (`<` → `&lt;`), so we stay 200 below: 3,800. Discord's limit is 2,000: 1,900.
 */
export const OPENCLAW_MAX_CHARS: Readonly<Record<string, number>> = Object.freeze({ telegram: 3800, discord: 1900 });
export const OPENCLAW_DEFAULT_MAX_CHARS = 3800;

export function openclawMaxChars(channel: string): number {
  return OPENCLAW_MAX_CHARS[channel] ?? OPENCLAW_DEFAULT_MAX_CHARS;
}

export class OpenclawAdapter implements ImAdapter {
  readonly name = 'openclaw';
  readonly maxChars: number;

  constructor(
    channel: string,
    private readonly deps: AdapterDeps,
  ) {
    this.maxChars = openclawMaxChars(channel);
  }

  async send(req: SendRequest): Promise<SendResult> {
    checkButtons(GATEWAY_ADAPTER, req.buttons);
    const gw = resolveGateway(this.deps.config);
    if (gw) {
      try {
        const r = await invokeMessageTool(
          gw,
          { action: 'send', channel: req.route.channel, target: req.route.target, message: req.text, buttons: req.buttons },
          { idempotencyKey: req.idempotencyKey, timeoutMs: this.deps.config.httpTimeoutMs, signal: req.signal },
        );
        this.deps.log.debug({ route: req.route.key, adapter: GATEWAY_ADAPTER, messageId: r.messageId, chars: req.text.length }, 'delivered');
        return { adapter: GATEWAY_ADAPTER, messageId: r.messageId };
      } catch (e) {
        if (!(e instanceof GatewayUnreachableError)) throw e;
        this.deps.log.warn({ route: req.route.key, reason: e.message }, 'gateway unreachable: sending through the openclaw CLI');
        return this.viaCli(req, e.message, gw.token);
      }
    }
    this.deps.log.debug({ route: req.route.key }, 'no gateway configured: sending through the openclaw CLI');
    return this.viaCli(req, undefined, undefined);
  }

  async edit(req: SendRequest & { messageId: string }): Promise<SendResult> {
    checkButtons(GATEWAY_ADAPTER, req.buttons);
    const gw = resolveGateway(this.deps.config);
    if (!gw) {
      throw new DeliveryError('permanent', GATEWAY_ADAPTER, 'editing a message needs the OpenClaw gateway, and none is configured (openclaw.json or OPENCLAW_GATEWAY_URL)');
    }
    const r = await invokeMessageTool(
      gw,
      { action: 'edit', channel: req.route.channel, target: req.route.target, message: req.text, messageId: req.messageId, buttons: req.buttons },
      { idempotencyKey: req.idempotencyKey, timeoutMs: this.deps.config.httpTimeoutMs, signal: req.signal },
    );
    this.deps.log.debug({ route: req.route.key, adapter: GATEWAY_ADAPTER, messageId: req.messageId }, 'edited');
    return { adapter: GATEWAY_ADAPTER, messageId: r.messageId ?? req.messageId };
  }

  private async viaCli(req: SendRequest, gatewayProblem: string | undefined, gatewayToken: string | undefined): Promise<SendResult> {
    if (req.buttons && req.buttons.length > 0) {
      this.deps.log.warn({ route: req.route.key }, 'the openclaw CLI cannot attach buttons: sending the text alone');
    }
    try {
      const r = await sendViaCli({
        bin: this.deps.config.openclawBin,
        env: this.deps.env ?? process.env,
        channel: req.route.channel,
        target: req.route.target,
        text: req.text,
        timeoutMs: this.deps.cliTimeoutMs ?? DEFAULT_CLI_TIMEOUT_MS,
        signal: req.signal,
        secrets: [this.deps.config.gatewayToken, gatewayToken],
      });
      this.deps.log.debug({ route: req.route.key, adapter: CLI_ADAPTER, messageId: r.messageId, chars: req.text.length }, 'delivered');
      return { adapter: CLI_ADAPTER, messageId: r.messageId };
    } catch (e) {
      // The gateway is configured but down, and the CLI is missing: the gateway coming back fixes it.
      if (gatewayProblem && e instanceof DeliveryError && e.kind === 'config' && e.adapter === CLI_ADAPTER) {
        throw new DeliveryError('transient', GATEWAY_ADAPTER, `${gatewayProblem}; the CLI fallback is not available either: ${e.message}`);
      }
      if (!gatewayProblem && e instanceof DeliveryError && e.kind === 'config' && e.adapter === CLI_ADAPTER) {
        throw new DeliveryError('config', CLI_ADAPTER, `no OpenClaw gateway is configured (no openclaw.json at ${this.deps.config.openclawConfigPath}, no OPENCLAW_GATEWAY_URL) and ${e.message}`);
      }
      throw e;
    }
  }
}
