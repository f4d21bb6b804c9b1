import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration and e2e tests start servers and Redis queues; two cores, so keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
