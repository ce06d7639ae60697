/** HTTP plumbing: every error leaves as `{"detail": "..."}` with an honest status; zod parsing helpers. */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { HubError } from './core.js';
import { codeOfFastify } from './errors.js';
import { assertJsonDepth } from './json-guard.js';

/** Headers of a bare-array answer cut at `maxResponseBytes`: `true`, and how many messages were left out. */
export const TRUNCATED_HEADER = 'x-wtt-truncated';
export const OMITTED_HEADER = 'x-wtt-omitted';

/** zod problems → one detail naming each field under `where` (`body.name: …`). */
export function describeIssues(error: z.ZodError, where: string): string {
  return error.issues
    .map((i) => {
      const path = i.path.map(String).join('.');
      return `${path ? `${where}.${path}` : where}: ${i.message}`;
    })
    .join('; ');
}

/** Query parameters shared by list endpoints. */
export const intParam = (name: string, def: number, min: number, max: number) =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}, got '${v}'` });
        return z.NEVER;
      }
      return n;
    });

/**
 * JSON bodies as fastify parses them (prototype poisoning refused), except that an empty body sent
 * with `Content-Type: application/json` counts as no body: clients (the plugin, the web) send that
 * header on body-less POSTs such as `/topics/{id}/join`.
 */
export function installJsonParser(app: FastifyInstance, maxJsonDepth: number): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (typeof body === 'string' && body.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      assertJsonDepth(body as string, maxJsonDepth);
    } catch (e) {
      done(e as HubError, undefined);
      return;
    }
    json(req, body as string, done);
  });
}

export function installErrorHandling(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: FastifyError | HubError, req, reply) => {
    if (err instanceof HubError) {
      void reply.code(err.status).headers(err.headers).send({ detail: err.message, code: err.code });
      return;
    }
    const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      const detail = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `request body is larger than ${app.initialConfig.bodyLimit} bytes (limit maxBodyBytes, --max-body-bytes)` : err.message;
      void reply.code(status).send({ detail, code: codeOfFastify(err.code, status) });
      return;
    }
    log.error({ err, method: req.method, url: req.routeOptions.url }, 'request failed');
    void reply.code(500).send({ detail: 'internal server error', code: 'internal' });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ detail: `not found: ${req.method} ${req.url.split('?')[0]}`, code: 'not_found' });
  });
}
