/**
 * The onboarding commands the command layer calls: `config` / `whoami`, `config auto`, `bind`
 * (wtt-protocol.md §9.3, §10.2, improved as issue 5 asks). Each returns the text to show; a
 * failure the user must act on is thrown as a `WttError` with a message to show as it is.
 */
import { waitFor } from 'xstate';
import type { OnboardingMachineContext } from '../../machines/onboarding.machine.js';
import { maskToken, type Config } from '../config.js';
import { WttError } from '../errors.js';
import { safeTargetText } from '../im/channels.js';
import type { Logger } from '../log.js';
import { startOnboarding, type OnboardingActor } from './actor.js';
import type { DetectedRoute } from './route-detect.js';

export interface OnboardingContext {
  config: Readonly<Config>;
  log: Logger;
  /** The live connection's state when a daemon is running (e.g. `live`, `backoff`). */
  connectionState?: string | undefined;
  /**
   * The caller is the daemon and reloads the configuration itself after `config auto`: the
   * "restart the daemon" hint is then left out.
   */
  reloadsConfig?: boolean | undefined;
  /**
   * The daemon's long-lived onboarding actor. When given, the command talks to it by event and
   * leaves it running; otherwise a one-shot actor is started and stopped.
   */
  actor?: OnboardingActor | undefined;
}

const UNSET = '(unset)';

/** How long a one-shot command waits for the machine, beyond the HTTP timeout. */
const SETTLE_MARGIN_MS = 10_000;

/** `config` / `cfg` / `whoami`: what this agent is and where it talks. */
export async function whoami(ctx: OnboardingContext): Promise<string> {
  const c = ctx.config;
  const complete = Boolean(c.agentId) && c.imTargets.length > 0;
  const lines = [
    'WTT Runtime Config',
    `agent_id: ${c.agentId ?? '(not registered: run `wtt config auto`)'}`,
    `agent_token: ${maskToken(c.agentToken)}`,
    `api_url: ${c.apiUrl}`,
    `ws_url: ${c.wsUrl}`,
    `im_channel: ${c.imChannel ?? UNSET}`,
    `im_target(s): ${c.imTargets.length > 0 ? c.imTargets.map(safeTargetText).join(', ') : UNSET}`,
    ...(c.imFallbacks.length > 0 ? [`im_fallbacks: ${c.imFallbacks.map((f) => `${f.channel}:${safeTargetText(f.target)}`).join(', ')}`] : []),
    `connection: ${ctx.connectionState ?? 'no daemon running'}`,
    `state_dir: ${c.stateDir}`,
    `config_file: ${c.envFile}`,
    complete ? 'tip: @wtt bind links this agent to your WTT account' : 'tip: @wtt config auto',
  ];
  return lines.join('\n');
}

const SOURCE_TEXT: Record<DetectedRoute['source'], string> = {
  env: 'configuration',
  sqlite: "OpenClaw's SQLite store",
  'sessions.json': "OpenClaw's sessions.json",
};

function routeText(r: DetectedRoute): string {
  return `${r.channel} → ${r.targets.join(', ')}`;
}

function utcMinute(iso: string | number): string {
  return new Date(iso).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/**
 * The logger for a one-shot command: its text already reports every warning, so stderr stays
 * quiet (errors only) unless the user asked for debug output.
 */
function commandLog(log: Logger): Logger {
  return log.isLevelEnabled('debug') ? log : log.child({}, { level: 'error' });
}

/** Runs the machine until `done` holds for its snapshot, then stops it (unless it is the daemon's own). */
async function settle(actor: OnboardingActor, ctx: OnboardingContext, done: (s: ReturnType<OnboardingActor['getSnapshot']>) => boolean) {
  try {
    return await waitFor(actor, done, { timeout: ctx.config.httpTimeoutMs + SETTLE_MARGIN_MS });
  } finally {
    if (actor !== ctx.actor) actor.stop();
  }
}

/** The daemon's actor, told what the command wants; or a fresh one-shot actor. */
function actorFor(ctx: OnboardingContext, wants: 'configAuto' | 'bind'): OnboardingActor {
  const own = ctx.actor;
  if (!own) {
    const actor = startOnboarding({ config: ctx.config, log: commandLog(ctx.log) });
    actor.send({ type: wants === 'bind' ? 'BIND' : 'START' });
    return actor;
  }
  if (wants === 'bind') {
    own.send({ type: 'BIND' });
  } else {
    const snap = own.getSnapshot();
    if (snap.matches({ identity: 'fallback' })) own.send({ type: 'RETRY_REGISTER' });
    else if (snap.matches({ identity: 'unregistered' })) own.send({ type: 'REGISTER' });
    own.send({ type: 'DETECT_ROUTE' });
  }
  return own;
}

function identityLines(s: OnboardingMachineContext, registered: boolean, config: Readonly<Config>): string[] {
  if (!registered) {
    return [
      `⚠️ Not registered: the WTT server at ${config.apiUrl} did not answer (${s.registerError ?? 'unknown error'}).`,
      '   No local id was invented. Run `wtt config auto` again once the server is reachable; a running daemon keeps retrying by itself.',
    ];
  }
  if (s.identitySource === 'existing') {
    return [
      `ℹ️ agent_id already set: ${s.agentId}`,
      ...(s.agentToken ? [] : [`⚠️ WTT_AGENT_TOKEN is not set: a server that checks tokens will refuse this agent. Add the token to ${config.envFile}.`]),
    ];
  }
  return [`✅ agent_id registered: ${s.agentId} (token ${s.agentToken ? s.agentToken.masked() : 'not issued by this server'})`];
}

function routeLines(s: OnboardingMachineContext, configured: boolean, config: Readonly<Config>): string[] {
  if (configured && s.route) {
    if (s.route.source === 'env') return [`ℹ️ IM route already configured: ${routeText(s.route)}`];
    const when = s.route.updatedAt ? `, last chat ${utcMinute(s.route.updatedAt)}` : '';
    return [`✅ IM route auto-configured: ${routeText(s.route)} (from ${SOURCE_TEXT[s.route.source]}${when})`];
  }
  const why = s.routeError ? [s.routeError, ...s.routeNotes] : s.routeNotes;
  return [
    `⚠️ IM route: no direct chat found in OpenClaw. Set WTT_IM_CHANNEL / WTT_IM_TARGET in ${config.envFile} manually,`,
    '   or send your bot one direct message and run `wtt config auto` again.',
    ...why.map((n) => `   · ${n}`),
  ];
}

/** `config auto` / `init` / `setup`: register if needed, detect the chat route, write `.env`. */
export async function configAuto(ctx: OnboardingContext): Promise<string> {
  const before = ctx.actor?.getSnapshot().context;
  const actor = actorFor(ctx, 'configAuto');
  const snap = await settle(
    actor,
    ctx,
    (s) => (s.matches({ identity: 'registered' }) || s.matches({ identity: 'fallback' })) && (s.matches({ route: 'configured' }) || s.matches({ route: 'manual' })),
  );
  // The daemon's actor remembers earlier writes: report only this command's.
  const s = before ? { ...snap.context, savedKeys: snap.context.savedKeys.slice(before.savedKeys.length), saveErrors: snap.context.saveErrors.slice(before.saveErrors.length) } : snap.context;
  const lines = [...identityLines(s, snap.matches({ identity: 'registered' }), ctx.config), ...routeLines(s, snap.matches({ route: 'configured' }), ctx.config)];
  for (const err of s.saveErrors) lines.push(`⚠️ Could not save ${err}`);
  if (s.savedKeys.length > 0) {
    lines.push(`📄 Saved to ${ctx.config.envFile} (${s.savedKeys.join(', ')})`);
    if (!ctx.reloadsConfig) lines.push('ℹ️ A running wtt daemon uses the new values after a restart.');
  } else if (s.saveErrors.length === 0) {
    lines.push(`📄 Nothing new to save; ${ctx.config.envFile} unchanged`);
  }
  return lines.join('\n');
}

/** `bind`: a claim code for the owner to enter in the WTT client, with its expiry. */
export async function bind(ctx: OnboardingContext): Promise<string> {
  if (!ctx.config.agentId) {
    throw new WttError('WTT_ERR_NO_AGENT', {
      message: `WTT_AGENT_ID is not set in ${ctx.config.envFile}: run \`wtt config auto\` first to register this agent.`,
    });
  }
  const actor = actorFor(ctx, 'bind');
  const snap = await settle(actor, ctx, (s) => s.matches({ bind: 'codeIssued' }) || s.matches({ bind: 'failed' }) || s.matches({ bind: 'refused' }));
  const s = snap.context;
  if (!snap.matches({ bind: 'codeIssued' }) || !s.claimCode) {
    throw new WttError(s.bindErrorCode ?? 'WTT_ERR_HTTP', { message: `Failed to generate claim code: ${s.bindError ?? 'unknown error'}` });
  }
  const minutes = Math.max(1, Math.ceil(s.codeExpiresInMs / 60_000));
  return [
    `Claim code: ${s.claimCode}`,
    `Expires in: ${minutes} min (at ${s.codeExpiresAt ? utcMinute(s.codeExpiresAt) : 'unknown'})`,
    'Enter this code in the WTT client (Settings → Agent binding) to bind your agent. It works once.',
  ].join('\n');
}
