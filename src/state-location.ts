/**
 * Where this agent's files are: the skill folder, its `.env`, the state dir, and the agent id
 * rule. Node built-ins only, so that the CLI's daemon fast path (src/commands/fast-path.ts) finds
 * the control socket without loading zod or the full configuration; `loadConfig` (src/config.ts)
 * uses the same functions, so both always agree on the paths.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The repository root (src/ → .., dist/src/ → ../..): the skill folder unless WTT_SKILL_DIR names another. */
export const REPO_ROOT = resolve(HERE, existsSync(join(HERE, '..', 'package.json')) ? '..' : '../..');

/** `WTT_AGENT_ID`'s rule (the configuration schema uses it too). */
export const AGENT_ID_RE = /^[A-Za-z0-9._:@-]{1,200}$/;

export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return p;
}

export function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

export function skillDirFrom(env: NodeJS.ProcessEnv): string {
  const d = env.WTT_SKILL_DIR?.trim();
  return d ? resolve(expandHome(d, homeOf(env))) : REPO_ROOT;
}

/** `WTT_STATE_DIR` (already trimmed, or undefined) → the state dir: absolute, `~/`, or relative to the skill folder; default `<skill>/.wtt`. */
export function stateDirFrom(value: string | undefined, skillDir: string, home: string): string {
  if (!value) return join(skillDir, '.wtt');
  const p = expandHome(value, home);
  return isAbsolute(p) ? p : resolve(skillDir, p);
}
