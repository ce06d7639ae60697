import { describe, expect, it } from 'vitest';
import { LIMIT_FLAGS } from '../../src/hub/limits.js';
import { parseHubArgs, USAGE } from '../../src/hub/main.js';

describe('wtt hub limit flags', () => {
  it('sets any limit by its flag, lists by comma or repetition', () => {
    expect(parseHubArgs(['--ws-max-pending-bytes', '65536', '--max-sockets-per-agent=3', '--preview-allow', '10.0.0.0/8,wiki.internal', '--preview-allow', '127.0.0.1:8080'])).toEqual({
      limits: { wsMaxPendingBytes: 65536, maxSocketsPerAgent: 3, previewAllow: ['10.0.0.0/8', 'wiki.internal', '127.0.0.1:8080'] },
    });
  });

  it('refuses values below a limit\'s minimum, naming the flag', () => {
    expect(() => parseHubArgs(['--ws-frame-rate', '0'])).toThrow("--ws-frame-rate must be at least 1, got '0'");
    expect(() => parseHubArgs(['--max-body-bytes', '10'])).toThrow("--max-body-bytes must be at least 1024, got '10'");
    expect(() => parseHubArgs(['--memory-max-files', 'lots'])).toThrow(/--memory-max-files must be a whole number/);
    expect(parseHubArgs(['--ws-heartbeat-ms', '0'])).toEqual({ limits: { wsHeartbeatMs: 0 } });
  });

  it('documents every limit flag in the usage', () => {
    for (const f of LIMIT_FLAGS) expect(USAGE).toContain(f.flag);
  });
});

describe('wtt hub media types', () => {
  it('refuses a media type list that lets a browser run an upload as a page', async () => {
    const { resolveLimits } = await import('../../src/hub/limits.js');
    for (const t of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/javascript', 'application/wasm']) {
      expect(() => resolveLimits({ mediaTypes: ['image/png', t] }), t).toThrow(/must not allow/);
    }
    expect(resolveLimits({ mediaTypes: ['image/png'] }).mediaTypes).toEqual(['image/png']);
  });
});
