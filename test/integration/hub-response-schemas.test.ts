/** Every route of the hub (core and areas) declares a response schema (src/hub/responses.ts). */
import { describe, expect, it } from 'vitest';
import { useHub } from '../helpers/hub.js';

describe('hub response schemas', () => {
  const fx = useHub(['alice']);

  it('declares a response schema on every registered route', () => {
    const routes = fx.h.hub.routes;
    expect(routes.length).toBeGreaterThan(60);
    const missing = routes.filter((r) => r.responses.length === 0).map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
  });
});
