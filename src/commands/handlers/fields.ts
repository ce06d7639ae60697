/** `key=value` fields → a validated request body, or a UsageError naming the bad field. */
import type { z } from 'zod';
import { UsageError, type HelpTopic } from '../usage.js';

export function validFields<S extends z.ZodType>(schema: S, fields: Record<string, unknown>, topic: HelpTopic): z.output<S> {
  const r = schema.safeParse(fields);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join('.') || 'fields'}: ${i.message}`);
  throw new UsageError(problems.join('; '), topic);
}
