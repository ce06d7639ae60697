import { defineConfig } from 'vitest/config';

// The OpenClaw end-to-end lane (scripts/e2e-openclaw.sh, docs/e2e.md): one file, run in order,
// with long timeouts (the real gateway takes seconds to start and a model turn to answer).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    maxWorkers: 1,
  },
});
