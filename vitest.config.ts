import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The OpenClaw lane (npm run e2e) needs Node 24 and the real gateway: not part of npm test.
    exclude: [...configDefaults.exclude, 'test/e2e/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests spawn servers and processes; two cores here.
    maxWorkers: 2,
  },
});
