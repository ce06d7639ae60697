/**
 * The web console's media upload: `POST /media/sign {filename, mime_type, size}` →
 * `{upload_url, upload_token}`, `PUT <upload_url>` with the bytes, `POST /media/commit {upload_token}`
 * → `{url}`; `GET /media/{id}` serves a committed file. Every answer of the three calls is JSON.
 *
 * Served files never run as a document in the hub's origin: their type is one of `mediaTypes`
 * (no HTML, SVG or XML), `X-Content-Type-Options: nosniff`, a `sandbox` CSP that allows nothing,
 * and `Content-Disposition: attachment` for everything but images, audio and video.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createReadStream } from 'node:fs';
import { z } from 'zod';
import { HubError, type HubCore } from '../core.js';
import type { ZodTypeProvider } from '../zod-schemas.js';
import { ErrorReply } from '../responses.js';
import { LEGACY_OWNER, type MediaRow, type MediaStore } from './store.js';

const SignBody = z.looseObject({
  filename: z.string().trim().min(1).max(255),
  mime_type: z.string().trim().min(1).max(100),
  size: z.union([z.number(), z.string().trim().regex(/^\d+$/, 'size must be a whole number').transform(Number)]).pipe(z.number().int().min(0)),
  agent_id: z.string().min(1).max(200).optional(),
});
const CommitBody = z.looseObject({ upload_token: z.string().min(1).max(200), agent_id: z.string().min(1).max(200).optional() });
/** Answers (checked before they are sent). */
const SignReply = z.object({ upload_url: z.string().url(), upload_token: z.string(), method: z.literal('PUT'), max_bytes: z.number().int() });
const CommitReply = z.object({ url: z.string().url(), media_id: z.string(), filename: z.string(), mime_type: z.string(), size: z.number().int() });
const PutReply = z.object({ ok: z.literal(true), size: z.number().int(), upload_token: z.string() });
const TokenParams = z.object({ token: z.string().min(1).max(200) });
const IdParams = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'not a media id') });

/** The media type without parameters, lower case. */
export const baseType = (t: string): string => (t.split(';')[0] ?? '').trim().toLowerCase();

/** A file name safe inside a quoted Content-Disposition value. */
export const safeFilename = (name: string): string => name.replace(/[^A-Za-z0-9._ -]/g, '_').replace(/^\.+/, '_').slice(0, 100) || 'file';

/** The owner of a call: the calling agent; an anonymous legacy call is the shared legacy owner. */
function ownerOf(core: HubCore, req: FastifyRequest, claimed: string | undefined): string {
  if (core.authMode === 'required') return core.auth.callerAgent(req, claimed ?? null);
  return core.auth.optionalCallerAgent(req, claimed ?? null) ?? LEGACY_OWNER;
}

const origin = (req: FastifyRequest): string => `${req.protocol}://${req.host}`;

export function mediaRoutes(core: HubCore, store: MediaStore): Promise<void> {
  const { limits } = core;
  const types = new Set(limits.mediaTypes.map(baseType));
  const app = core.app.withTypeProvider<ZodTypeProvider>();

  app.post('/media/sign', { schema: { body: SignBody, response: { 200: SignReply } } }, async (req) => {
    const body = req.body;
    const owner = ownerOf(core, req, body.agent_id);
    const type = baseType(body.mime_type);
    if (!types.has(type)) {
      throw HubError.of('media_type', `mime_type ${type} is not accepted (limit mediaTypes, --media-types: ${[...types].join(', ')})`);
    }
    if (body.size > limits.mediaMaxBytes) throw HubError.of('media_too_large', `size ${body.size} is larger than ${limits.mediaMaxBytes} bytes (limit mediaMaxBytes, --media-max-bytes)`);
    const used = store.usage(owner);
    if (used.pending >= limits.mediaMaxPending) {
      throw HubError.of('media_pending', `${used.pending} uploads are signed and not committed (limit mediaMaxPending, --media-max-pending); commit or wait an hour`);
    }
    if (used.bytes + body.size > limits.mediaQuotaBytes) {
      throw HubError.of('media_quota', `media quota: ${used.bytes + body.size} bytes would be kept, at most ${limits.mediaQuotaBytes} (limit mediaQuotaBytes, --media-quota-bytes)`);
    }
    const { token } = store.sign(owner, body.filename, type, body.size);
    return { upload_url: `${origin(req)}/media/upload/${token}`, upload_token: token, method: 'PUT' as const, max_bytes: body.size };
  });

  app.post('/media/commit', { schema: { body: CommitBody, response: { 200: CommitReply } } }, async (req) => {
    const body = req.body;
    const row = store.byToken(body.upload_token);
    if (!row) throw new HubError(404, 'unknown or lapsed upload_token');
    assertOwner(core, req, row, body.agent_id);
    if (row.state === 'signed') throw new HubError(409, 'nothing was uploaded for this upload_token yet: PUT the bytes to upload_url first');
    store.commit(row.id);
    return { url: `${origin(req)}/media/${row.id}`, media_id: row.id, filename: row.filename, mime_type: row.mime_type, size: row.size };
  });

  app.get('/media/:id', { schema: { params: IdParams, response: { '4xx': ErrorReply } } }, async (req, reply) => {
    const { id } = req.params;
    const row = store.committed(id);
    if (!row) throw new HubError(404, `media ${id} not found`);
    return serve(reply, store, row);
  });

  // The PUT takes raw bytes of any type: its own parser, in its own encapsulated context so the
  // other routes keep refusing what is not JSON (415).
  return app.register(async (scope: FastifyInstance) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: limits.mediaMaxBytes }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<ZodTypeProvider>().put('/media/upload/:token', { bodyLimit: limits.mediaMaxBytes, schema: { params: TokenParams, response: { 200: PutReply } } }, async (req) => {
      const { token } = req.params;
      const row = store.byToken(token);
      if (!row) throw new HubError(404, 'unknown or lapsed upload url; sign the upload again (POST /media/sign)');
      if (row.state === 'committed') throw new HubError(409, 'this upload is already committed');
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (bytes.length > row.size) throw HubError.of('media_too_large', `the upload is ${bytes.length} bytes; ${row.size} were signed`);
      store.store(row, bytes);
      return { ok: true as const, size: bytes.length, upload_token: token };
    });
  }) as unknown as Promise<void>;
}

function assertOwner(core: HubCore, req: FastifyRequest, row: MediaRow, claimed: string | undefined): void {
  const caller = ownerOf(core, req, claimed);
  if (row.owner === LEGACY_OWNER || caller === LEGACY_OWNER) {
    if (core.authMode === 'legacy') return;
  }
  if (caller !== row.owner) throw new HubError(403, `this upload belongs to another agent`);
}

function serve(reply: FastifyReply, store: MediaStore, row: MediaRow): FastifyReply {
  const inline = /^(image|audio|video)\//.test(row.mime_type);
  return reply
    .headers({
      'content-type': row.mime_type,
      'content-length': String(row.size),
      'content-disposition': `${inline ? 'inline' : 'attachment'}; filename="${safeFilename(row.filename)}"`,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cross-origin-resource-policy': 'cross-origin',
      'cache-control': 'private, max-age=31536000, immutable',
      'referrer-policy': 'no-referrer',
    })
    .send(createReadStream(store.path(row.id)));
}
