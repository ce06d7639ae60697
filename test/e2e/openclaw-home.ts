/**
 * A throwaway OpenClaw home for the end-to-end test: `<home>/.openclaw/openclaw.json` (gateway on
 * loopback, Telegram at the fake Bot API, the fake model as the only provider) and our skill in
 * `<home>/.openclaw/workspace/skills/wtt-skill/` (the repository's SKILL.md, a `bin/wtt` that runs
 * this repository's CLI with this machine's Node, and a `.env` naming the test hub).
 */
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_ID } from './fakes/model.js';

export interface OpenclawHomeOptions {
  home: string;
  repo: string;
  gatewayPort: number;
  gatewayToken: string;
  botToken: string;
  telegramApiRoot: string;
  modelBaseUrl: string;
  allowFrom: string[];
  hubUrl: string;
  /** The Node that runs our CLI (this process's: better-sqlite3 is built for it). */
  cliNode: string;
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
  mkdirSync(join(skillDir, 'bin'), { recursive: true });
  copyFileSync(join(o.repo, 'SKILL.md'), join(skillDir, 'SKILL.md'));
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(
    join(skillDir, 'bin', 'wtt'),
    `#!/bin/sh\n# The wtt CLI of the repository under test, with its skill folder here.\nWTT_SKILL_DIR=${q(skillDir)} exec ${q(o.cliNode)} ${q(join(o.repo, 'bin', 'wtt'))} "$@"\n`,
  );
  chmodSync(join(skillDir, 'bin', 'wtt'), 0o755);
  writeFileSync(join(skillDir, '.env'), `WTT_API_URL=${o.hubUrl}\nWTT_LOG_LEVEL=warn\n`, { mode: 0o600 });

  const config = {
    gateway: {
      mode: 'local',
      bind: 'loopback',
      port: o.gatewayPort,
      auth: { mode: 'token', token: o.gatewayToken },
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
