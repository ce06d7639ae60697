import type { FastifyInstance } from 'fastify';
import { HealthReply, ok } from '../responses.js';

/** Feature flags clients may test: `history_after` = `GET /topics/{id}/messages?after=<id>` is supported. */
export const HUB_FEATURES = ['history_after'] as const;

export function healthRoutes(app: FastifyInstance): void {
  app.get('/health', { schema: { response: ok(HealthReply) } }, async () => ({ status: 'ok', service: 'wtt-hub', features: [...HUB_FEATURES] }));
}
