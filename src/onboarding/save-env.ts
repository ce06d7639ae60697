/** Writes onboarding results into `<skill dir>/.env` through the safe upsert. */
import { upsertEnvFile, type UpsertResult } from '../env-file.js';
import { Secret } from './secret.js';

export interface SaveEnvInput {
  envFile: string;
  /** Key → value; a `Secret` is revealed only here, to be written. */
  updates: Readonly<Record<string, string | Secret>>;
}

export async function saveEnv(input: SaveEnvInput): Promise<UpsertResult> {
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.updates)) plain[k] = v instanceof Secret ? v.reveal() : v;
  return upsertEnvFile(input.envFile, plain);
}
