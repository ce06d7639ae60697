/**
 * zod route schemas for fastify: a type provider (`req.body`, `req.query`, `req.params` typed from
 * the route's zod schemas) and the validator compiler that runs them. A failure answers 422 naming
 * the field (`body.name: …`, `query.limit: …`, `path.topic_id: …`, see `describeIssues`); the
 * parsed value (with defaults and transforms) replaces the raw one. An absent body is `{}`.
 *
 *   scope.withTypeProvider<ZodTypeProvider>().post('/x', { schema: { body: XBody } }, async (req) => req.body.field)
 */
import type { FastifyInstance, FastifySchemaCompiler, FastifySerializerCompiler, FastifyTypeProvider } from 'fastify';
import type { z } from 'zod';
import { HubError } from './core.js';
import { describeIssues } from './http.js';

export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? Known<z.input<this['schema']>> : unknown;
}

/**
 * A type without its string index signatures, at every depth: a loose response object
 * (src/hub/responses.ts) promises its named fields, and a handler may return any type that has
 * them (an interface has no index signature, so it would not match `{[k: string]: unknown}`).
 */
export type Known<T> = T extends readonly (infer U)[]
  ? Known<U>[]
  : T extends (...args: never[]) => unknown
    ? T
    : T extends object
      ? { [K in keyof T as string extends K ? never : K]: Known<T[K]> }
      : T;

/** How the detail names each part of the request. */
const WHERE: Readonly<Record<string, string>> = { body: 'body', querystring: 'query', params: 'path', headers: 'headers' };

const isZod = (s: unknown): s is z.ZodType => typeof s === 'object' && s !== null && typeof (s as { safeParse?: unknown }).safeParse === 'function';

export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (!isZod(schema)) throw new TypeError(`route schema for ${httpPart ?? 'a part'} must be a zod schema`);
  const where = WHERE[httpPart ?? 'body'] ?? 'body';
  return (data: unknown) => {
    const r = schema.safeParse(httpPart === 'body' ? (data ?? {}) : data);
    if (r.success) return { value: r.data };
    return { error: new HubError(422, describeIssues(r.error, where)) };
  };
};

/**
 * A route's `response` schemas: the answer is checked against them before it is sent (a mismatch
 * is the hub's own fault: logged, 500), so a route cannot drift from its documented shape.
 */
export const zodSerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema }) => {
  if (!isZod(schema)) throw new TypeError('route response schema must be a zod schema');
  return (data: unknown) => JSON.stringify(schema.parse(data));
};

/** Installs both compilers on the root app; every scope inherits them. */
export function installZodSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);
}
