/**
 * A throwaway OpenClaw home for the end-to-end test: `<home>/.openclaw/openclaw.json` (gateway on
 * loopback with the session tools allowed, Telegram at the fake Bot API, the fake model as the only
 * provider). Our skill is already
 * in `<home>/.openclaw/workspace/skills/wtt-skill/`, installed as a user does it (a `git clone` of
 * this repository and `npm ci` with Node 24, done by scripts/e2e-openclaw.sh): this only checks that
 * the install is there and writes its `.env` naming the test hub, as a user would set WTT_API_URL.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_ID } from './fakes/model.js';

export interface OpenclawHomeOptions {
  home: string;
  gatewayPort: number;
  gatewayToken: string;
  botToken: string;
  telegramApiRoot: string;
  modelBaseUrl: string;
  allowFrom: string[];
  hubUrl: string;
}

export interface OpenclawHome {
  stateDir: string;
  configPath: string;
  workspace: string;
  skillDir: string;
}

export function createOpenclawHome(o: OpenclawHomeOptions): OpenclawHome {
  const stateDir = join(o.home, '.openclaw');
  const workspace = join(stateDir, 'workspace');
  const skillDir = join(workspace, 'skills', 'wtt-skill');
  for (const f of ['SKILL.md', 'bin/wtt', 'dist/src/cli.js', 'node_modules/better-sqlite3/package.json']) {
    if (!existsSync(join(skillDir, f))) {
      throw new Error(`the skill is not installed in ${skillDir} (no ${f}): run the lane with \`bash scripts/e2e-openclaw.sh\`, which clones this repository there and runs npm ci`);
    }
  }
  writeFileSync(join(skillDir, '.env'), `WTT_API_URL=${o.hubUrl}\nWTT_LOG_LEVEL=warn\n`, { mode: 0o600 });

  const config = {
    gateway: {
      mode: 'local',
      bind: 'loopback',
      port: o.gatewayPort,
      auth: { mode: 'token', token: o.gatewayToken },
      // The session tools our openclaw executor calls through /tools/invoke (WTT_EXECUTOR=openclaw):
      // without them sessions_spawn answers "Tool not available".
      tools: { allow: ['sessions_spawn', 'sessions_send', 'sessions_history', 'sessions_list'] },
    },
    update: { checkOnStart: false },
    session: { dmScope: 'per-channel-peer' },
    models: {
      // No remote model catalog fetch: the gateway's only outside call at start otherwise.
      catalogRefresh: { enabled: false },
      providers: {
        fake: {
          baseUrl: o.modelBaseUrl,
          api: 'openai-completions',
          apiKey: 'fake-model-key',
          models: [{ id: MODEL_ID, name: 'WTT fake model', reasoning: false, input: ['text'], contextWindow: 128000, maxTokens: 4096 }],
        },
      },
    },
    agents: { defaults: { model: { primary: `fake/${MODEL_ID}` } } },
    channels: {
      telegram: {
        enabled: true,
        botToken: o.botToken,
        apiRoot: o.telegramApiRoot,
        dmPolicy: 'allowlist',
        allowFrom: o.allowFrom,
        streaming: { mode: 'off' },
      },
    },
    bindings: [{ agentId: 'main', match: { channel: 'telegram', accountId: 'default' } }],
  };
  const configPath = join(stateDir, 'openclaw.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
  return { stateDir, configPath, workspace, skillDir };
}
